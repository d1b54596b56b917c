"""Issue, print and revoke booklets (the only code that changes them)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import InstrumentedAttribute

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import (
    ensure_may_issue,
    ensure_may_revoke,
    ensure_sees_booklet,
    ensure_sees_person,
    overrides_at_issue,
)
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import (
    Booklet,
    BookletStatus,
    RevokeReason,
    Voucher,
    VoucherStatus,
)
from passnum.booklets.queries import likely_duplicate, live_booklet_of, replaceable_vouchers
from passnum.booklets.reach_facts import note_reach
from passnum.core import codes
from passnum.core.clock import now, today
from passnum.core.formatting import date_fr
from passnum.errors import Conflict, InvalidInput, RuleRefused
from passnum.extensions import db
from passnum.messages.notices import queue_welcome
from passnum.programmes.eligibility import eligibility_problem
from passnum.programmes.models import Allocation, Programme, ProgrammeQuota, Structure
from passnum.programmes.queries import allocation_for, open_programme, quota_for

NUMBER_RANDOM_SYMBOLS = 7
STOCK_BATCH_MAX = 200


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _new_booklet_number(departement_code: str) -> str:
    """``78-K7M2-9QX4``: département, 7 random symbols and a check symbol."""
    while True:
        data = codes.random_symbols(NUMBER_RANDOM_SYMBOLS)
        number = f"{departement_code}-{codes.group(data + codes.check_symbol(data))}"
        if db.session.scalar(select(Booklet.id).where(Booklet.number == number)) is None:
            return number


def _new_manual_codes(count: int) -> list[str]:
    while True:
        fresh = {codes.new_manual_code() for _ in range(count)}
        taken = db.session.scalars(
            select(Voucher.manual_code).where(Voucher.manual_code.in_(fresh))
        ).first()
        if len(fresh) == count and taken is None:
            return sorted(fresh)


def _take_slots(model: type[Allocation] | type[ProgrammeQuota], row_id: int | None,
                limit: InstrumentedAttribute[int], count: int = 1) -> bool:
    """Add ``count`` to ``booklets_issued`` of that row if it stays within ``limit``.

    One conditional UPDATE: of two issuers taking the last slots at once, the second
    finds the condition false once the first commits; a batch takes all or nothing.
    """
    if row_id is None:
        return False
    # an UPDATE's result is a CursorResult: Session.execute() is typed for any statement
    result = cast(CursorResult[Any], db.session.execute(
        update(model)
        .where(model.id == row_id, model.booklets_issued + count <= limit)
        .values(booklets_issued=model.booklets_issued + count)
    ))
    return result.rowcount == 1


def _consume_slot(programme: Programme, structure_id: int, departement_id: int,
                  count: int = 1) -> None:
    """Take ``count`` booklets from the structure's allocation and the département's quota.

    Raises ``RuleRefused`` (``allocation_exhausted``, ``quota_exhausted``).
    """
    allocation = allocation_for(programme.id, structure_id)
    if not _take_slots(Allocation, allocation.id if allocation else None,
                       Allocation.booklets_allocated, count):
        raise RuleRefused(
            "L'allocation de chéquiers de votre structure est épuisée : demandez une nouvelle "
            "allocation à votre gestionnaire DGAS.",
            code="allocation_exhausted",
        )
    quota = quota_for(programme.id, departement_id)
    if not _take_slots(ProgrammeQuota, quota.id if quota else None, ProgrammeQuota.booklet_quota,
                       count):
        raise RuleRefused(
            "Le quota de chéquiers du département est atteint pour ce programme.",
            code="quota_exhausted",
        )


def _check_one_booklet(
    actor: User, beneficiary: Beneficiary, programme: Programme, override_reason: str | None
) -> str | None:
    """Refuse a second booklet or a likely duplicate; return the accepted override."""
    existing = live_booklet_of(beneficiary.id, programme.id)
    if existing is not None:
        raise Conflict(
            f"Cette personne a déjà reçu le chéquier n° {existing.number} le "
            f"{date_fr(existing.issued_at.date())} : un seul chéquier par personne et par "
            "programme. En cas de perte ou de vol, déclarez-le puis émettez un remplaçant.",
            code="booklet_already_issued",
            details={"booklet_id": existing.id},
        )
    duplicate = likely_duplicate(beneficiary.identity_key or "", programme.id, beneficiary.id)
    if duplicate is None:
        return None
    # an administrator may give the reason while issuing; otherwise a manager has
    # recorded it on the person's record beforehand
    reason = (override_reason or "").strip() if overrides_at_issue(actor) else ""
    reason = reason or (beneficiary.duplicate_override_reason or "")
    if reason:
        return reason
    raise Conflict(
        "Une personne de même nom, prénom et date de naissance a déjà reçu un chéquier de "
        f"« {duplicate.structure.name} » le {date_fr(duplicate.issued_at.date())}. S'il "
        "s'agit d'une autre personne, un gestionnaire DGAS peut le confirmer sur la fiche "
        "de la personne en indiquant un motif ; l'émission sera alors acceptée.",
        code="duplicate_beneficiary",
        details={"structure": duplicate.structure.name,
                 "issued_on": duplicate.issued_at.date().isoformat()},
    )


def _check_eligible(beneficiary: Beneficiary, programme: Programme) -> None:
    """Refuse a person outside the programme's territory or below its minimum age,
    unless a manager recorded why they may have a booklet all the same."""
    problem = eligibility_problem(programme, postal_code=beneficiary.postal_code,
                                  birth_date=beneficiary.birth_date, on=today())
    if problem is None or (beneficiary.eligibility_override_reason or "").strip():
        return
    raise RuleRefused(
        f"{problem.message} Si la personne doit tout de même recevoir un chéquier, un "
        "gestionnaire DGAS peut le confirmer sur sa fiche en indiquant un motif.",
        code=problem.code)


def _build(programme: Programme, structure: Structure, actor: User, expires_on: date, *,
           beneficiary: Beneficiary | None, replaces: Booklet | None = None,
           moved: Sequence[Voucher] = ()) -> Booklet:
    """Create a booklet and its vouchers: handed out to ``beneficiary``, or in stock.

    A new booklet gets the programme's vouchers; a replacement (``replaces``) gets one
    voucher per ``moved`` voucher, of the same value and linked to it.
    """
    day, at = today(), now()
    sources: Sequence[Voucher | None] = (
        moved if replaces is not None else [None] * programme.vouchers_per_booklet)
    booklet = Booklet(
        number=_new_booklet_number(structure.departement.code),
        programme_id=programme.id,
        structure_id=structure.id,
        departement_id=structure.departement_id,
        beneficiary_id=beneficiary.id if beneficiary else None,
        status=BookletStatus.HANDED_OUT if beneficiary else BookletStatus.IN_STOCK,
        valid_from=day,
        expires_on=expires_on,
        issued_at=at,
        handed_out_at=at if beneficiary else None,
        issued_by_id=actor.id,
        replaces_booklet_id=replaces.id if replaces else None,
        vouchers_total=len(sources),
    )
    note_reach(booklet, beneficiary)
    db.session.add(booklet)
    db.session.flush()
    manual_codes = _new_manual_codes(len(sources))
    for position, (manual, source) in enumerate(zip(manual_codes, sources, strict=True), 1):
        db.session.add(Voucher(
            booklet_id=booklet.id, position=position, serial=f"{booklet.number}-{position:02d}",
            manual_code=manual,
            value_cents=source.value_cents if source else programme.voucher_value_cents,
            replaces_voucher_id=source.id if source else None,
        ))
    db.session.flush()
    return booklet


def _expiry(programme: Programme) -> date:
    """Last day of validity of a booklet issued today: the validity, within the programme."""
    return min(add_months(today(), programme.validity_months), programme.ends_on)


def issue_booklet(
    actor: User, beneficiary: Beneficiary, *, override_reason: str | None = None
) -> Booklet:
    """Issue a booklet to a beneficiary within allocation and quota (all or nothing);
    the welcome message is queued with it (``messages.notices``).

    Raises ``Conflict`` (``booklet_already_issued``, ``duplicate_beneficiary``) and
    ``RuleRefused`` (``programme_closed``, ``allocation_exhausted``, ``quota_exhausted``).
    """
    ensure_may_issue(actor, beneficiary.structure_id, beneficiary.structure.departement_id,
                     "Bénéficiaire")
    programme = open_programme()
    # Lock the person's row: two issuers for one person run one after the other, so the
    # second sees the first booklet and is refused cleanly (the unique index backs it).
    db.session.execute(
        select(Beneficiary.id).where(Beneficiary.id == beneficiary.id).with_for_update()
    )
    override = _check_one_booklet(actor, beneficiary, programme, override_reason)
    _check_eligible(beneficiary, programme)
    _consume_slot(programme, beneficiary.structure_id, beneficiary.structure.departement_id)
    booklet = _build(programme, beneficiary.structure, actor, _expiry(programme),
                     beneficiary=beneficiary)
    booklet.duplicate_override_reason = override
    record("booklet.issued", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "programme_id": programme.id,
                    "structure_id": booklet.structure_id, "override": override is not None,
                    "vouchers": programme.vouchers_per_booklet})
    queue_welcome(booklet, beneficiary)
    return booklet


def issue_replacement(actor: User, revoked: Booklet) -> Booklet:
    """Replace a lost or stolen booklet by the vouchers its revocation revoked.

    Value is moved, never created: the replacement holds one new voucher (new serial,
    manual code and signed token) per revoked voucher, of the same value, valid until
    the same day; it takes no slot of allocation or quota (the booklet counted once).
    A booklet is replaced once; a revoked replacement may be replaced in turn. The
    revoked booklet's row is locked first, so of two replacements at once the second
    finds the first (the unique links on booklets and vouchers back it).
    A lost stock booklet is replaced into the same structure's stock.

    Raises ``RuleRefused`` (``not_revoked`` unless revoked as lost or stolen,
    ``programme_closed``, ``booklet_expired``, ``nothing_to_replace`` when every voucher
    had been used) and ``Conflict`` (``already_replaced``, ``booklet_already_issued``).
    """
    ensure_may_issue(actor, revoked.structure_id, revoked.departement_id, "Chéquier")
    db.session.refresh(revoked, with_for_update=True)
    if revoked.status != BookletStatus.REVOKED or revoked.revoke_reason == RevokeReason.CANCELLED:
        raise RuleRefused("Seul un chéquier déclaré perdu ou volé peut être remplacé.",
                          code="not_revoked")
    if db.session.scalar(select(Booklet.id).where(Booklet.replaces_booklet_id == revoked.id)):
        raise Conflict("Ce chéquier a déjà été remplacé.", code="already_replaced")
    programme = open_programme()
    if revoked.programme_id != programme.id:
        raise RuleRefused("Le programme de ce chéquier est clos.", code="programme_closed")
    if revoked.expires_on < today():
        raise RuleRefused(f"Ce chéquier a expiré le {date_fr(revoked.expires_on)} : ses chèques "
                          "ne peuvent plus être remplacés.", code="booklet_expired")
    moved = replaceable_vouchers(revoked)
    if not moved:
        raise RuleRefused("Rien à remplacer : aucun chèque de ce chéquier n'a été annulé par "
                          "la révocation (ils avaient tous été utilisés).",
                          code="nothing_to_replace")
    beneficiary = revoked.beneficiary
    if beneficiary is not None and live_booklet_of(beneficiary.id, programme.id) is not None:
        raise Conflict("Cette personne a déjà un chéquier valide.", code="booklet_already_issued")
    structure = beneficiary.structure if beneficiary is not None else revoked.structure
    booklet = _build(programme, structure, actor, revoked.expires_on,
                     beneficiary=beneficiary, replaces=revoked, moved=moved)
    record("booklet.replaced", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "replaces": revoked.number,
                    "vouchers": len(moved),
                    "value_cents": sum(v.value_cents for v in moved)})
    return booklet


def revoke_booklet(actor: User, booklet: Booklet, *, reason: str, note: str = "") -> Booklet:
    """Declare a booklet lost, stolen or cancelled: its unused vouchers are revoked at once.

    Raises ``InvalidInput`` (unknown reason) and ``Conflict`` (``already_revoked``).
    """
    ensure_may_revoke(actor, booklet)
    try:
        kind = RevokeReason(reason)
    except ValueError as err:
        raise InvalidInput("Motif inconnu : perdu, volé ou annulé.", field="reason") from err
    if len(note) > 500:
        raise InvalidInput("Le commentaire est trop long (500 caractères).", field="note")
    if booklet.status == BookletStatus.REVOKED:
        raise Conflict("Ce chéquier est déjà révoqué.", code="already_revoked")
    at = now()
    # an UPDATE's result is a CursorResult: Session.execute() is typed for any statement
    revoked_count = cast(CursorResult[Any], db.session.execute(
        update(Voucher)
        .where(Voucher.booklet_id == booklet.id, Voucher.status == VoucherStatus.ISSUED)
        .values(status=VoucherStatus.REVOKED, revoked_at=at)
        .execution_options(synchronize_session="fetch")
    )).rowcount
    booklet.status = BookletStatus.REVOKED
    booklet.revoked_at, booklet.revoke_reason, booklet.revoke_note = at, kind.value, note.strip()
    db.session.flush()
    record("booklet.revoked", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "reason": kind.value,
                    "vouchers_revoked": revoked_count})
    return booklet


def record_print(actor: User, booklet: Booklet) -> None:
    """Count and audit one printing (download) of a booklet's PDF.

    A revoked booklet's chèques are void, so it is never printed again: raises
    ``RuleRefused`` (``booklet_revoked``) and ``NotFound`` (out of scope).
    """
    ensure_sees_booklet(actor, booklet)
    if booklet.status == BookletStatus.REVOKED:
        raise RuleRefused("Ce chéquier est révoqué : il ne peut plus être imprimé.",
                          code="booklet_revoked")
    booklet.printed_count += 1
    record("booklet.printed", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "copy": booklet.printed_count})


@dataclass(frozen=True)
class StockBatch:
    """Booklets printed together for a structure's stock, and the audit event naming them."""

    event_id: int
    booklets: list[Booklet]


def issue_stock(actor: User, structure: Structure, *, count: int) -> StockBatch:
    """Create ``count`` booklets in stock for ``structure`` (no beneficiary yet).

    All or nothing: the allocation and the quota each take ``count`` slots in one
    conditional UPDATE, so a batch larger than what is left creates no booklet.
    Raises ``InvalidInput`` (``invalid_count``), ``NotFound`` (out of scope) and
    ``RuleRefused`` (``programme_closed``, ``allocation_exhausted``, ``quota_exhausted``).
    """
    ensure_may_issue(actor, structure.id, structure.departement_id)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= STOCK_BATCH_MAX:
        raise InvalidInput(f"Indiquez un nombre de chéquiers entre 1 et {STOCK_BATCH_MAX}.",
                           code="invalid_count", field="count")
    programme = open_programme()
    _consume_slot(programme, structure.id, structure.departement_id, count)
    expires_on = _expiry(programme)
    booklets = [_build(programme, structure, actor, expires_on, beneficiary=None)
                for _ in range(count)]
    event = record("booklet.stock_issued", actor_id=actor.id, object_type="structure",
                   object_id=structure.id,
                   details={"count": count, "programme_id": programme.id,
                            "numbers": [b.number for b in booklets],
                            "vouchers": programme.vouchers_per_booklet})
    return StockBatch(event.id, booklets)


def hand_out(actor: User, booklet: Booklet, beneficiary: Beneficiary, *,
             override_reason: str | None = None) -> Booklet:
    """Give a stock booklet to a beneficiary of its structure; its dates are kept, and
    the welcome message is queued with it (``messages.notices``).

    The booklet's row then the person's are locked, so two hand-outs of one booklet, or
    to one person, are decided one after the other. Raises ``NotFound`` (out of scope),
    ``Conflict`` (``not_in_stock``, ``booklet_already_issued``, ``duplicate_beneficiary``)
    and ``RuleRefused`` (``other_structure``, ``programme_closed``).
    """
    ensure_may_issue(actor, booklet.structure_id, booklet.departement_id, "Chéquier")
    ensure_sees_person(actor, beneficiary)
    status = db.session.execute(
        select(Booklet.id, Booklet.status).where(Booklet.id == booklet.id).with_for_update()
    ).one().status
    if status != BookletStatus.IN_STOCK:
        raise Conflict(f"Le chéquier n° {booklet.number} n'est pas (ou plus) en stock : il a "
                       "déjà été remis ou a été révoqué.", code="not_in_stock")
    if beneficiary.structure_id != booklet.structure_id:
        raise RuleRefused("Ce chéquier appartient au stock d'une autre structure que celle de "
                          "la personne.", code="other_structure")
    programme = booklet.programme
    if not programme.is_open_on(today()):
        raise RuleRefused("Le programme de ce chéquier est clos : il ne peut plus être remis.",
                          code="programme_closed")
    db.session.execute(
        select(Beneficiary.id).where(Beneficiary.id == beneficiary.id).with_for_update()
    )
    override = _check_one_booklet(actor, beneficiary, programme, override_reason)
    _check_eligible(beneficiary, programme)
    booklet.status = BookletStatus.HANDED_OUT
    booklet.beneficiary_id = beneficiary.id
    booklet.handed_out_at = now()
    note_reach(booklet, beneficiary)
    booklet.duplicate_override_reason = override
    db.session.flush()
    record("booklet.handed_out", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "beneficiary_id": beneficiary.id,
                    "structure_id": booklet.structure_id, "override": override is not None})
    queue_welcome(booklet, beneficiary)
    return booklet
