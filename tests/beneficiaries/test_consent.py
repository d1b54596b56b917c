"""The consent text names every fact stored about the person."""

from __future__ import annotations

import pytest

from passnum.beneficiaries.consent import CONSENT_TEXTS, current_consent_text
from passnum.beneficiaries.personal_data import ABOUT_A_BENEFICIARY, COLUMNS
from tests.factories import World, login

# The words by which the consent text names each stored fact about the person.
NAMED_AS = {
    "last_name": "nom",
    "first_name": "prénom",
    "birth_date": "date de naissance",
    "postal_code": "code postal",
    "phone": "téléphone",
    "email": "adresse e-mail",
    "need": "besoin",
    "duplicate_override_reason": "doublon",
    "eligibility_override_reason": "éligibilité",
    "gender": "genre",
    "social_status": "statut social",
    "commune_insee": "commune",
    "priority_area": "quartier prioritaire",
    "priority_public_ids": "publics prioritaires",  # a copy of the publics ticked
}
# Columns about the person that are not facts they give: record keeping and the
# consent itself.
NOT_FACTS = {"id", "structure_id", "created_at", "consent_at", "consent_text_version",
             "identity_key", "messages_consent_at"}


def test_every_stored_fact_has_a_name_in_the_consent_text() -> None:
    """A new column about a beneficiary fails here until the consent text names it."""
    facts = {name for name, rule in COLUMNS["beneficiaries"].items()
             if rule.treatment in ABOUT_A_BENEFICIARY and name not in NOT_FACTS}
    assert facts == set(NAMED_AS), "name the new fact in NAMED_AS and in the consent text"


@pytest.mark.parametrize("column", sorted(NAMED_AS))
def test_the_current_consent_text_names(column: str) -> None:
    assert NAMED_AS[column] in current_consent_text().lower()


def test_old_consent_texts_are_kept() -> None:
    """What earlier people agreed to stays readable for their subject-access export."""
    assert "2024-01" in CONSENT_TEXTS


def test_creation_form_shows_the_full_text(app, client) -> None:
    world = World()
    login(client, world.issuer78)
    page = client.get("/beneficiaires/nouveau").text
    assert "le besoin qu’elle exprime" in page and "téléphone" in page
