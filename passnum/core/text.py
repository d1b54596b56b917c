"""Name normalisation for duplicate detection."""

from __future__ import annotations

import re
import unicodedata

_NOT_LETTER = re.compile(r"[^a-z0-9]+")


def normalise_name(value: str) -> str:
    """Lower-case, strip accents, and drop hyphens, spaces and apostrophes.

    ``"Le Gall-Éloïse"`` and ``"legall eloise"`` give the same key.
    """
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_LETTER.sub("", plain)


def clean_name(value: str) -> str:
    """Collapse white space in a person's name as typed, keeping its spelling."""
    return " ".join(value.split())
