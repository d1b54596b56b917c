"""The form base: built-in messages in French, ASCII whole numbers, required data read
once validated."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import DateField
from wtforms.i18n import get_translations
from wtforms.validators import InputRequired

from passnum.core.forms import FrenchForm, WholeNumberField, required_data


class _Form(FrenchForm):
    day = DateField("Jour", validators=[InputRequired()])
    count = WholeNumberField("Nombre", validators=[InputRequired()])


def test_built_in_messages_are_french_and_numbers_ascii(sqlite_app) -> None:
    french = get_translations(["fr_FR", "fr"]).gettext("Not a valid date value.")
    assert french != "Not a valid date value."
    with sqlite_app.test_request_context(method="POST"):
        form = _Form(MultiDict({"day": "hier", "count": "١٢"}), meta={"csrf": False})
        assert not form.validate()
        assert form.day.errors == [french]
        assert form.count.errors == ["Nombre invalide : chiffres 0 à 9 uniquement."]
        form = _Form(MultiDict({"day": "2024-03-02", "count": " 12 "}), meta={"csrf": False})
        assert form.validate()
        assert required_data(form.count.data) == 12


def test_required_data_before_validation_is_a_programming_error() -> None:
    assert required_data(0) == 0
    with pytest.raises(ValueError, match="before its form validated"):
        required_data(None)
