"""Names: normalisation for duplicate detection, refusal of hidden characters."""

from __future__ import annotations

import re
import unicodedata

from passnum.errors import InvalidInput

_NOT_LETTER = re.compile(r"[^a-z0-9]+")


def normalise_name(value: str) -> str:
    """Lower-case, strip accents, and drop hyphens, spaces and apostrophes.

    ``"Le Gall-Éloïse"`` and ``"legall eloise"`` give the same key.
    """
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return _NOT_LETTER.sub("", plain)


_NAME_PART = re.compile(r"([\s'’-]+)")


def first_name_case(value: str) -> str:
    """A first name written as last names are shown, alike whoever typed it: each part
    (between spaces, hyphens and apostrophes) capitalised, the rest in lower case;
    accents kept as typed. ``"jean-pierre"`` and ``"JEAN-PIERRE"`` give ``"Jean-Pierre"``."""
    return "".join(part.capitalize() for part in _NAME_PART.split(value))


def clean_name(value: str) -> str:
    """Collapse white space in a person's name as typed, keeping its spelling."""
    return " ".join(value.split())


# Controls (C0, C1), format characters (bidi embeddings, overrides, isolates and marks,
# zero-width spaces and joiners, soft hyphen, BOM), private-use and surrogate code points,
# line and paragraph separators: a name holding one displays differently from what it
# holds (a reversed tail, an invisible letter that defeats duplicate detection).
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})
# ordinary white space typed or pasted is tidied by ``clean_name``, not refused
_ORDINARY_SPACE = frozenset("\t\n\r")


def check_name_characters(value: str, *, field: str, label: str) -> str:
    """Return ``value`` unchanged if it holds no hidden character.

    The one check for every name of a person or an organisation. Raises
    ``InvalidInput`` (``invalid_characters``) naming ``field`` and the code point.
    """
    for char in value:
        if char not in _ORDINARY_SPACE and unicodedata.category(char) in _HIDDEN_CATEGORIES:
            raise InvalidInput(
                f"{label} contient un caractère invisible ou de contrôle (U+{ord(char):04X}) : "
                "retapez-le sans copier-coller.", code="invalid_characters", field=field)
    return value
