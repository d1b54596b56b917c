"""``flask --app passnum audit verify``"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from passnum.audit.anchor import Head, parse_head
from passnum.audit.services import verify

audit_cli = AppGroup("audit", help="Journal d'audit.")


def _head(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Head | None:
    """``--expect-head N:HASH`` read, or a usage error in French."""
    if value is None:
        return None
    try:
        return parse_head(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from err


@audit_cli.command("verify")
@click.option("--expect-head", callback=_head, metavar="N:EMPREINTE",
              help="Tête imprimée par une vérification précédente, à retrouver.")
def verify_command(expect_head: Head | None) -> None:
    """Check the keyed chain and the anchored head; print the head; exit 1 naming the
    damage."""
    result = verify(expect_head=expect_head)
    if result.ok:
        click.echo(f"Journal intact : {result.checked} entrées vérifiées.")
        click.echo(f"Tête du journal (à conserver) : {result.head}")
        return
    click.echo(f"Journal altéré : {result.reason} ({result.checked} entrées intactes "
               "avant le dommage).", err=True)
    sys.exit(1)
