"""Finding communes by the name a person types (the public directory's search)."""

from __future__ import annotations

from passnum.communes.reference import communes_named


def names(typed: str) -> list[tuple[str, str]]:
    """(name, département) of the communes found."""
    return [(c.name, c.departement) for c in communes_named(typed)]


def test_accents_case_hyphens_and_saint_do_not_count():
    assert names("versailles") == [("Versailles", "78")]
    assert names("  SAINT germain en laye ") == [("Saint-Germain-en-Laye", "78")]
    assert names("St-Cyr-l’Ecole") == [("Saint-Cyr-l'École", "78")]
    assert names("elancourt") == [("Élancourt", "78")]


def test_an_exact_name_wins_over_longer_ones_and_homonyms_come_by_population():
    assert names("Marly") == [("Marly", "59"), ("Marly", "57")]  # not Marly-le-Roi
    assert names("Marly-le") == [("Marly-le-Roi", "78")]
    assert names("Mantes") == [("Mantes-la-Jolie", "78"), ("Mantes-la-Ville", "78")]
    assert names("Bois d'Arcy") == [("Bois-d'Arcy", "78"), ("Bois-d'Arcy", "89")]
    assert len(communes_named("Saint", limit=20)) == 20


def test_nothing_for_blank_or_unknown_names():
    assert communes_named("") == [] and communes_named(" - ' ") == []
    assert communes_named("Zzzville") == []
