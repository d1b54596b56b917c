"""``flask --app passnum purge [--dry-run]``: RGPD retention of beneficiaries' data.

One run pseudonymises the people past retention (with their booklets' notes and the
stored API answers showing them) and deletes every stored API answer past its lifetime
(``IDEMPOTENCY_TTL_HOURS``), in one transaction; ``--dry-run`` counts without changing.
"""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from passnum.beneficiaries.retention import (
    due_for_pseudonymisation,
    pseudonymise,
    rows_deleted_with,
)
from passnum.core.clock import today
from passnum.core.db import unit_of_work
from passnum.core.idempotency import (
    answers_expire_before,
    delete_expired_answers,
)
from passnum.extensions import db

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
    """Pseudonymise beneficiaries whose programmes ended longer ago than the retention,
    and delete the stored API answers that are expired or show them."""
    months = retention_months(current_app.config)
    hours = int(current_app.config["IDEMPOTENCY_TTL_HOURS"])
    with unit_of_work():
        ids = due_for_pseudonymisation(day=today(), retention_months=months)
        expired_before = answers_expire_before(current_app.config)
        if dry_run:
            # counted by the real run's statements, then undone, so that an answer both
            # expired and showing a due person counts once, as it will be deleted once
            answers = delete_expired_answers(expired_before) + rows_deleted_with(ids)
            db.session.rollback()
            click.echo(f"Simulation : {len(ids)} fiche(s) seraient anonymisées "
                       f"(conservation : {months} mois après la fin du programme).")
            _echo_ids(ids)
            click.echo(f"Simulation : {answers} réponse(s) d'API gardée(s) pour les "
                       f"reprises seraient supprimées (plus de {hours} h, ou montrant une "
                       "fiche anonymisée).")
            return
        answers = delete_expired_answers(expired_before) + rows_deleted_with(ids)
        with click.progressbar(length=len(ids), label="Anonymisation des fiches") as bar:
            changed = pseudonymise(ids, actor_id=None, retention_months=months,
                                   progress=bar.update)
    click.echo(f"{changed} fiche(s) anonymisée(s) (conservation : {months} mois après la "
               "fin du programme) ; leurs numéros sont dans le journal d'audit.")
    click.echo(f"{answers} réponse(s) d'API gardée(s) pour les reprises supprimée(s) "
               f"(plus de {hours} h, ou montrant une fiche anonymisée).")
