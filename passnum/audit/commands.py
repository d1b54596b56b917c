"""``flask --app passnum audit verify``"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from passnum.audit.services import verify

audit_cli = AppGroup("audit", help="Journal d'audit.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check the hash chain; exit 1 naming the first bad entry."""
    result = verify()
    if result.ok:
        click.echo(f"Journal intact : {result.checked} entrées vérifiées.")
        return
    click.echo(f"Journal altéré : entrée n° {result.bad_seq} ({result.reason}) ; "
               f"{result.checked} entrées valides avant elle.", err=True)
    sys.exit(1)
