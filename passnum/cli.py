"""Command-line interface: ``flask --app passnum …``."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every domain's commands."""
    from passnum.audit.commands import audit_cli
    from passnum.auth.commands import users_cli
    from passnum.beneficiaries.commands import purge_command
    from passnum.core.commands import backup_command, keys_cli, restore_command
    from passnum.dashboard.commands import stats_cli
    from passnum.redemptions.commands import redemptions_cli
    from passnum.sample.commands import demo_command, seed_command
    from passnum.statements.commands import statements_cli

    for command in (users_cli, keys_cli, audit_cli, redemptions_cli, demo_command,
                    seed_command, stats_cli, statements_cli, purge_command,
                    backup_command, restore_command):
        app.cli.add_command(command)
