"""Look-ups in the commune reference shipped with passnum.

The reference holds the communes actuelles of the Code officiel géographique (COG): one
row per code INSEE with its name, département, postal codes, population and, where the
source gives one, a centroid. Arrondissements municipaux (Paris, Lyon, Marseille) and
communes déléguées or associées are not rows of their own: their postal codes belong to
their commune (75001 gives Paris, 75056), which is the code the national reporting asks
for. ``docs/communes.md`` says where the file comes from and how to refresh it.

The file is read once per process, on first use, under a lock; the look-ups then only
read immutable data, from any thread.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "communes.csv.gz"
COLUMNS = ("insee", "name", "departement", "postal_codes", "latitude", "longitude",
           "population")
POSTAL_CODE = re.compile(r"\d{5}")
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


@dataclass(frozen=True)
class Commune:
    """A commune actuelle of the COG."""

    insee: str                 # code INSEE (COG), e.g. "78646"
    name: str                  # "Versailles"
    departement: str           # "78"
    postal_codes: tuple[str, ...]
    latitude: float | None     # centroid, WGS84, when the source gives one
    longitude: float | None
    population: int | None


@dataclass(frozen=True)
class _Reference:
    by_insee: dict[str, Commune]
    by_postal_code: dict[str, tuple[Commune, ...]]


_lock = threading.Lock()
_loaded: _Reference | None = None


def sort_key(name: str) -> str:
    """A name's place in French alphabetical order: accents and case aside
    (Élancourt between Ecquevilly and Épône)."""
    decomposed = unicodedata.normalize("NFD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def read_communes(path: Path) -> Iterator[Commune]:
    """The communes of a reference file (gzip-compressed CSV with ``COLUMNS``)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield Commune(
                insee=row["insee"], name=row["name"], departement=row["departement"],
                postal_codes=tuple(row["postal_codes"].split()),
                latitude=float(row["latitude"]) if row["latitude"] else None,
                longitude=float(row["longitude"]) if row["longitude"] else None,
                population=int(row["population"]) if row["population"] else None,
            )


def write_communes(communes: Iterable[Commune], path: Path) -> None:
    """Write a reference file, sorted by code INSEE, byte for byte the same for the same
    communes (no time stamp in the gzip header), so that an unchanged refresh leaves
    nothing to commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
        text = _csv_text(sorted(communes, key=lambda c: c.insee))
        zipped.write(text.encode("utf-8"))


def _csv_text(communes: list[Commune]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in communes:
        writer.writerow([
            c.insee, c.name, c.departement, " ".join(c.postal_codes),
            "" if c.latitude is None else f"{c.latitude:.5f}",
            "" if c.longitude is None else f"{c.longitude:.5f}",
            "" if c.population is None else c.population,
        ])
    return out.getvalue()


def _reference() -> _Reference:
    """The shipped reference, read on first use (once per process)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _index(read_communes(DATA_FILE))
    return _loaded


def _index(communes: Iterable[Commune]) -> _Reference:
    by_insee: dict[str, Commune] = {}
    by_postal_code: dict[str, list[Commune]] = {}
    for c in communes:
        by_insee[c.insee] = c
        for code in c.postal_codes:
            by_postal_code.setdefault(code, []).append(c)
    return _Reference(
        by_insee=by_insee,
        by_postal_code={code: tuple(sorted(found, key=lambda c: (sort_key(c.name), c.insee)))
                        for code, found in by_postal_code.items()},
    )


def normalise_postal_code(postal_code: str) -> str | None:
    """The five digits of a typed postal code ("78 000" included), or None."""
    compact = "".join(postal_code.split())
    return compact if POSTAL_CODE.fullmatch(compact) else None


def communes_for_postal_code(postal_code: str) -> list[Commune]:
    """The communes a postal code serves, sorted by name; [] for an unknown or malformed
    code."""
    code = normalise_postal_code(postal_code or "")
    if code is None:
        return []
    return list(_reference().by_postal_code.get(code, ()))


def commune(insee: str) -> Commune | None:
    """The commune with this code INSEE, or None."""
    return _reference().by_insee.get((insee or "").strip().upper())


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance in kilometres between two (latitude, longitude) points
    in degrees (haversine formula on the mean Earth radius; within 0.5 % of the
    ellipsoid's distance)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def centroid(insee: str | None) -> tuple[float, float] | None:
    """The (latitude, longitude) of the commune's centroid, or None when the commune is
    unknown or the reference has no coordinates for it."""
    found = commune(insee) if insee else None
    if found is None or found.latitude is None or found.longitude is None:
        return None
    return found.latitude, found.longitude


def commune_choices(postal_code: str) -> list[tuple[str, str]]:
    """(code INSEE, name) choices for a form's commune field, sorted by name; [] for an
    unknown or malformed postal code."""
    return [(c.insee, c.name) for c in communes_for_postal_code(postal_code)]


def _name_key(name: str) -> str:
    """A commune name compared the way people type it: no accents or case, hyphens and
    apostrophes as spaces, "St"/"Ste" as "Saint"/"Sainte" (« saint germain en laye »
    finds Saint-Germain-en-Laye)."""
    words = re.sub(r"[\s\-'’]+", " ", sort_key(name)).split()
    spelled = {"st": "saint", "ste": "sainte"}
    return " ".join(spelled.get(word, word) for word in words)


def communes_named(name: str, *, limit: int = 20) -> list[Commune]:
    """The communes whose name is ``name`` (see ``_name_key``), most populous first;
    when none has that exact name, those whose name starts with it. At most ``limit``;
    [] for a blank name."""
    key = _name_key(name or "")
    if not key:
        return []
    keyed = _names()
    exact = [c for k, c in keyed if k == key]
    found = exact or [c for k, c in keyed if k.startswith(key)]
    found.sort(key=lambda c: (-(c.population or 0), sort_key(c.name), c.insee))
    return found[:limit]


_keyed: list[tuple[str, Commune]] | None = None


def _names() -> list[tuple[str, Commune]]:
    """Every commune with its name's comparison key, computed once per process (a
    list of immutable pairs, assigned in one step: safe from any thread)."""
    global _keyed
    if _keyed is None:
        _keyed = [(_name_key(c.name), c) for c in _reference().by_insee.values()]
    return _keyed
