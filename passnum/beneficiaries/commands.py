"""``flask --app passnum purge [--dry-run]``: RGPD retention of beneficiaries' data."""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from passnum.beneficiaries.retention import due_for_pseudonymisation, pseudonymise
from passnum.core.clock import today
from passnum.core.db import unit_of_work

IDS_PER_LINE = 20


def retention_months(config: dict[str, Any]) -> int:
    """``RGPD_RETENTION_MONTHS`` as a whole number of months (0 or more)."""
    raw = config.get("RGPD_RETENTION_MONTHS", 12)
    try:
        months = int(raw)
    except (TypeError, ValueError):
        months = -1
    if months < 0:
        raise click.ClickException(
            f"RGPD_RETENTION_MONTHS doit être un nombre de mois positif (reçu : {raw!r}).")
    return months


def _echo_ids(ids: list[int]) -> None:
    """Print record ids (never names), a few per line."""
    for start in range(0, len(ids), IDS_PER_LINE):
        click.echo("  " + ", ".join(str(i) for i in ids[start:start + IDS_PER_LINE]))


@click.command("purge")
@click.option("--dry-run", is_flag=True,
              help="Afficher les fiches concernées sans rien modifier.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Pseudonymise beneficiaries whose programmes ended longer ago than the retention."""
    months = retention_months(current_app.config)
    with unit_of_work():
        ids = due_for_pseudonymisation(day=today(), retention_months=months)
        if dry_run:
            click.echo(f"Simulation : {len(ids)} fiche(s) seraient anonymisées "
                       f"(conservation : {months} mois après la fin du programme).")
            _echo_ids(ids)
            return
        with click.progressbar(length=len(ids), label="Anonymisation des fiches") as bar:
            changed = pseudonymise(ids, actor_id=None, retention_months=months,
                                   progress=bar.update)
    click.echo(f"{changed} fiche(s) anonymisée(s) (conservation : {months} mois après la "
               "fin du programme) ; leurs numéros sont dans le journal d'audit.")
