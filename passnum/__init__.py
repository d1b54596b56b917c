"""passnum: the Pass Numérique programme of the départements 78 and 92."""

from __future__ import annotations

from typing import Any

from flask import Flask

from passnum.core.paths import MIGRATIONS, PACKAGE, ROOT, STATIC, TEMPLATES

__all__ = ["MIGRATIONS", "PACKAGE", "ROOT", "STATIC", "TEMPLATES", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands."""
    from passnum import config, models  # noqa: F401  (models: register every table)
    from passnum.audit.services import record_note
    from passnum.auth import policy, throttle
    from passnum.auth.loading import init_login
    from passnum.cli import register_commands
    from passnum.core import logging as structured_logging
    from passnum.core import ratelimit
    from passnum.core.db import install_idle_ping, install_sqlite_pragmas, record_refusals_with
    from passnum.core.files import private_dir, private_sqlite_file
    from passnum.core.proxy import TrustedProxies, parse_networks
    from passnum.errors import register_error_handlers
    from passnum.extensions import csrf, db, migrate
    from passnum.web import register_blueprints, register_static_caching, register_template_helpers

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(TEMPLATES),
        static_folder=str(STATIC),
    )
    private_dir(app.instance_path)  # secrets, the SQLite database: the owner's alone
    app.config.from_mapping(config.load(app.instance_path, test_config))
    private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    install_sqlite_pragmas()
    db.init_app(app)
    install_idle_ping(app)
    record_refusals_with(app, record_note)  # refusals' audit notes outlive the rollback
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    ratelimit.install(app)
    throttle.install(app)
    init_login(app)
    structured_logging.install(app)  # first: every request has its id from the start
    register_error_handlers(app)
    register_template_helpers(app)
    register_static_caching(app)
    register_blueprints(app)
    policy.install(app)  # after the blueprints' own checks (session age)
    register_commands(app)
    # outermost: every layer below sees the client's address, not the proxy's
    app.wsgi_app = TrustedProxies(app.wsgi_app,  # type: ignore[method-assign]
                                  parse_networks(app.config["TRUSTED_PROXIES"]))
    return app
