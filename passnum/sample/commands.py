"""The generated data's commands: ``flask --app passnum demo`` and ``… seed``."""

from __future__ import annotations

from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import text

from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.sample.accounts import SAMPLE_CODE_HELP, sample_code
from passnum.sample.demo import DemoRefused, load_demo, print_logins
from passnum.sample.history import load_demo_with_history
from passnum.sample.seed import SCALES, SEED_PASSWORD, SeedRefused, seed, seed_accounts


@click.command("demo")
@click.option("--quiet-if-loaded", is_flag=True, help="Ne rien dire si la démo est déjà là.")
@click.option("--code", "code_only", is_flag=True,
              help="Afficher le code à 6 chiffres du moment des comptes de démonstration.")
@click.option("--sans-historique", "bare", is_flag=True,
              help="Charger la démo seule, sans ses 18 mois d'activité.")
@with_appcontext
def demo_command(quiet_if_loaded: bool, code_only: bool, bare: bool) -> None:
    """Load the demo data set with its history (idempotent) and print its logins."""
    if code_only:
        click.echo(sample_code())
        return
    try:
        with unit_of_work():
            loaded = load_demo() if bare else load_demo_with_history()
    except DemoRefused as err:
        click.echo(str(err))
        return
    if loaded:
        click.echo("Données de démonstration chargées.")
    elif not quiet_if_loaded:
        click.echo("Données de démonstration déjà présentes.")
    print_logins()



class _Bars:
    """One ``click.progressbar`` per stage of the seed."""

    def __init__(self) -> None:
        """No bar until the first report."""
        self.label: str | None = None
        self.bar: Any = None

    def __call__(self, label: str, done: int, total: int) -> None:
        """Advance the bar of ``label``, opening it (and closing the previous) if new."""
        if label != self.label:
            self.close()
            self.label, self.bar = label, click.progressbar(length=total, label=label)
            self.bar.__enter__()
        self.bar.update(done)

    def close(self) -> None:
        """Close the current bar, if any."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("seed")
@click.option("--scale", type=click.Choice(sorted(SCALES)), default="small", show_default=True,
              help="full : le programme à sa taille réelle ; small : 1/100.")
@click.option("--seed", "rng_seed", type=int, default=1, show_default=True,
              help="Graine du générateur : même graine, mêmes données.")
@with_appcontext
def seed_command(scale: str, rng_seed: int) -> None:
    """Load a generated data set into an empty database, with a progress bar."""
    bars = _Bars()
    try:
        with unit_of_work():
            counts = seed(beneficiaries=SCALES[scale], rng_seed=rng_seed, progress=bars)
    except SeedRefused as err:
        raise click.ClickException(str(err)) from None
    finally:
        bars.close()
    # fresh planner statistics: the tables grew from nothing in one transaction
    with unit_of_work():
        db.session.execute(text("ANALYZE"))
    click.echo(f"Données générées : {counts['beneficiaries']} bénéficiaires, "
               f"{counts['booklets']} chéquiers, {counts['vouchers']} chèques, "
               f"{counts['redemption_lines']} chèques encaissés.")
    click.echo(f"Comptes (mot de passe : {SEED_PASSWORD}) :")
    for email, what in seed_accounts():
        click.echo(f"  {email:<30} {what}")
    click.echo(SAMPLE_CODE_HELP)
