"""``flask --app passnum communes refresh`` on small fixture sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from flask import Flask

from passnum.communes.reference import read_communes
from passnum.communes.refresh import DEFAULT_SOURCE, NPM_PACKAGE

FIXTURES = Path(__file__).parent / "fixtures"


def _refresh(app: Flask, output: Path, *sources: Path):
    # without the GeoNames positions (tests/communes/test_geonames.py has them)
    args = ["communes", "refresh", "--no-geonames", "--output", str(output)]
    for source in sources:
        args += ["--source", str(source)]
    return app.test_cli_runner().invoke(args=args)


def test_a_first_refresh_keeps_the_communes_actuelles(sqlite_app: Flask, tmp_path: Path):
    output = tmp_path / "communes.csv.gz"
    result = _refresh(sqlite_app, output, FIXTURES / "communes.json")
    assert result.exit_code == 0, result.output
    assert "5 communes ajoutées" in result.output
    communes = {c.insee: c for c in read_communes(output)}
    # the arrondissement and the commune déléguée are not communes of their own
    assert sorted(communes) == ["75056", "78164", "78517", "78646", "94068"]
    assert communes["94068"].postal_codes == ("94100", "94210")
    assert (communes["78517"].latitude, communes["78517"].longitude) == (48.6437, 1.8292)
    assert communes["78646"].latitude is None and communes["78646"].population == 84095
    assert "5 communes, dont 1 avec un centroïde" in result.output
    note = (tmp_path / "communes.source.txt").read_text(encoding="utf-8")
    assert "communes.json" in note and "5 communes, 1 with a centroid" in note


def test_a_refresh_prints_what_changed(sqlite_app: Flask, tmp_path: Path):
    output = tmp_path / "communes.csv.gz"
    assert _refresh(sqlite_app, output, FIXTURES / "communes.json").exit_code == 0
    rows = json.loads((FIXTURES / "communes.json").read_text(encoding="utf-8"))
    rows = [r for r in rows if r["code"] != "78164"]  # merged away
    for row in rows:
        if row["code"] == "78517":
            row["nom"] = "Rambouillet-la-Neuve"
        if row["code"] == "78646":
            row["codesPostaux"] = ["78000", "78001"]
    rows.append({"code": "92050", "nom": "Nanterre", "departement": "92",
                 "type": "commune-actuelle", "codesPostaux": ["92000"]})
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(rows), encoding="utf-8")

    result = _refresh(sqlite_app, output, newer, FIXTURES / "centroids.csv")
    assert result.exit_code == 0, result.output
    assert "1 commune ajoutée :\n  92050 Nanterre (92)" in result.output
    assert "1 commune supprimée :\n  78164 Clairefontaine-en-Yvelines (78)" in result.output
    assert "1 commune renommée :\n  78517 Rambouillet → Rambouillet-la-Neuve" in result.output
    assert "78646 Versailles (78) : 78000 78001" in result.output
    assert "Centroïdes modifiés : 1." in result.output  # Versailles, from the CSV file
    assert {c.insee: c.latitude for c in read_communes(output)}["78646"] == 48.8039


def test_an_unchanged_refresh_rewrites_the_same_bytes(sqlite_app: Flask, tmp_path: Path):
    output = tmp_path / "communes.csv.gz"
    assert _refresh(sqlite_app, output, FIXTURES / "communes.json").exit_code == 0
    first = output.read_bytes()
    result = _refresh(sqlite_app, output, FIXTURES / "communes.json")
    assert result.exit_code == 0 and "Aucun changement." in result.output
    assert output.read_bytes() == first  # nothing to commit


def test_a_bad_source_leaves_the_file_untouched(sqlite_app: Flask, tmp_path: Path):
    output = tmp_path / "communes.csv.gz"
    assert _refresh(sqlite_app, output, FIXTURES / "communes.json").exit_code == 0
    before = output.read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_text('[{"code": "7", "nom": ""}]', encoding="utf-8")
    for source, message in ((tmp_path / "missing.json", "Source introuvable"),
                            (broken, "commune mal formée"),
                            (FIXTURES / "centroids.csv", "Aucune liste de communes")):
        result = _refresh(sqlite_app, output, source)
        assert result.exit_code == 1 and message in result.output, result.output
    assert output.read_bytes() == before


def test_the_default_source_is_the_npm_package_and_names_its_version(
        sqlite_app: Flask, tmp_path: Path):
    assert DEFAULT_SOURCE.is_file(), "run npm ci (make assets)"
    package = tmp_path / "node_modules" / NPM_PACKAGE
    (package / "data").mkdir(parents=True)
    shutil.copy(FIXTURES / "communes.json", package / "data" / "communes.json")
    (package / "package.json").write_text(json.dumps({"name": NPM_PACKAGE, "version": "9.9.9"}),
                                          encoding="utf-8")
    output = tmp_path / "communes.csv.gz"
    assert _refresh(sqlite_app, output, package / "data" / "communes.json").exit_code == 0
    note = (tmp_path / "communes.source.txt").read_text(encoding="utf-8")
    assert f"- {NPM_PACKAGE} 9.9.9 (communes.json)" in note
