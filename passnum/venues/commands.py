"""``flask --app passnum venues import FILE --departement 78 [--dry-run] [--actor EMAIL]``:
import venues from a file of the national standard, with the service of the import page.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from passnum.auth.models import User
from passnum.auth.services import normalise_email
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.queries import departement_by_code
from passnum.venues.import_reading import MAX_BYTES
from passnum.venues.imports import ImportPlan, plan_import, read_rows, run_import

venues_cli = AppGroup("venues", help="Lieux labellisés.")


def _actor(email: str | None) -> User | None:
    """The account the import is made by (None: the command line itself)."""
    if not email:
        return None
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"Aucun compte avec l'adresse {email}.")
    return user


def _echo_plan(plan: ImportPlan) -> None:
    """One line per row (line, result, name, commune), its reasons below, then the counts."""
    for row in plan.rows:
        click.echo(f"ligne {row.line:>5}  {row.result:<8}  {row.name[:50]} ({row.commune})")
        for reason in row.reasons:
            click.echo(f"             - {reason}")
    click.echo(plan.summary())


@venues_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--departement", "code", required=True, help="Code du département (78…).")
@click.option("--dry-run", is_flag=True, help="Vérifier le fichier sans rien enregistrer.")
@click.option("--actor", "email", help="E-mail du gestionnaire ou de l'administrateur "
              "qui importe (par défaut : la ligne de commande).")
def import_command(file: Path, code: str, dry_run: bool, email: str | None) -> None:
    """Import the venues of a CSV or JSON file as applications to review."""
    if file.stat().st_size > MAX_BYTES:
        raise click.ClickException(f"Le fichier dépasse {MAX_BYTES // (1024 * 1024)} Mo : "
                                   "découpez-le en plusieurs fichiers.")
    departement = departement_by_code(code)
    if departement is None:
        raise click.ClickException(f"Département inconnu : {code}.")
    actor = _actor(email)
    try:
        rows = read_rows(file.read_bytes(), file.name)
        with unit_of_work():
            plan = (plan_import if dry_run else run_import)(actor, departement, rows)
    except DomainError as err:
        raise click.ClickException(f"{err.message} ({err.code})") from err
    _echo_plan(plan)
    if dry_run:
        click.echo("Essai à blanc : rien n'a été enregistré.")
