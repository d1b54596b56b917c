"""Command-line interface: ``flask --app passnum …``.

Each domain's commands live in its ``commands.py``; the application-wide ones (signing
keys, backup and restore) live here, above every domain (a restore re-anchors the audit
log).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from passnum.audit.services import reanchor
from passnum.config import instance_secrets, write_instance_secrets
from passnum.core.backup import BackupError, backup, restore
from passnum.core.clock import now
from passnum.core.db import unit_of_work


def register_commands(app: Flask) -> None:
    """Attach every domain's commands."""
    from passnum.audit.commands import audit_cli
    from passnum.auth.commands import users_cli
    from passnum.beneficiaries.commands import purge_command
    from passnum.communes.commands import communes_cli
    from passnum.dashboard.commands import stats_cli
    from passnum.jobs import jobs_cli
    from passnum.redemptions.commands import redemptions_cli
    from passnum.sample.commands import demo_command, seed_command
    from passnum.statements.commands import statements_cli
    from passnum.venues.commands import venues_cli

    for command in (users_cli, keys_cli, audit_cli, redemptions_cli, demo_command,
                    seed_command, stats_cli, statements_cli, purge_command,
                    backup_command, restore_command, communes_cli, jobs_cli, venues_cli):
        app.cli.add_command(command)


keys_cli = AppGroup("keys", help="Clés de signature des chèques.")


@keys_cli.command("rotate")
def rotate() -> None:
    """Add a new signing key; older keys keep verifying printed vouchers."""
    if os.environ.get("PASSNUM_VOUCHER_KEYS"):
        raise click.ClickException(
            "Les clés viennent de PASSNUM_VOUCHER_KEYS : ajoutez la nouvelle clé à la fin "
            "de cette variable.")
    data = instance_secrets(current_app.instance_path)
    data["VOUCHER_KEYS"] = [*data["VOUCHER_KEYS"], secrets.token_urlsafe(48)]
    write_instance_secrets(current_app.instance_path, data)
    click.echo(f"Nouvelle clé ajoutée ({len(data['VOUCHER_KEYS'])} clés) : redémarrez "
               "les serveurs pour signer avec elle.")


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier à écrire (par défaut instance/backups/passnum-<date>.<ext>).")
def backup_command(output: Path | None) -> None:
    """Save the whole database while the application runs."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if output is None:
        extension = "sqlite3" if url.startswith("sqlite") else "dump"
        stamp = now().strftime("%Y%m%d-%H%M%S")
        output = Path(current_app.instance_path) / "backups" / f"passnum-{stamp}.{extension}"
    try:
        written = backup(url, output)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Sauvegarde écrite : {written} ({written.stat().st_size} octets). Gardez "
               "aussi instance/secrets.json : les clés des chèques et du journal d'audit "
               "n'y sont pas.")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
def restore_command(source: Path, yes: bool) -> None:
    """Replace the whole database with a backup (stop the servers first)."""
    if not yes:
        click.confirm("Toutes les données actuelles seront remplacées. Continuer ?", abort=True)
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], source)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Base restaurée depuis {source}.")
    _reanchor_audit_log()


def _reanchor_audit_log() -> None:
    """The audit anchor is ahead of a restored log: record the restore in the log and
    anchor its new head, unless the restored log itself is damaged."""
    with unit_of_work():
        result = reanchor(actor_id=None)
    if not result.ok:
        raise click.ClickException(f"Le journal d'audit restauré est altéré : {result.reason}. "
                                   "Il n'est pas ré-ancré : restaurez une autre sauvegarde.")
    click.echo(f"Journal d'audit ré-ancré sur la base restaurée (restauration journalisée) : "
               f"nouvelle tête {result.head}, à conserver.")
