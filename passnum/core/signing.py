"""Voucher tokens: a voucher serial signed with HMAC-SHA256 (itsdangerous), keys rotating.

The newest key signs; every configured key verifies, so vouchers printed before a
rotation stay valid.
"""

from __future__ import annotations

import hashlib
import re

from flask import current_app
from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_decode, base64_encode

SALT = "passnum.voucher.v1"
MAX_TOKEN_LENGTH = 200
_SERIAL = re.compile(r"^[0-9A-Z-]{4,40}$")


class InvalidToken(ValueError):
    """A forged, altered, truncated or malformed token."""


def _signer(keys: list[str]) -> Signer:
    return Signer(keys, salt=SALT, key_derivation="hmac", digest_method=hashlib.sha256)


def sign_serial(serial: str, keys: list[str] | None = None) -> str:
    """Return the token for a voucher serial, signed with the newest key."""
    signer = _signer(keys or current_app.config["VOUCHER_KEYS"])
    return signer.sign(serial.encode("ascii")).decode("ascii")


def unsign_token(token: str, keys: list[str] | None = None) -> str:
    """Return the serial carried by ``token`` or raise ``InvalidToken``."""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise InvalidToken("malformed")
    signer = _signer(keys or current_app.config["VOUCHER_KEYS"])
    try:
        serial = signer.unsign(token)
    except BadSignature as err:
        raise InvalidToken("bad signature") from err
    # base64 leaves padding bits in the MAC's last symbol that the decoder ignores:
    # only the encoding we print is accepted, so each voucher has exactly one token.
    mac = token.rsplit(signer.sep.decode("ascii"), 1)[1]
    if base64_encode(base64_decode(mac)).decode("ascii") != mac:
        raise InvalidToken("non-canonical encoding")
    text = serial.decode("ascii")
    if not _SERIAL.match(text):
        raise InvalidToken("bad payload")
    return text


def voucher_url(token: str) -> str:
    """Return the public check URL printed in the QR code: ``<base>/v/<token>``."""
    return f"{current_app.config['BASE_URL']}/v/{token}"
