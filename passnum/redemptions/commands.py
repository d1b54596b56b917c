"""``flask --app passnum redemptions …``: take paper vouchers typed in by the back office."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from passnum.auth.models import Role, User
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.redemptions.services import redeem, undo
from passnum.venues.models import Workshop

redemptions_cli = AppGroup("redemptions", help="Encaissements.")


def _agent(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.role != Role.VENUE_AGENT:
        raise click.ClickException(f"Aucun agent de lieu avec l'adresse {email}.")
    return user


@redemptions_cli.command("redeem")
@click.option("--agent", "email", required=True, help="E-mail de l'agent du lieu.")
@click.option("--code", "codes", required=True, multiple=True,
              help="Code manuel ou lien du chèque (répéter pour un panier).")
@click.option("--workshop", "workshop_id", type=int, help="Atelier du lieu.")
def redeem_command(email: str, codes: tuple[str, ...], workshop_id: int | None) -> None:
    """Redeem vouchers for a venue agent, all or nothing."""
    agent = _agent(email)
    workshop = db.session.get(Workshop, workshop_id) if workshop_id else None
    if workshop_id and workshop is None:
        raise click.ClickException("Atelier introuvable.")
    try:
        with unit_of_work():
            redemption = redeem(list(codes), venue=agent.venue, workshop=workshop, actor=agent,
                                channel="cli")
            serials = [line.serial for line in redemption.lines]
    except DomainError as err:
        raise click.ClickException(f"{err.message} ({err.code})") from err
    click.echo(f"Encaissement n° {redemption.id} : {', '.join(serials)}")


@redemptions_cli.command("undo")
@click.option("--agent", "email", required=True, help="E-mail de l'agent du lieu.")
@click.argument("redemption_id", type=int)
def undo_command(email: str, redemption_id: int) -> None:
    """Undo a redemption made by mistake (within 24 hours)."""
    agent = _agent(email)
    try:
        with unit_of_work():
            undo(redemption_id, actor=agent)
    except DomainError as err:
        raise click.ClickException(f"{err.message} ({err.code})") from err
    click.echo(f"Encaissement n° {redemption_id} annulé.")
