"""``flask --app passnum statements generate --period YYYY-MM``: the monthly batch."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from passnum.core.db import unit_of_work
from passnum.core.formatting import euros, plural
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.queries import departement_codes
from passnum.statements import queries
from passnum.statements.services import BulkResult, generate_all
from passnum.venues.models import Venue

statements_cli = AppGroup("statements", help="Relevés de remboursement.")

OUTCOMES = {"created": "créé", "updated": "mis à jour", "frozen": "déjà validé, inchangé",
            "empty": "aucun encaissement"}


class _Bar:
    """A ``click.progressbar`` opened at the first report."""

    def __init__(self) -> None:
        """No bar yet."""
        self.bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        """Advance to ``done`` of ``total``."""
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Génération des relevés")
            self.bar.__enter__()
        self.bar.update(1)

    def close(self) -> None:
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _summary(results: list[BulkResult]) -> None:
    """Print one row per venue and paying département, then the totals."""
    names = {row.id: row.name for row in db.session.execute(
        select(Venue.id, Venue.name).where(Venue.id.in_({r.venue_id for r in results})))}
    codes = departement_codes()
    click.echo(f"{'Lieu':<40} {'Dép.':<5} {'Chèques':>8} {'Total':>14}  État")
    count = cents = 0
    for r in results:
        s = r.statement
        vouchers, total = (s.voucher_count, queries.amount_due(s)) if s else (0, 0)
        if r.outcome in ("created", "updated"):
            count, cents = count + vouchers, cents + total
        click.echo(f"{names.get(r.venue_id, '?')[:40]:<40} {codes.get(r.departement_id, '?'):<5} "
                   f"{vouchers:>8} {euros(total):>14}  {OUTCOMES[r.outcome]}")
    made = sum(1 for r in results if r.outcome in ("created", "updated"))
    click.echo(f"{plural(made, 'relevé')} en brouillon, {plural(count, 'chèque')}, "
               f"{euros(cents)}.")


@statements_cli.command("generate")
@click.option("--period", required=True, help="Mois au format AAAA-MM (heure de Paris).")
def generate_command(period: str) -> None:
    """Generate the month's draft statement of every venue and paying département."""
    bar = _Bar()
    try:
        period_start = queries.parse_period(period)
        with unit_of_work():
            results = generate_all(None, period_start, progress=bar)
            bar.close()
            _summary(results)
    except DomainError as err:
        raise click.ClickException(f"{err.message} ({err.code})") from err
    finally:
        bar.close()
    if not results:
        click.echo("Aucun encaissement à relever pour ce mois.")
