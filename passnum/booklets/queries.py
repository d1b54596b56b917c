"""Reads on booklets and vouchers: scoped lookups and code resolution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased, selectinload

from passnum.audit.models import AuditEvent
from passnum.auth.models import User
from passnum.auth.scope import ensure_sees_booklet, ensure_sees_structure, scope_filter
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import (
    Booklet,
    BookletStatus,
    RevokeReason,
    Voucher,
    VoucherStatus,
)
from passnum.core import codes
from passnum.core.clock import today
from passnum.core.signing import InvalidToken, unsign_token
from passnum.errors import InvalidInput, NotFound
from passnum.extensions import db
from passnum.programmes.models import Structure

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

BOOKLET_NUMBER_BODY = 8  # 7 random symbols and the check symbol, after the département
STOCK_BATCHES_SHOWN = 10


def get_booklet(actor: User, booklet_id: int) -> Booklet:
    """Return the booklet (vouchers loaded) if in ``actor``'s scope; else ``NotFound``."""
    booklet = db.session.scalar(
        select(Booklet).options(selectinload(Booklet.vouchers)).where(Booklet.id == booklet_id)
    )
    if booklet is None:
        raise NotFound("Chéquier introuvable.")
    ensure_sees_booklet(actor, booklet)
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
    """Derived state (docs/product.md): in_stock, handed_out, started, finished, revoked,
    expired."""
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


def replaceable_vouchers(booklet: Booklet) -> list[Voucher]:
    """The vouchers a replacement of ``booklet`` carries: those its revocation revoked,
    not yet replaced, in position order (none for a booklet whose vouchers were used)."""
    copy = aliased(Voucher)
    return list(db.session.scalars(
        select(Voucher)
        .where(Voucher.booklet_id == booklet.id, Voucher.status == VoucherStatus.REVOKED,
               ~exists().where(copy.replaces_voucher_id == Voucher.id))
        .order_by(Voucher.position)
    ))


@dataclass(frozen=True)
class ReplacementOutlook:
    """What the booklet page says of replacing a lost or stolen booklet."""

    vouchers: int
    value_cents: int
    expires_on: date
    is_expired: bool
    replaced_by: Booklet | None


def replacement_outlook(booklet: Booklet) -> ReplacementOutlook | None:
    """For a booklet revoked as lost or stolen: its replacement if any, else what one
    would reissue (count, value, validity end); ``None`` for any other booklet."""
    if booklet.status != BookletStatus.REVOKED or booklet.revoke_reason not in (
            RevokeReason.LOST, RevokeReason.STOLEN):
        return None
    replaced_by = db.session.scalar(
        select(Booklet).where(Booklet.replaces_booklet_id == booklet.id))
    moved = [] if replaced_by else replaceable_vouchers(booklet)
    return ReplacementOutlook(len(moved), sum(v.value_cents for v in moved),
                              booklet.expires_on, booklet.expires_on < today(), replaced_by)


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


def booklet_number(typed: str) -> str:
    """The stored form (``78-K7M2-9QX4``) of a booklet number as typed or scanned.

    Case, dashes and spaces do not matter, ``O`` reads as ``0`` and ``I``/``L`` as ``1``.
    Raises ``InvalidInput`` (``invalid_booklet_number``) when the symbols or the check
    symbol are wrong, before any database access.
    """
    try:
        text = codes.canonical(typed or "")
    except codes.MalformedCode as err:
        raise _bad_number() from err
    departement, body = text[:-BOOKLET_NUMBER_BODY], text[-BOOKLET_NUMBER_BODY:]
    if not 1 <= len(departement) <= 3 or not codes.is_valid_check(body):
        raise _bad_number()
    return f"{departement}-{codes.group(body)}"


def _bad_number() -> InvalidInput:
    return InvalidInput(
        "Numéro de chéquier invalide : vérifiez la saisie (il a la forme 78-K7M2-9QX4, "
        "un caractère est probablement erroné).",
        code="invalid_booklet_number", field="number",
    )


def find_booklet_by_number(actor: User, typed: str) -> Booklet:
    """The booklet with that number in ``actor``'s scope.

    Raises ``InvalidInput`` (``invalid_booklet_number``) and ``NotFound``.
    """
    number = booklet_number(typed)
    booklet = db.session.scalar(
        select(Booklet).where(
            Booklet.number == number,
            scope_filter(actor, Booklet.structure_id, Booklet.departement_id),
        )
    )
    if booklet is None:
        raise NotFound(f"Aucun chéquier n° {number} dans votre périmètre.", code="not_found")
    return booklet


def get_structure(actor: User, structure_id: int) -> Structure:
    """The structure if in ``actor``'s scope; else ``NotFound``."""
    structure = db.session.get(Structure, structure_id)
    if structure is None:
        raise NotFound("Structure introuvable.")
    ensure_sees_structure(actor, structure)
    return structure


def structures_in_scope(actor: User) -> list[Structure]:
    """Active structures whose stock ``actor`` may manage, by name."""
    return list(db.session.scalars(
        select(Structure)
        .where(Structure.is_active.is_(True),
               scope_filter(actor, Structure.id, Structure.departement_id))
        .order_by(Structure.name)
    ))


def stock_of(actor: User, structure: Structure) -> list[Booklet]:
    """The structure's booklets in stock, oldest first (``NotFound`` out of scope)."""
    ensure_sees_structure(actor, structure)
    return list(db.session.scalars(
        select(Booklet)
        .where(Booklet.structure_id == structure.id, Booklet.status == BookletStatus.IN_STOCK)
        .order_by(Booklet.issued_at, Booklet.number)
    ))


@dataclass(frozen=True)
class StockBatchRow:
    """One stock printing as listed on the stock page."""

    event_id: int
    created_at: datetime
    count: int
    first_number: str
    last_number: str


def stock_batches(actor: User, structure: Structure) -> list[StockBatchRow]:
    """The structure's latest stock printings (``booklet.stock_issued`` events)."""
    ensure_sees_structure(actor, structure)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "booklet.stock_issued",
               AuditEvent.object_type == "structure",
               AuditEvent.object_id == str(structure.id))
        .order_by(AuditEvent.seq.desc())
        .limit(STOCK_BATCHES_SHOWN)
    )
    rows = []
    for event in events:
        details = json.loads(event.details)
        rows.append(StockBatchRow(event.id, event.created_at, details["count"],
                                  details["numbers"][0], details["numbers"][-1]))
    return rows


def stock_batch_ids(actor: User, event_id: int) -> tuple[Structure, list[int]]:
    """The structure and the ids of a stock batch's booklets still in stock, in order.

    Raises ``NotFound`` for an unknown batch or one out of ``actor``'s scope.
    """
    event = db.session.get(AuditEvent, event_id)
    if event is None or event.action != "booklet.stock_issued" or not event.object_id:
        raise NotFound("Lot de chéquiers introuvable.")
    structure = db.session.get(Structure, int(event.object_id))
    if structure is None:
        raise NotFound("Lot de chéquiers introuvable.")
    ensure_sees_structure(actor, structure, "Lot de chéquiers")
    numbers = json.loads(event.details)["numbers"]
    rows = db.session.execute(
        select(Booklet.id, Booklet.number)
        .where(Booklet.number.in_(numbers), Booklet.status == BookletStatus.IN_STOCK)
    ).all()
    position = {number: i for i, number in enumerate(numbers)}
    return structure, [row.id for row in sorted(rows, key=lambda r: position[r.number])]


def booklets_with_vouchers(ids: list[int]) -> list[Booklet]:
    """The booklets with those ids, vouchers loaded, in the order of ``ids``."""
    found = {b.id: b for b in db.session.scalars(
        select(Booklet).options(selectinload(Booklet.vouchers)).where(Booklet.id.in_(ids))
    )}
    return [found[i] for i in ids if i in found]
