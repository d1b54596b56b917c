"""Names of people and organisations refuse control, bidi-override and invisible
characters (a name that displays differently from what it holds), everywhere they are typed."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from passnum.auth.services import create_user
from passnum.beneficiaries.services import create_beneficiary
from passnum.core.db import unit_of_work
from passnum.core.text import check_name_characters
from passnum.errors import DomainError, InvalidInput
from passnum.programmes.services import create_departement, save_programme
from passnum.venues.labels import apply_for_label
from tests.factories import PASSWORD, World, beneficiary_data
from tests.programmes.test_admin import VALUES
from tests.venues.test_labels import application

# bidi embeddings/overrides/isolates, marks, zero-width, C0/C1 controls, line separators
HIDDEN = ([chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
          + ["\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
             "\u00ad", "\u2028", "\u2029", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b"])
NAMES = st.text(st.characters(categories=("L", "M", "Zs"), include_characters="-'’."),
                min_size=1, max_size=30)


@given(NAMES)
def test_ordinary_names_pass_unchanged(name):
    assert check_name_characters(name, field="last_name", label="Le nom") == name


@given(NAMES, st.sampled_from(HIDDEN), st.integers(0, 30))
def test_any_hidden_character_anywhere_is_refused(name, hidden, at):
    typed = name[:at] + hidden + name[at:]
    with pytest.raises(InvalidInput) as caught:
        check_name_characters(typed, field="last_name", label="Le nom")
    err = caught.value
    assert (err.code, err.field) == ("invalid_characters", "last_name")
    assert "Le nom contient un caractère invisible ou de contrôle" in err.message
    assert f"U+{ord(hidden):04X}" in err.message


@given(st.characters(categories=("Cc", "Cf", "Co", "Cs", "Zl", "Zp"), exclude_characters="\t\n\r"))
def test_every_control_or_format_character_is_refused(char):
    with pytest.raises(InvalidInput):
        check_name_characters(f"Ma{char}rtin", field="last_name", label="Le nom")
    assert unicodedata.category(char)[0] in "CZ"


def _refused(fn, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught, unit_of_work():
        fn(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_beneficiary_names(app, field):
    world = World()
    err = _refused(create_beneficiary, world.issuer78,
                   beneficiary_data(**{field: "Martin\u202eeiram"}))
    assert (err.code, err.field) == ("invalid_characters", field)


def test_user_full_names(app):
    err = _refused(create_user, email="agent@example.org", password=PASSWORD, role="admin",
                   full_name="Jean\u200bDupont")
    assert (err.code, err.field) == ("invalid_characters", "full_name")


@pytest.mark.parametrize("field", ["name", "legal_representative", "address",
                                   "applicant_name"])
def test_venue_application_names(app, field):
    world = World()
    err = _refused(apply_for_label, **application(world.d78.id, **{field: "Poissy\u2066x"}))
    assert (err.code, err.field) == ("invalid_characters", field)


def test_programme_and_departement_names(app):
    world = World()
    err = _refused(save_programme, world.admin, None, **{**VALUES, "name": "Pass\x1b[31m"})
    assert (err.code, err.field) == ("invalid_characters", "name")
    err = _refused(create_departement, world.admin, code="95", name="Val-d'Oise\u202d")
    assert (err.code, err.field) == ("invalid_characters", "name")
