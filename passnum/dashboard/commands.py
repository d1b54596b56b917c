"""``flask --app passnum stats verify|rebuild``: the dashboard's stored sums."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from passnum.beneficiaries import priority_key
from passnum.booklets import reach_facts
from passnum.core.db import unit_of_work
from passnum.redemptions import tallies

stats_cli = AppGroup("stats", help="Cumuls du tableau de bord.")


@stats_cli.command("verify")
def verify_command() -> None:
    """Compare the monthly tallies, booklet counters, booklets' reach facts and people's
    copies of their priority publics with the rows; exit 1 if apart."""
    problems = (tallies.differences() + reach_facts.differences()[:20]
                + priority_key.differences()[:20])
    if not problems:
        click.echo("Cumuls exacts : ils correspondent aux encaissements et aux chèques.")
        return
    for problem in problems:
        click.echo(problem, err=True)
    click.echo("Cumuls inexacts : lancez « flask --app passnum stats rebuild ».", err=True)
    sys.exit(1)


@stats_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute the monthly tallies, booklet counters, reach facts and copies of the
    priority publics from the rows."""
    with unit_of_work():
        venue_rows, structure_rows = tallies.rebuild()
        booklets = reach_facts.rebuild()
        people = priority_key.rebuild()
    mended = "aucun chéquier" if not booklets else (
        "1 chéquier" if booklets == 1 else f"{booklets} chéquiers")
    click.echo(f"Cumuls recalculés : {venue_rows} lignes par lieu, {structure_rows} lignes "
               f"par structure ; jour et âge d'atteinte corrigés sur {mended} ; publics "
               f"prioritaires recopiés pour {people} bénéficiaire{'s' if people > 1 else ''}.")
