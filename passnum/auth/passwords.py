"""Password policy: long enough, not common, not guessable from the account itself.

Commonness is judged with zxcvbn (Dropbox's estimator), whose dictionaries hold the
30,000 most common passwords and frequent names and words; a password must be at least
``MIN_LENGTH`` characters and rated 3 out of 4 ("safely unguessable") or better.
"""

from __future__ import annotations

import re

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from passnum.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
# zxcvbn's cost grows with length: rate the first characters only (already enough)
RATED_LENGTH = 64
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def check_password(password: str, *, email: str = "", full_name: str = "") -> None:
    """Refuse a weak password with a French message (``InvalidInput``, field password)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.",
                           field="password", code="weak_password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Le mot de passe ne peut dépasser {MAX_LENGTH} caractères.",
                           field="password", code="weak_password")
    if password.lower() in _COMMON:
        raise InvalidInput("Ce mot de passe figure parmi les plus courants : choisissez-en "
                           "un autre.", field="password", code="weak_password")
    local = email.split("@", 1)[0]
    hints = [part for part in re.split(r"[^\w]+", f"{local} {full_name}".lower())
             if len(part) >= 4]
    if any(part in password.lower() for part in hints):
        raise InvalidInput("Le mot de passe ne doit contenir ni votre nom ni votre adresse "
                           "e-mail.", field="password", code="weak_password")
    if zxcvbn(password[:RATED_LENGTH], user_inputs=hints)["score"] < MIN_SCORE:
        raise InvalidInput("Ce mot de passe est trop facile à deviner (mot courant, suite de "
                           "touches, nom ou adresse du compte…). Une phrase de plusieurs mots "
                           "est à la fois sûre et facile à retenir.",
                           field="password", code="weak_password")
