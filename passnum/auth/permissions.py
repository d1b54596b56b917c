"""A bare role check, for the callers not yet moved to ``passnum.auth.scope``.

Scope and role predicates live in ``passnum.auth.scope``; this module keeps only
``require_role`` for the JSON endpoints that still call it.
"""

from __future__ import annotations

from passnum.auth.models import Role, User
from passnum.auth.scope import require


def require_role(actor: User, *roles: Role) -> None:
    """Raise ``Forbidden`` unless ``actor`` has one of ``roles``."""
    require(actor.role in roles)
