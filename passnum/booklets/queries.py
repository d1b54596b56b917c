"""Reads on booklets and vouchers: scoped lookups and code resolution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from passnum.auth.models import User
from passnum.auth.permissions import ensure_in_scope
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
from passnum.core import codes
from passnum.core.clock import today
from passnum.core.signing import InvalidToken, unsign_token
from passnum.errors import NotFound
from passnum.extensions import db

STATE_LABELS = {
    "in_stock": "En stock",
    "handed_out": "Remis",
    "started": "Entamé",
    "finished": "Terminé",
    "revoked": "Révoqué",
    "expired": "Expiré",
    "issued": "Valide",
    "redeemed": "Encaissé",
    "not_activated": "Non remis",
}


def get_booklet(actor: User, booklet_id: int) -> Booklet:
    """Return the booklet (vouchers loaded) if in ``actor``'s scope; else ``NotFound``."""
    booklet = db.session.scalar(
        select(Booklet).options(selectinload(Booklet.vouchers)).where(Booklet.id == booklet_id)
    )
    if booklet is None:
        raise NotFound("Chéquier introuvable.")
    ensure_in_scope(actor, booklet.structure_id, booklet.departement_id, "Chéquier")
    return booklet


def live_booklet_of(beneficiary_id: int, programme_id: int) -> Booklet | None:
    """The beneficiary's non-revoked booklet in the programme, if any."""
    return db.session.scalar(
        select(Booklet).where(
            Booklet.beneficiary_id == beneficiary_id,
            Booklet.programme_id == programme_id,
            Booklet.status != BookletStatus.REVOKED,
        )
    )


def likely_duplicate(
    identity_key: str, programme_id: int, exclude_beneficiary_id: int
) -> Booklet | None:
    """A live booklet of the programme held by another person with the same identity."""
    return db.session.scalar(
        select(Booklet)
        .join(Beneficiary, Beneficiary.id == Booklet.beneficiary_id)
        .where(
            Beneficiary.identity_key == identity_key,
            Beneficiary.id != exclude_beneficiary_id,
            Booklet.programme_id == programme_id,
            Booklet.status != BookletStatus.REVOKED,
        )
        .limit(1)
    )


def booklet_state(booklet: Booklet, *, on: date | None = None) -> str:
    """Derived state of SPEC: in_stock, handed_out, started, finished, revoked, expired."""
    if booklet.status in (BookletStatus.REVOKED, BookletStatus.IN_STOCK):
        return booklet.status
    used = sum(1 for v in booklet.vouchers if v.status == VoucherStatus.REDEEMED)
    if used == len(booklet.vouchers):
        return "finished"
    if booklet.expires_on < (on or today()):
        return "expired"
    return "started" if used else "handed_out"


def voucher_state(voucher: Voucher, *, on: date | None = None) -> str:
    """Derived state of one voucher: issued, redeemed, revoked, expired, not_activated."""
    if voucher.status != VoucherStatus.ISSUED:
        return voucher.status
    if voucher.booklet.status == BookletStatus.IN_STOCK:
        return "not_activated"
    if voucher.booklet.expires_on < (on or today()):
        return "expired"
    return "issued"


@dataclass(frozen=True)
class ParsedCode:
    """What a scanned or typed code designates: a serial (signed) or a manual code."""

    serial: str | None = None
    manual_code: str | None = None


def parse_code(text: str) -> ParsedCode:
    """Accept a check URL, a bare token or a manual code; raise ``ValueError`` if none.

    Tokens are verified (signature) here, before any database access.
    """
    raw = (text or "").strip()
    if not raw or len(raw) > 300:
        raise ValueError("empty or too long")
    if "/v/" in raw:
        path = urlsplit(raw).path if "://" in raw else raw
        raw = path.rsplit("/v/", 1)[-1].strip("/")
    if "." in raw:
        try:
            return ParsedCode(serial=unsign_token(raw))
        except InvalidToken as err:
            raise ValueError(str(err)) from err
    try:
        return ParsedCode(manual_code=codes.parse_manual_code(raw))
    except codes.MalformedCode as err:
        raise ValueError(str(err)) from err


def find_voucher(parsed: ParsedCode) -> Voucher | None:
    """Return the voucher designated by a parsed code, booklet loaded."""
    query = select(Voucher).options(selectinload(Voucher.booklet))
    if parsed.serial is not None:
        query = query.where(Voucher.serial == parsed.serial)
    else:
        query = query.where(Voucher.manual_code == parsed.manual_code)
    return db.session.scalar(query)
