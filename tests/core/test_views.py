"""``core.views.attempt``: one unit of work per form, the refusal shown where it belongs."""

from __future__ import annotations

import pytest
from flask import session
from sqlalchemy import func, select
from wtforms import StringField

from passnum.core.forms import FrenchForm
from passnum.core.views import attempt
from passnum.errors import DomainError, InvalidInput, NotFound, RuleRefused
from passnum.extensions import db
from passnum.programmes.models import Departement


class NameForm(FrenchForm):
    """Two fields to show refusals on."""

    code = StringField("Code")
    name = StringField("Nom")


def _form() -> NameForm:
    return NameForm(meta={"csrf": False}, data={"code": "78", "name": "Yvelines"})


def _flashed() -> list[tuple[str, str]]:
    """Messages flashed so far (read from the session: ``get_flashed_messages`` caches)."""
    return [tuple(m) for m in session.get("_flashes", [])]


def _departements() -> int:
    return db.session.scalar(select(func.count()).select_from(Departement)) or 0


def _add_then(error: DomainError | None):
    """An action that writes a département, then refuses with ``error`` (if any)."""
    def action() -> Departement:
        dep = Departement(code="78", name="Yvelines")
        db.session.add(dep)
        db.session.flush()
        if error is not None:
            raise error
        return dep
    return action


def test_success_commits_and_gives_the_result(app):
    with app.test_request_context(method="POST"):
        outcome = attempt(_add_then(None), _form())
        assert outcome.ok and outcome.status == 200
        assert outcome.value.code == "78"
        db.session.rollback()  # nothing left to roll back: it was committed
        assert _departements() == 1


def test_a_refusal_rolls_back_and_lands_on_the_field_it_names(app):
    with app.test_request_context(method="POST"):
        form = _form()
        outcome = attempt(_add_then(InvalidInput("Nom trop long.", field="name")), form,
                          field="code")
        assert not outcome.ok and outcome.status == 400
        assert form.name.errors == ["Nom trop long."] and not form.code.errors
        assert _flashed() == []
        with pytest.raises(InvalidInput):
            _ = outcome.value
        assert _departements() == 0


def test_an_unplaced_refusal_goes_to_the_fallback_field_else_above_the_form_or_flashed(app):
    refusal = RuleRefused("Programme clos.", code="programme_closed")
    with app.test_request_context(method="POST"):
        form = _form()
        assert attempt(_add_then(refusal), form, field="code").status == 422
        assert form.code.errors == ["Programme clos."]
        form = _form()
        attempt(_add_then(refusal), form, unplaced="form")
        assert form.form_errors == ["Programme clos."]
        assert _flashed() == []
        form = _form()
        attempt(_add_then(refusal), form)
        assert _flashed() == [("error", "Programme clos.")]
        assert not form.errors
        outcome = attempt(_add_then(refusal), unplaced="none")
        assert outcome.error is refusal
        assert _flashed() == [("error", "Programme clos.")]  # nothing more
        assert _departements() == 0


def test_out_of_scope_is_raised_again_for_the_error_page(app):
    with app.test_request_context(method="POST"):
        with pytest.raises(NotFound):
            attempt(_add_then(NotFound("Chéquier introuvable.")), _form())
        outcome = attempt(_add_then(NotFound("Chéquier introuvable.")), _form(), reraise=())
        assert outcome.status == 404
        assert _departements() == 0
