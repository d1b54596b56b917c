"""``flask --app passnum communes refresh``: rebuild the shipped commune reference."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import click
from flask.cli import AppGroup

from passnum.communes.reference import DATA_FILE, Commune
from passnum.communes.refresh import DEFAULT_SOURCE, Changes, SourceError, refresh
from passnum.core.formatting import plural

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
def refresh_command(sources: tuple[Path, ...], output: Path) -> None:
    """Rebuild the commune reference from the npm package installed in node_modules."""
    try:
        changes = refresh(list(sources) or [DEFAULT_SOURCE], output)
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
    click.echo(f"{output} : {plural(changes.total, 'commune', 'communes')}, dont "
               f"{changes.with_centroid} avec un centroïde.")


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
