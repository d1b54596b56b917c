"""Look-ups in the shipped commune reference, distances and centroids."""

from __future__ import annotations

import threading

import pytest

from passnum.communes import reference
from passnum.communes.reference import (
    DATA_FILE,
    centroid,
    commune,
    commune_choices,
    communes_for_postal_code,
    distance_km,
    read_communes,
    sort_key,
)
from tests.communes.helpers import RAMBOUILLET, VERSAILLES, use_communes


def test_a_postal_code_serving_several_communes_gives_them_all_sorted_by_name():
    found = communes_for_postal_code("78120")
    assert [(c.insee, c.name) for c in found] == [
        ("78164", "Clairefontaine-en-Yvelines"), ("78517", "Rambouillet"),
        ("78601", "Sonchamp")]
    assert {c.departement for c in found} == {"78"}
    assert all("78120" in c.postal_codes for c in found)


def test_a_commune_with_several_postal_codes_is_found_from_each():
    saint_maur = commune("94068")
    assert saint_maur is not None and saint_maur.name == "Saint-Maur-des-Fossés"
    assert set(saint_maur.postal_codes) == {"94100", "94210"}
    for code in saint_maur.postal_codes:
        assert saint_maur in communes_for_postal_code(code)


def test_arrondissements_belong_to_their_commune():
    # the COG's communes actuelles: 75001 is Paris (75056), not "Paris 1er" (75101)
    assert [c.insee for c in communes_for_postal_code("75001")] == ["75056"]
    assert commune("75101") is None
    assert [c.insee for c in communes_for_postal_code("69003")] == ["69123"]
    assert [c.insee for c in communes_for_postal_code("13008")] == ["13055"]


def test_typed_postal_codes_are_tolerated_and_bad_ones_find_nothing():
    assert [c.name for c in communes_for_postal_code(" 78 000 ")] == ["Versailles"]
    for bad in ("", "7800", "780000", "78OOO", "abcde", "00000"):
        assert communes_for_postal_code(bad) == []


def test_commune_by_insee_code_including_corsica_and_overseas():
    assert commune("78646").name == "Versailles"
    assert commune("2A004").name == "Ajaccio"
    assert commune("97411").name == "Saint-Denis"
    assert commune("99999") is None and commune("") is None


def test_choices_for_a_form_are_code_and_name():
    assert commune_choices("78120") == [("78164", "Clairefontaine-en-Yvelines"),
                                        ("78517", "Rambouillet"), ("78601", "Sonchamp")]
    assert commune_choices("1234") == []


def test_names_sort_as_in_french_accents_and_case_aside():
    names = ["Épône", "Ecquevilly", "Élancourt", "eaubonne"]
    assert sorted(names, key=sort_key) == ["eaubonne", "Ecquevilly", "Élancourt", "Épône"]


def test_the_shipped_file_covers_france_and_stays_small():
    assert DATA_FILE.stat().st_size < 1_000_000
    communes = list(read_communes(DATA_FILE))
    assert len(communes) > 34_000
    assert len({c.insee for c in communes}) == len(communes)
    departements = {c.departement for c in communes}
    assert {"01", "2A", "2B", "78", "92", "95", "971", "974", "976"} <= departements
    assert all(len(p) == 5 and p.isdigit() for c in communes for p in c.postal_codes)


def test_great_circle_distance_of_a_known_pair_within_one_percent():
    london, paris = (51.5074, -0.1278), (48.8566, 2.3522)
    assert distance_km(london, paris) == pytest.approx(343.9, rel=0.01)  # geodesic WGS84
    assert distance_km(paris, london) == pytest.approx(distance_km(london, paris))
    assert distance_km(paris, paris) == 0
    # antipodes: half the Earth's circumference, no domain error on rounding
    assert distance_km((0, 0), (0, 180)) == pytest.approx(20015, rel=0.01)


def test_centroid_when_the_source_gives_one(monkeypatch: pytest.MonkeyPatch):
    use_communes(monkeypatch)
    assert centroid(VERSAILLES.insee) == (48.8039, 2.1191)
    assert centroid("78601") is None  # a commune without coordinates
    assert centroid("99999") is None and centroid(None) is None
    assert centroid(RAMBOUILLET.insee) == (RAMBOUILLET.latitude, RAMBOUILLET.longitude)


@pytest.mark.parametrize(("insee", "known"), [
    ("78646", (48.8049, 2.1204)),  # Versailles: the château's Cour de marbre
    ("92050", (48.8924, 2.2069)),  # Nanterre: the hôtel de ville
])
def test_the_shipped_reference_places_versailles_and_nanterre(
        insee: str, known: tuple[float, float]):
    # positions from GeoNames (docs/communes.md), within 2 km of the town's centre
    position = centroid(insee)
    assert position is not None and distance_km(position, known) < 2


def test_the_file_is_read_once_however_many_threads_ask_first(
        monkeypatch: pytest.MonkeyPatch):
    reads = []
    real = reference.read_communes

    def counting(path):
        reads.append(path)
        return real(path)

    monkeypatch.setattr(reference, "_loaded", None)
    monkeypatch.setattr(reference, "read_communes", counting)
    start = threading.Barrier(8)
    answers: list[object] = []

    def ask() -> None:
        start.wait()
        answers.append(reference._reference())

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reads) == 1
    assert len(answers) == 8 and all(a is answers[0] for a in answers)
