"""``flask --app passnum users …``"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from passnum.auth.models import Role, User
from passnum.auth.services import create_user, normalise_email, reset_second_factor
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.queries import departement_by_code

users_cli = AppGroup("users", help="Gérer les comptes.")


@users_cli.command("create")
@click.option("--email", required=True, help="Adresse e-mail (identifiant).")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--structure", "structure_id", type=int, help="Structure (rôle issuer).")
@click.option("--venue", "venue_id", type=int, help="Lieu (rôle venue_agent).")
@click.option("--departement", "departement_code", help="Code du département (rôle manager).")
@click.option("--name", "full_name", default="", help="Nom affiché.")
@click.password_option("--password", help="Mot de passe (demandé s'il est absent).")
def create(email: str, role: str, structure_id: int | None, venue_id: int | None,
           departement_code: str | None, full_name: str, password: str) -> None:
    """Create an account with its role and scope."""
    departement_id = None
    if departement_code:
        departement = departement_by_code(departement_code)
        if departement is None:
            raise click.ClickException(f"Département inconnu : {departement_code}")
        departement_id = departement.id
    try:
        with unit_of_work():
            user = create_user(email=email, password=password, role=role, full_name=full_name,
                               departement_id=departement_id, structure_id=structure_id,
                               venue_id=venue_id)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"Compte créé : {user.email} ({user.role_label}), id {user.id}")


@users_cli.command("reset-totp")
@click.option("--email", required=True, help="Compte dont le téléphone est perdu ou changé.")
def reset_totp(email: str) -> None:
    """Clear an account's second factor: its next login sets up a new app."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException("Aucun compte avec cette adresse.")
    with unit_of_work():
        reset_second_factor(None, user)
    click.echo(f"Double authentification réinitialisée pour {user.email} : elle sera "
               "configurée à la prochaine connexion.")
