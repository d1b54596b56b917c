"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), as
computed by every authenticator app, and the enrolment QR code (an SVG path)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime
from io import BytesIO
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "Pass numérique 78-92"
# one step either side: a phone clock a little off, or a code typed as it changes
DRIFT_STEPS = 1


def new_secret() -> str:
    """A random 160-bit secret, base32 as authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def step_of(at: datetime) -> int:
    """The 30-second time step of the instant ``at``."""
    return int(at.timestamp()) // STEP_SECONDS


def code_for(secret: str, step: int) -> str:
    """The code of ``secret`` for time step ``step``."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** DIGITS).zfill(DIGITS)


def current_code(secret: str, at: datetime) -> str:
    """The code an app shows for ``secret`` at the instant ``at``."""
    return code_for(secret, step_of(at))


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step near ``at`` whose code is ``code`` (spaces ignored), else None."""
    code = "".join((code or "").split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now_step = step_of(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    label = quote(f"{ISSUER}:{account}")
    query = urlencode({"secret": secret, "issuer": ISSUER, "digits": DIGITS,
                       "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element (one path, no script)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8,
                        border=2)
    out = BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return ('<svg role="img" aria-label="Code QR à scanner avec l\'application"'
            + svg[svg.index("<svg") + 4:])


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
