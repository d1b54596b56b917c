"""The sample accounts' second factor: one published authenticator key.

The demo's and the generated data set's administrators and managers log in with a
second factor. Its key is published, like their passwords: never on real accounts.
"""

from __future__ import annotations

from passnum.auth import totp
from passnum.auth.models import User
from passnum.core.clock import now

SAMPLE_TOTP_SECRET = "PASSNUMDEMOTOTPKEYPUBLIC"  # noqa: S105  (published, documented)
SAMPLE_CODE_HELP = (
    "Administrateurs et gestionnaires : code à 6 chiffres de l'application "
    f"d'authentification, clé {SAMPLE_TOTP_SECRET} ; ou le code du moment avec "
    "« flask --app passnum demo --code ».")


def enable_sample_second_factor(user: User) -> None:
    """Set up the published authenticator key on a demo or generated account."""
    user.totp_secret, user.totp_enabled_at = SAMPLE_TOTP_SECRET, now()


def sample_code() -> str:
    """The current code of the published authenticator key."""
    return totp.current_code(SAMPLE_TOTP_SECRET, now())
