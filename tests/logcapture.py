"""Every log record of the test run, and the personal data the run created.

``install`` (called from ``conftest.pytest_configure``) puts a handler on the root
logger at DEBUG that keeps each formatted record, makes the libraries' loggers
propagate to it, and listens for every ``Beneficiary`` inserted through the ORM to note
its names and birth date. ``tests/test_no_personal_data_in_logs.py`` runs last and
checks that none of those values was ever logged.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import event

MIN_LENGTH = 3
LOG_FORMAT = "%(name)s %(levelname)s %(message)s"
# loggers that must reach the root handler (none of them is left to print on its own)
PROPAGATING = ("werkzeug", "flask", "passnum", "sqlalchemy", "sqlalchemy.engine")


class KeepRecords(logging.Handler):
    """A handler that keeps every formatted record (tracebacks included)."""

    def __init__(self) -> None:
        """Accept every level."""
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter(LOG_FORMAT))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record as it would be written."""
        try:
            self.lines.append(self.format(record))
        except Exception:  # a broken record must not fail the test that logged it
            self.handleError(record)


RECORDS = KeepRecords()
PERSONAL_VALUES: set[str] = set()


def _note_beneficiary(_mapper: Any, _connection: Any, target: Any) -> None:
    """Note the names and birth date (ISO and French forms) of an inserted beneficiary."""
    values = [target.first_name, target.last_name]
    if isinstance(target.birth_date, date):
        values += [target.birth_date.isoformat(), target.birth_date.strftime("%d/%m/%Y")]
    PERSONAL_VALUES.update(v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH)


def install() -> None:
    """Capture every log record of the run and note every beneficiary created."""
    from passnum.beneficiaries.models import Beneficiary

    root = logging.getLogger()
    if RECORDS not in root.handlers:
        root.addHandler(RECORDS)
    root.setLevel(logging.DEBUG)
    for name in PROPAGATING:
        logging.getLogger(name).propagate = True
    # With the root at DEBUG, SQLAlchemy would log every statement and its parameters
    # (names included): that is SQL echo, which production never turns on. The pool's
    # per-checkout debug lines hold no data and would only swell the capture.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy.pool").setLevel(logging.INFO)
    # The tests' SMTP server (aiosmtpd, tests/mailserver.py) logs every line it receives
    # at DEBUG and INFO: that is the mail server's own log of the e-mails passnum sends
    # (to a beneficiary, with their name), not a log of passnum's.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    if not event.contains(Beneficiary, "before_insert", _note_beneficiary):
        event.listen(Beneficiary, "before_insert", _note_beneficiary)


def _fold(text: str) -> str:
    """Case-, accent- and punctuation-blind form: words separated by single spaces."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text)
                    if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"\w+", plain))


def _is_date(value: str) -> bool:
    """True for a birth date as noted (ISO or French form)."""
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", value))


def leaked(records: Iterable[str], values: Iterable[str]) -> list[str]:
    """The ``values`` found in ``records``, sorted.

    A name matches as whole words, blind to case, accents and punctuation (so
    ``Ménard-Lefèvre`` is found as ``MENARD LEFEVRE`` or ``menardlefevre``, but ``Léa``
    is not found inside ``Léandre``); a birth date matches as written.
    """
    lines = list(records)
    raw = "\n".join(lines)
    folded_lines = [_fold(line) for line in lines]
    words = {w for line in folded_lines for w in line.split()}
    folded_text = "\n".join(f" {line} " for line in folded_lines)
    found = set()
    for value in values:
        if _is_date(value):
            if value in raw:
                found.add(value)
            continue
        folded = _fold(value)
        if not folded:
            continue
        joined = folded.replace(" ", "")
        if joined in words or (" " in folded and f" {folded} " in folded_text):
            found.add(value)
    return sorted(found)
