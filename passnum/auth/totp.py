"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as
computed by every authenticator app (pyotp), and the enrolment QR code (an SVG path)."""

from __future__ import annotations

from datetime import datetime

import pyotp
from pyotp.exceptions import OTPVerificationError

from passnum.core import qr

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "Pass numérique 78-92"
# one step either side: a phone clock a little off, or a code typed as it changes
DRIFT_STEPS = 1
SECRET_LENGTH = 32  # base32 characters: 160 bits, as RFC 4226 recommends


def _totp(secret: str) -> pyotp.TOTP:
    """The one-time passwords of ``secret`` (base32, padding optional)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS, issuer=ISSUER)


def new_secret() -> str:
    """A random 160-bit secret, base32 as authenticator apps expect."""
    return pyotp.random_base32(SECRET_LENGTH)


def step_of(at: datetime) -> int:
    """The 30-second time step of the instant ``at``."""
    return int(at.timestamp()) // STEP_SECONDS


def code_for(secret: str, step: int) -> str:
    """The code of ``secret`` for time step ``step``."""
    return _totp(secret).generate_otp(step)


def current_code(secret: str, at: datetime) -> str:
    """The code an app shows for ``secret`` at the instant ``at``."""
    return code_for(secret, step_of(at))


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step near ``at`` whose code is ``code`` (spaces ignored), else None.

    The caller keeps the step of the last code accepted, so that no code serves twice.
    """
    code = "".join((code or "").split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    try:
        return _totp(secret).verify_and_get_timecode(code, for_time=at,
                                                     valid_window=DRIFT_STEPS)
    except OTPVerificationError:
        return None


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return _totp(secret).provisioning_uri(name=account)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element (one path, no script)."""
    return qr.qr_svg(uri, label="Code QR à scanner avec l'application")


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
