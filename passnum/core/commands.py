"""``flask --app passnum keys rotate``"""

from __future__ import annotations

import os
import secrets

import click
from flask import current_app
from flask.cli import AppGroup

from passnum.config import instance_secrets, write_instance_secrets

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
