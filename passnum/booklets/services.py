"""Issue, print and revoke booklets (the only code that changes them)."""

from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.auth.permissions import ensure_in_scope, require_role
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import (
    Booklet,
    BookletStatus,
    RevokeReason,
    Voucher,
    VoucherStatus,
)
from passnum.booklets.queries import likely_duplicate, live_booklet_of
from passnum.core import codes
from passnum.core.clock import now, today
from passnum.core.formatting import date_fr
from passnum.errors import Conflict, InvalidInput, RuleRefused
from passnum.extensions import db
from passnum.programmes.models import Allocation, Programme, ProgrammeQuota
from passnum.programmes.queries import allocation_for, open_programme, quota_for

NUMBER_RANDOM_SYMBOLS = 7
OVERRIDE_ROLES = (Role.ADMIN, Role.MANAGER)


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


def _take_one(model: type[Allocation] | type[ProgrammeQuota], row_id: int | None,
              limit: InstrumentedAttribute[int]) -> bool:
    """Add one to ``booklets_issued`` of that row if it stays within ``limit``.

    A conditional UPDATE: of two issuers taking the last slot at once, the second finds
    the condition false once the first commits.
    """
    if row_id is None:
        return False
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.booklets_issued < limit)
        .values(booklets_issued=model.booklets_issued + 1)
    )
    return result.rowcount == 1


def _consume_slot(programme: Programme, structure_id: int, departement_id: int) -> None:
    """Take one booklet from the structure's allocation and the département's quota."""
    allocation = allocation_for(programme.id, structure_id)
    if not _take_one(Allocation, allocation and allocation.id, Allocation.booklets_allocated):
        raise RuleRefused(
            "L'allocation de chéquiers de votre structure est épuisée : demandez une nouvelle "
            "allocation à votre gestionnaire DGAS.",
            code="allocation_exhausted",
        )
    quota = quota_for(programme.id, departement_id)
    if not _take_one(ProgrammeQuota, quota and quota.id, ProgrammeQuota.booklet_quota):
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
    reason = (override_reason or "").strip()
    if actor.role in OVERRIDE_ROLES and reason:
        return reason
    raise Conflict(
        "Une personne de même nom, prénom et date de naissance a déjà reçu un chéquier de "
        f"« {duplicate.structure.name} » le {date_fr(duplicate.issued_at.date())}. S'il "
        "s'agit d'une autre personne, un gestionnaire DGAS peut valider l'émission en "
        "indiquant un motif.",
        code="duplicate_beneficiary",
        details={"structure": duplicate.structure.name,
                 "issued_on": duplicate.issued_at.date().isoformat()},
    )


def _build(programme: Programme, beneficiary: Beneficiary, actor: User,
           expires_on: date, replaces: Booklet | None) -> Booklet:
    structure = beneficiary.structure
    day = today()
    booklet = Booklet(
        number=_new_booklet_number(structure.departement.code),
        programme_id=programme.id,
        structure_id=structure.id,
        departement_id=structure.departement_id,
        beneficiary_id=beneficiary.id,
        status=BookletStatus.HANDED_OUT,
        valid_from=day,
        expires_on=expires_on,
        issued_at=now(),
        handed_out_at=now(),
        issued_by_id=actor.id,
        replaces_booklet_id=replaces.id if replaces else None,
    )
    db.session.add(booklet)
    db.session.flush()
    for position, manual in enumerate(_new_manual_codes(programme.vouchers_per_booklet), 1):
        db.session.add(Voucher(
            booklet_id=booklet.id, position=position, serial=f"{booklet.number}-{position:02d}",
            manual_code=manual, value_cents=programme.voucher_value_cents,
        ))
    db.session.flush()
    return booklet


def issue_booklet(
    actor: User, beneficiary: Beneficiary, *, override_reason: str | None = None
) -> Booklet:
    """Issue a booklet to a beneficiary within allocation and quota (all or nothing).

    Raises ``Conflict`` (``booklet_already_issued``, ``duplicate_beneficiary``) and
    ``RuleRefused`` (``programme_closed``, ``allocation_exhausted``, ``quota_exhausted``).
    """
    require_role(actor, Role.ISSUER, Role.MANAGER, Role.ADMIN)
    ensure_in_scope(actor, beneficiary.structure_id, beneficiary.structure.departement_id,
                    "Bénéficiaire")
    programme = open_programme()
    # Lock the person's row: two issuers for one person run one after the other, so the
    # second sees the first booklet and is refused cleanly (the unique index backs it).
    db.session.execute(
        select(Beneficiary.id).where(Beneficiary.id == beneficiary.id).with_for_update()
    )
    override = _check_one_booklet(actor, beneficiary, programme, override_reason)
    _consume_slot(programme, beneficiary.structure_id, beneficiary.structure.departement_id)
    expires_on = min(add_months(today(), programme.validity_months), programme.ends_on)
    booklet = _build(programme, beneficiary, actor, expires_on, None)
    booklet.duplicate_override_reason = override
    record("booklet.issued", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "programme_id": programme.id,
                    "structure_id": booklet.structure_id, "override": override is not None,
                    "vouchers": programme.vouchers_per_booklet})
    return booklet


def issue_replacement(actor: User, revoked: Booklet) -> Booklet:
    """Replace a lost or stolen booklet; it does not count again against any quota.

    Raises ``RuleRefused`` (``not_revoked``) unless the booklet was revoked as lost or
    stolen, and ``Conflict`` (``already_replaced``) for a second replacement.
    """
    require_role(actor, Role.ISSUER, Role.MANAGER, Role.ADMIN)
    ensure_in_scope(actor, revoked.structure_id, revoked.departement_id, "Chéquier")
    if revoked.status != BookletStatus.REVOKED or revoked.revoke_reason == RevokeReason.CANCELLED:
        raise RuleRefused("Seul un chéquier déclaré perdu ou volé peut être remplacé.",
                          code="not_revoked")
    if db.session.scalar(select(Booklet.id).where(Booklet.replaces_booklet_id == revoked.id)):
        raise Conflict("Ce chéquier a déjà été remplacé.", code="already_replaced")
    programme = open_programme()
    if revoked.programme_id != programme.id:
        raise RuleRefused("Le programme de ce chéquier est clos.", code="programme_closed")
    beneficiary = revoked.beneficiary
    if live_booklet_of(beneficiary.id, programme.id) is not None:
        raise Conflict("Cette personne a déjà un chéquier valide.", code="booklet_already_issued")
    booklet = _build(programme, beneficiary, actor, revoked.expires_on, revoked)
    record("booklet.replaced", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "replaces": revoked.number})
    return booklet


def revoke_booklet(actor: User, booklet: Booklet, *, reason: str, note: str = "") -> Booklet:
    """Declare a booklet lost, stolen or cancelled: its unused vouchers are revoked at once.

    Raises ``InvalidInput`` (unknown reason) and ``Conflict`` (``already_revoked``).
    """
    require_role(actor, Role.ISSUER, Role.MANAGER, Role.ADMIN)
    ensure_in_scope(actor, booklet.structure_id, booklet.departement_id, "Chéquier")
    try:
        kind = RevokeReason(reason)
    except ValueError as err:
        raise InvalidInput("Motif inconnu : perdu, volé ou annulé.", field="reason") from err
    if len(note) > 500:
        raise InvalidInput("Le commentaire est trop long (500 caractères).", field="note")
    if booklet.status == BookletStatus.REVOKED:
        raise Conflict("Ce chéquier est déjà révoqué.", code="already_revoked")
    at = now()
    revoked_count = db.session.execute(
        update(Voucher)
        .where(Voucher.booklet_id == booklet.id, Voucher.status == VoucherStatus.ISSUED)
        .values(status=VoucherStatus.REVOKED, revoked_at=at)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    booklet.status = BookletStatus.REVOKED
    booklet.revoked_at, booklet.revoke_reason, booklet.revoke_note = at, kind.value, note.strip()
    db.session.flush()
    record("booklet.revoked", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "reason": kind.value,
                    "vouchers_revoked": revoked_count})
    return booklet


def record_print(actor: User, booklet: Booklet) -> None:
    """Count and audit one printing (download) of a booklet's PDF."""
    ensure_in_scope(actor, booklet.structure_id, booklet.departement_id, "Chéquier")
    booklet.printed_count += 1
    record("booklet.printed", actor_id=actor.id, object_type="booklet", object_id=booklet.id,
           details={"number": booklet.number, "copy": booklet.printed_count})
