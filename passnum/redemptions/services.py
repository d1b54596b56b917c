"""Check, redeem and undo vouchers: one service for the web pages, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import may_redeem_at, may_undo_at
from passnum.booklets.models import BookletStatus, Voucher, VoucherStatus
from passnum.booklets.queries import ParsedCode, find_voucher, parse_code
from passnum.core.clock import PARIS, now, today
from passnum.core.formatting import as_utc, datetime_fr, plural
from passnum.errors import (
    AuditNote,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleRefused,
)
from passnum.extensions import db
from passnum.redemptions import repository, tallies
from passnum.redemptions.models import Redemption
from passnum.redemptions.queries import in_closed_statement, live_redemption_of
from passnum.redemptions.repository import (
    HeldVoucher,
    LockedBasket,
    NewLine,
    NewRedemption,
    RedeemedLine,
    RedemptionResult,
)
from passnum.redemptions.tallies import uncount_redemption
from passnum.redemptions.validation import (
    INVALID_CODE_MESSAGE,
    invalid_code,
    refusal_message,
    unknown_code,
)
from passnum.venues import capacity
from passnum.venues.models import Venue, Workshop

MAX_BASKET = 20
UNDO_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class VoucherCheck:
    """The public status of a voucher: never any personal data."""

    voucher: Voucher
    reason: str | None
    message: str

    @property
    def is_valid(self) -> bool:
        """True when the voucher can be taken now."""
        return self.reason is None


def refusal_reason(voucher: Voucher, *, on: date) -> str | None:
    """The first reason ``voucher`` cannot be taken on ``on``, or None."""
    booklet = voucher.booklet
    return _reason(voucher.status, booklet.status, booklet.programme.closed_at is not None,
                   booklet.valid_from, booklet.expires_on, on=on)


def _reason(status: str, booklet_status: str, programme_closed: bool, valid_from: date,
            expires_on: date, *, on: date) -> str | None:
    """The rule behind ``refusal_reason``, on the stored facts it reads."""
    if status == VoucherStatus.REDEEMED:
        return "already_redeemed"
    if status == VoucherStatus.REVOKED or booklet_status == BookletStatus.REVOKED:
        return "voucher_revoked"
    if booklet_status == BookletStatus.IN_STOCK:
        return "not_activated"
    if programme_closed:
        return "programme_closed"
    if on < valid_from:
        return "not_yet_valid"
    if on > expires_on:
        return "voucher_expired"
    return None


def resolve(code: str, *, actor_id: int | None, channel: str, ip: str | None = None) -> Voucher:
    """Verify a code before any database write and return its voucher.

    Raises ``InvalidInput`` (``invalid_code``) or ``NotFound`` (``unknown_code``), each
    carrying an audit note so the attempt is logged even though nothing else is written.
    """
    try:
        parsed = parse_code(code)
    except ValueError:
        raise invalid_code(actor_id, channel, ip) from None
    voucher = find_voucher(parsed)
    if voucher is None:
        raise unknown_code(actor_id, channel, ip)
    return voucher


def _message(reason: str, voucher: Voucher) -> str:
    holder = live_redemption_of(voucher.id) if reason == "already_redeemed" else None
    return refusal_message(reason, voucher, venue_name=holder.venue.name if holder else None)


def check(code: str, *, actor_id: int | None, channel: str, ip: str | None = None) -> VoucherCheck:
    """Return a voucher's status, writing nothing; forged codes are refused and audited."""
    voucher = resolve(code, actor_id=actor_id, channel=channel, ip=ip)
    reason = refusal_reason(voucher, on=today())
    message = "Chèque valable." if reason is None else _message(reason, voucher)
    return VoucherCheck(voucher, reason, message)


# --- Redeem -------------------------------------------------------------------------------


def _refuse(error: type[DomainError], code: str, message: str, *, actor: User, venue: Venue,
            channel: str, ip: str | None, verdicts: list[dict[str, Any]] | None = None,
            workshop: Workshop | None = None) -> DomainError:
    """A refusal of the whole redemption, audited as ``voucher.redeem_refused``."""
    serials = [v["serial"] for v in verdicts or [] if v.get("serial")]
    note = AuditNote("voucher.redeem_refused", "venue", venue.id,
                     {"reason": code, "serials": serials, "channel": channel,
                      "workshop_id": workshop.id if workshop else None}, actor.id, ip)
    details = {"vouchers": verdicts} if verdicts is not None else None
    return error(message, code=code, details=details, audit=note)


def _check_venue_and_workshop(actor: User, venue: Venue, workshop: Workshop | None,
                              basket: list[HeldVoucher], refuse: Any) -> None:
    """Venue label active; workshop of this venue, open, priced as many vouchers as the
    basket holds, and with a seat for its holder (``venues.capacity``: a seat booked
    for them is theirs)."""
    count = len(basket)
    if not may_redeem_at(actor, venue.id):
        raise Forbidden("Vous ne pouvez encaisser que pour votre propre lieu.")
    if not venue.is_label_active:
        raise refuse(RuleRefused, "venue_not_active",
                     "Le label de ce lieu n'est pas actif : il ne peut pas encaisser de chèques.")
    if workshop is None:
        return
    if workshop.venue_id != venue.id:
        raise NotFound("Atelier introuvable.", code="not_found")
    # lock the workshop: two baskets for its last seat are decided one after the other
    capacity.lock_workshop(workshop.id)
    if workshop.cancelled_at is not None:
        raise refuse(RuleRefused, "workshop_cancelled", "Cet atelier a été annulé.")
    if workshop.starts_at.astimezone(PARIS).date() < today():
        raise refuse(RuleRefused, "workshop_past", "Cet atelier est déjà passé.")
    if count != workshop.price_vouchers:
        raise refuse(RuleRefused, "wrong_voucher_count",
                     f"Cet atelier coûte {plural(workshop.price_vouchers, 'chèque')} : "
                     f"présentez-en {workshop.price_vouchers}, pas {count}.")
    taken = capacity.seats_taken(workshop.id,
                                 holder_booklet_ids=sorted({h.booklet_id for h in basket}))
    if capacity.is_full(workshop, taken):
        raise refuse(RuleRefused, "workshop_full",
                     f"Cet atelier est complet ({workshop.capacity} places).")


def _parse_all(codes: list[str], refuse: Any) -> list[ParsedCode]:
    """Verify every code (signatures, check characters) before any database access."""
    parsed: list[ParsedCode | None] = []
    for code in codes:
        try:
            parsed.append(parse_code(code))
        except ValueError:
            parsed.append(None)
    if any(p is None for p in parsed):
        verdicts = [{"index": i, "serial": None, "code": "ok" if p else "invalid_code",
                     "message": "" if p else INVALID_CODE_MESSAGE}
                    for i, p in enumerate(parsed)]
        raise refuse(InvalidInput, "invalid_code", INVALID_CODE_MESSAGE, verdicts=verdicts)
    return [p for p in parsed if p is not None]


def _reason_of(held: HeldVoucher, on: date) -> str | None:
    """Why a locked voucher cannot be taken on ``on``, or None (``refusal_reason``)."""
    return _reason(held.status, held.booklet_status, held.programme_closed, held.valid_from,
                   held.expires_on, on=on)


def _lock(parsed: list[ParsedCode], *, actor_id: int, key: str | None) -> LockedBasket:
    """Lock the vouchers these codes name (``repository.lock_basket``)."""
    return repository.lock_basket(
        [p.serial for p in parsed if p.serial is not None],
        [p.manual_code for p in parsed if p.manual_code is not None],
        actor_id=actor_id, key=key)


def _match(parsed: list[ParsedCode], held: tuple[HeldVoucher, ...],
           refuse: Any) -> list[HeldVoucher]:
    """The locked voucher of each code, in the basket's order; refuse unknown codes and
    a voucher presented twice."""
    by_serial = {h.serial: h for h in held}
    by_manual = {h.manual_code: h for h in held}
    found = [by_serial.get(p.serial) if p.serial is not None
             else by_manual.get(p.manual_code or "") for p in parsed]
    verdicts = [{"index": i, "serial": h.serial if h else None,
                 "code": "ok" if h else "unknown_code",
                 "message": "" if h else "Aucun chèque ne correspond à ce code."}
                for i, h in enumerate(found)]
    basket = [h for h in found if h is not None]
    if len(basket) != len(found):
        raise refuse(NotFound, "unknown_code", "Aucun chèque ne correspond à ce code.",
                     verdicts=verdicts)
    if len({h.id for h in basket}) != len(basket):
        raise refuse(InvalidInput, "duplicate_code",
                     "Le même chèque figure deux fois dans le panier.", verdicts=verdicts)
    return basket


def _replay(redemption: RedemptionResult, held: tuple[HeldVoucher, ...],
            refuse: Any) -> RedemptionResult:
    """The redemption made earlier with the same Idempotency-Key, returned unchanged if
    it took these very vouchers and still stands.

    Raises ``RuleRefused`` (``idempotency_key_reused``) for other vouchers, and
    ``Conflict`` (``redemption_undone``, audited) once it was undone: a retry arriving
    after the undo must not read as "taken", since nothing is.
    """
    if {line.voucher_id for line in redemption.lines} != {h.id for h in held}:
        raise RuleRefused("Cette clé d'idempotence a déjà servi pour un autre encaissement : "
                          "utilisez une nouvelle clé.", code="idempotency_key_reused")
    if redemption.undone_at is not None:
        day, time = datetime_fr(redemption.undone_at).split()
        message = (f"Cet encaissement a été annulé le {day} à {time} : aucun chèque n'est "
                   "encaissé. Scannez de nouveau pour encaisser.")
        verdicts = [{"index": i, "serial": line.serial, "code": "redemption_undone",
                     "message": message} for i, line in enumerate(redemption.lines)]
        error = refuse(Conflict, "redemption_undone", message, verdicts=verdicts)
        error.details.update(redemption_id=redemption.id,
                             undone_at=as_utc(redemption.undone_at).isoformat(
                                 timespec="seconds").replace("+00:00", "Z"))
        raise error
    return replace(redemption, replayed=True)


def _known(redemption_id: int) -> RedemptionResult:
    """The stored redemption the locking read named (it exists: its row was read)."""
    found = repository.find_redemption(redemption_id)
    assert found is not None
    return found


def redeem(codes: list[str], *, venue: Venue, workshop: Workshop | None, actor: User,
           channel: str, idempotency_key: str | None = None,
           ip: str | None = None) -> RedemptionResult:
    """Take vouchers at a venue, all or nothing, each at most once ever.

    Only an agent of ``venue`` redeems there (``scope.may_redeem_at``, else
    ``Forbidden``). A known ``idempotency_key`` of this actor returns the first
    redemption unchanged (``replayed`` set), provided it names the same vouchers and was
    not undone. Signatures are verified before any write; the vouchers' rows are
    locked, checked, then updated conditionally, and a unique index allows one live line
    per voucher. For a workshop, a seat booked for the basket's holder is theirs
    (``venues.capacity``), and their booking is marked attended.
    Raises ``DomainError`` subclasses with codes ``invalid_code``, ``unknown_code``,
    ``duplicate_code``, ``already_redeemed``, ``voucher_revoked``, ``voucher_expired``,
    ``not_yet_valid``, ``not_activated``, ``programme_closed``, ``venue_not_active``,
    ``workshop_cancelled``, ``workshop_past``, ``workshop_full``, ``wrong_voucher_count``,
    ``idempotency_key_reused``, ``redemption_undone``; each refusal carries an audit
    note and, per voucher, its verdict in ``details``.
    """
    if not codes or len(codes) > MAX_BASKET:
        raise InvalidInput(f"Présentez de 1 à {MAX_BASKET} chèques.", code="invalid_basket")

    def refuse(error: type[DomainError], code: str, message: str, **kw: Any) -> DomainError:
        return _refuse(error, code, message, actor=actor, venue=venue, channel=channel, ip=ip,
                       workshop=workshop, **kw)

    parsed = _parse_all(codes, refuse)
    locked = _lock(parsed, actor_id=actor.id, key=idempotency_key)
    if locked.known_redemption_id is not None:
        return _replay(_known(locked.known_redemption_id), locked.vouchers, refuse)
    basket = _match(parsed, locked.vouchers, refuse)
    _check_venue_and_workshop(actor, venue, workshop, basket, refuse)
    day = today()
    verdicts: list[dict[str, Any]] = [
        {"index": i, "serial": h.serial, "code": _reason_of(h, day) or "ok", "message": ""}
        for i, h in enumerate(basket)]
    refused = [(h, verdict) for h, verdict in zip(basket, verdicts, strict=True)
               if verdict["code"] != "ok"]
    if refused and idempotency_key and (known_now := repository.find_redemption_by_key(
            actor.id, idempotency_key)):
        return _replay(known_now, locked.vouchers, refuse)  # the same request, committed meanwhile
    for held, verdict in refused:
        verdict["message"] = _message(verdict["code"], _voucher(held.id))
    if refused:
        held, first = refused[0]
        error = Conflict if first["code"] == "already_redeemed" else RuleRefused
        message = first["message"] if len(basket) == 1 else (
            f"Chèque {held.serial} refusé : {first['message']} Aucun chèque n'a été encaissé.")
        raise refuse(error, first["code"], message, verdicts=verdicts)
    return _record(basket, venue=venue, workshop=workshop, actor=actor, channel=channel,
                   idempotency_key=idempotency_key, ip=ip)


def _voucher(voucher_id: int) -> Voucher:
    """A refused voucher as stored now, for its refusal's sentence (the locking read saw
    it as it is: an object loaded earlier in the transaction may be older)."""
    voucher = db.session.get(Voucher, voucher_id, populate_existing=True)
    assert voucher is not None
    return voucher


def _record(basket: list[HeldVoucher], *, venue: Venue, workshop: Workshop | None,
            actor: User, channel: str, idempotency_key: str | None,
            ip: str | None) -> RedemptionResult:
    """Write the redemption (``repository.write_redemption``: the conditional update,
    its rows, the tallies), then the audit event last (its lock is held until commit)."""
    at = now()
    new = NewRedemption(
        venue_id=venue.id, workshop_id=workshop.id if workshop else None, actor_id=actor.id,
        idempotency_key=idempotency_key, redeemed_at=at,
        lines=tuple(NewLine(h.id, h.departement_id, h.value_cents) for h in basket))
    changes = tallies.deltas(venue_id=venue.id, theme_id=workshop.theme_id if workshop else None,
                             at=at, taken=[h.taken for h in basket])
    redemption = RedemptionResult(
        id=repository.write_redemption(new, changes), venue_id=venue.id,
        workshop_id=new.workshop_id, redeemed_at=at, undone_at=None,
        lines=tuple(RedeemedLine(h.id, h.serial, h.value_cents, h.departement_id)
                    for h in basket))
    if workshop is not None:
        repository.mark_attended(workshop.id, sorted({h.booklet_id for h in basket}), at)
    record("voucher.redeemed", actor_id=actor.id, object_type="redemption",
           object_id=redemption.id, ip=ip,
           details={"venue_id": venue.id, "workshop_id": new.workshop_id,
                    "serials": [line.serial for line in redemption.lines], "channel": channel,
                    "total_cents": redemption.total_cents})
    return redemption


@dataclass(frozen=True)
class FoundVoucher:
    """A voucher found by a venue agent: its state and, if taken here, the redemption."""

    voucher: Voucher
    redemption: Redemption | None
    elsewhere: str | None


def find_for_venue(text: str, *, venue_id: int, actor_id: int, ip: str | None) -> FoundVoucher:
    """Find a voucher by serial (as printed) or by manual code or link.

    Raises the check refusals ``invalid_code`` / ``unknown_code`` (audited).
    """
    serial = text.strip().upper()
    voucher = db.session.scalar(select(Voucher).where(Voucher.serial == serial))
    if voucher is None:
        voucher = resolve(text, actor_id=actor_id, channel="search", ip=ip)
    holder = live_redemption_of(voucher.id)
    if holder is not None and holder.venue_id != venue_id:
        return FoundVoucher(voucher, None, holder.venue.name)
    return FoundVoucher(voucher, holder, None)


# --- Undo ---------------------------------------------------------------------------------


def undo(redemption_id: int, *, actor: User, ip: str | None = None) -> RedemptionResult:
    """Undo a redemption made by mistake: within 24 hours, not in a validated statement.

    Only an agent of the redemption's venue undoes it (``scope.may_undo_at``); for
    anyone else, as for an unknown id, ``NotFound``. The vouchers become usable again
    (revoked if their booklet was revoked meanwhile); a booking the redemption marked
    attended is no longer so. Raises ``Conflict``
    (``already_undone``, ``statement_validated``) and ``RuleRefused`` (``undo_expired``).
    """
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or not may_undo_at(actor, redemption.venue_id):
        raise NotFound("Encaissement introuvable.")
    db.session.execute(select(Redemption.id).where(Redemption.id == redemption.id)
                       .with_for_update())
    db.session.refresh(redemption)
    if redemption.undone_at is not None:
        raise Conflict("Cet encaissement a déjà été annulé.", code="already_undone")
    if now() - redemption.redeemed_at > UNDO_WINDOW:
        raise RuleRefused("Un encaissement ne peut être annulé que dans les 24 heures.",
                          code="undo_expired")
    if in_closed_statement(redemption.id):
        raise Conflict("Cet encaissement figure sur un relevé déjà validé : il ne peut plus "
                       "être annulé.", code="statement_validated")
    at = now()
    for line in redemption.lines:
        line.undone_at, line.statement_id = at, None
        voucher, booklet = line.voucher, line.voucher.booklet
        voucher.redeemed_at = None
        if booklet.status == BookletStatus.REVOKED:  # revoked meanwhile: not usable again
            voucher.status, voucher.revoked_at = VoucherStatus.REVOKED, booklet.revoked_at
        else:
            voucher.status = VoucherStatus.ISSUED
    redemption.undone_at, redemption.undone_by_id = at, actor.id
    db.session.flush()
    uncount_redemption(redemption)
    if redemption.workshop_id is not None:
        repository.unmark_attended(redemption.workshop_id,
                                   sorted({line.voucher.booklet_id for line in redemption.lines}))
    serials = [line.voucher.serial for line in redemption.lines]
    record("redemption.undone", actor_id=actor.id, object_type="redemption",
           object_id=redemption.id, ip=ip, details={"serials": serials})
    return RedemptionResult(
        id=redemption.id, venue_id=redemption.venue_id, workshop_id=redemption.workshop_id,
        redeemed_at=redemption.redeemed_at, undone_at=at,
        lines=tuple(RedeemedLine(line.voucher_id, serial, line.value_cents,
                                 line.departement_id)
                    for line, serial in zip(redemption.lines, serials, strict=True)))
