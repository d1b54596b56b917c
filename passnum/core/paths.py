"""Where the package's folders are: templates, static files, migrations.

templates/, static/ and migrations/ live at the repository's root (npm builds
static/vendor/ there, Flask-Migrate writes revisions there); passnum/templates,
passnum/static and passnum/migrations are links to them, which a built wheel turns into
the folders themselves: one path, in a checkout and in a plain `pip install`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent  # the repository's root, in a checkout
TEMPLATES, STATIC, MIGRATIONS = PACKAGE / "templates", PACKAGE / "static", PACKAGE / "migrations"
