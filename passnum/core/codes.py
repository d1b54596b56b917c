"""Manual voucher codes and public numbers in Crockford base32 with a check character.

A manual code is 11 random symbols (55 secret bits) plus one Luhn mod 32 check symbol,
shown as ``K7M2-9QXP-4TJ6``. Typing is forgiving: case, dashes and spaces are ignored,
``O`` reads as ``0`` and ``I``/``L`` as ``1``.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
MANUAL_CODE_DATA_LENGTH = 11
MANUAL_CODE_LENGTH = MANUAL_CODE_DATA_LENGTH + 1
MAX_TYPED_LENGTH = 64


class MalformedCode(ValueError):
    """The text is not a well-formed code (wrong symbols, length or check character)."""


def check_symbol(data: str) -> str:
    """Return the Luhn mod 32 check symbol for ``data`` (canonical symbols)."""
    factor, total, n = 2, 0, len(ALPHABET)
    for ch in reversed(data):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def is_valid_check(code: str) -> bool:
    """True when the last symbol of canonical ``code`` is the check of the rest."""
    return len(code) >= 2 and check_symbol(code[:-1]) == code[-1]


def random_symbols(length: int) -> str:
    """Return ``length`` random Crockford symbols from the system CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_manual_code() -> str:
    """Return a new canonical manual code (12 symbols, no dashes)."""
    data = random_symbols(MANUAL_CODE_DATA_LENGTH)
    return data + check_symbol(data)


def canonical(typed: str) -> str:
    """Normalise typed text to canonical symbols, or raise ``MalformedCode``."""
    if len(typed) > MAX_TYPED_LENGTH:
        raise MalformedCode("too long")
    text = "".join(typed.split()).replace("-", "").upper().translate(_ALIASES)
    if not text or any(ch not in _VALUE for ch in text):
        raise MalformedCode("bad symbol")
    return text


def parse_manual_code(typed: str) -> str:
    """Return the canonical manual code for ``typed`` or raise ``MalformedCode``."""
    code = canonical(typed)
    if len(code) != MANUAL_CODE_LENGTH or not is_valid_check(code):
        raise MalformedCode("bad length or check character")
    return code


def group(code: str, size: int = 4) -> str:
    """Format canonical symbols in dash-separated groups: ``K7M2-9QXP-4TJ6``."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))
