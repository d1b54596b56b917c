"""Check, redeem and undo vouchers: one service for the web pages, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
from passnum.booklets.queries import ParsedCode, find_voucher, parse_code
from passnum.core.clock import PARIS, now, today
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
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.redemptions.queries import (
    attendance_count,
    in_closed_statement,
    live_redemption_of,
    redemption_for_key,
)
from passnum.redemptions.tallies import count_redemption, uncount_redemption
from passnum.redemptions.validation import (
    INVALID_CODE_MESSAGE,
    invalid_code,
    refusal_message,
    unknown_code,
)
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
    if voucher.status == VoucherStatus.REDEEMED:
        return "already_redeemed"
    if voucher.status == VoucherStatus.REVOKED or booklet.status == BookletStatus.REVOKED:
        return "voucher_revoked"
    if booklet.status == BookletStatus.IN_STOCK:
        return "not_activated"
    if booklet.programme.closed_at is not None:
        return "programme_closed"
    if on < booklet.valid_from:
        return "not_yet_valid"
    if on > booklet.expires_on:
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
                              count: int, refuse: Any) -> None:
    """Venue label active; workshop of this venue, open, not full, priced ``count``."""
    if actor.role != Role.ADMIN and actor.venue_id != venue.id:
        raise Forbidden("Vous ne pouvez encaisser que pour votre propre lieu.")
    if not venue.is_label_active:
        raise refuse(RuleRefused, "venue_not_active",
                     "Le label de ce lieu n'est pas actif : il ne peut pas encaisser de chèques.")
    if workshop is None:
        return
    if workshop.venue_id != venue.id:
        raise NotFound("Atelier introuvable.", code="not_found")
    # lock the workshop: two baskets for its last seat are decided one after the other
    db.session.execute(select(Workshop.id).where(Workshop.id == workshop.id).with_for_update())
    if workshop.cancelled_at is not None:
        raise refuse(RuleRefused, "workshop_cancelled", "Cet atelier a été annulé.")
    if workshop.starts_at.astimezone(PARIS).date() < today():
        raise refuse(RuleRefused, "workshop_past", "Cet atelier est déjà passé.")
    if count != workshop.price_vouchers:
        raise refuse(RuleRefused, "wrong_voucher_count",
                     f"Cet atelier coûte {workshop.price_vouchers} chèque(s) : "
                     f"présentez-en {workshop.price_vouchers}, pas {count}.")
    if attendance_count(workshop.id) >= workshop.capacity:
        raise refuse(RuleRefused, "workshop_full",
                     f"Cet atelier est complet ({workshop.capacity} places).")


def _resolve_all(codes: list[str], refuse: Any) -> list[Voucher]:
    """Verify every code (signatures first, no write), then load and lock the vouchers.

    One statement finds the vouchers with their booklets and programmes and locks the
    voucher rows in id order, so two overlapping baskets cannot deadlock; the rows are
    read once locked, so a concurrent redemption committed meanwhile is seen here.
    """
    parsed, verdicts = [], []
    for index, code in enumerate(codes):
        try:
            parsed.append(parse_code(code))
            verdicts.append({"index": index, "serial": None, "code": "ok", "message": ""})
        except ValueError:
            parsed.append(None)
            verdicts.append({"index": index, "serial": None, "code": "invalid_code",
                             "message": INVALID_CODE_MESSAGE})
    if any(p is None for p in parsed):
        raise refuse(InvalidInput, "invalid_code", INVALID_CODE_MESSAGE, verdicts=verdicts)
    by_serial, by_manual = _lock_vouchers([p for p in parsed if p is not None])
    vouchers = [by_serial.get(p.serial) if p.serial is not None else by_manual.get(p.manual_code)
                for p in parsed if p is not None]
    for verdict, voucher in zip(verdicts, vouchers, strict=True):
        if voucher is None:
            verdict.update(code="unknown_code", message="Aucun chèque ne correspond à ce code.")
        else:
            verdict["serial"] = voucher.serial
    if any(v is None for v in vouchers):
        raise refuse(NotFound, "unknown_code", "Aucun chèque ne correspond à ce code.",
                     verdicts=verdicts)
    found = [v for v in vouchers if v is not None]
    if len({v.id for v in found}) != len(found):
        raise refuse(InvalidInput, "duplicate_code",
                     "Le même chèque figure deux fois dans le panier.", verdicts=verdicts)
    return found


def _lock_vouchers(parsed: list[ParsedCode]) -> tuple[dict[str, Voucher], dict[str, Voucher]]:
    """Load and lock (id order) the vouchers these codes name, booklet and programme
    loaded; return them by serial and by manual code."""
    serials = [p.serial for p in parsed if p.serial is not None]
    manuals = [p.manual_code for p in parsed if p.manual_code is not None]
    wanted = [column.in_(values) for column, values in
              ((Voucher.serial, serials), (Voucher.manual_code, manuals)) if values]
    rows = db.session.scalars(
        select(Voucher)
        .options(joinedload(Voucher.booklet, innerjoin=True)
                 .joinedload(Booklet.programme, innerjoin=True))
        .where(or_(*wanted)).order_by(Voucher.id).with_for_update(of=Voucher)
        .execution_options(populate_existing=True)
    ).unique().all()
    return {v.serial: v for v in rows}, {v.manual_code: v for v in rows}


def redeem(codes: list[str], *, venue: Venue, workshop: Workshop | None, actor: User,
           channel: str, idempotency_key: str | None = None,
           ip: str | None = None) -> Redemption:
    """Take vouchers at a venue, all or nothing, each at most once ever.

    A known ``idempotency_key`` of this actor returns the first redemption unchanged.
    Signatures are verified before any write; the vouchers' rows are locked, checked,
    then updated conditionally, and a unique index allows one live line per voucher.
    Raises ``DomainError`` subclasses with codes ``invalid_code``, ``unknown_code``,
    ``duplicate_code``, ``already_redeemed``, ``voucher_revoked``, ``voucher_expired``,
    ``not_yet_valid``, ``not_activated``, ``programme_closed``, ``venue_not_active``,
    ``workshop_cancelled``, ``workshop_past``, ``workshop_full``, ``wrong_voucher_count``;
    each refusal carries an audit note and, per voucher, its verdict in ``details``.
    """
    if idempotency_key and (known := redemption_for_key(actor.id, idempotency_key)):
        return known
    if not codes or len(codes) > MAX_BASKET:
        raise InvalidInput(f"Présentez de 1 à {MAX_BASKET} chèques.", code="invalid_basket")

    def refuse(error: type[DomainError], code: str, message: str, **kw: Any) -> DomainError:
        return _refuse(error, code, message, actor=actor, venue=venue, channel=channel, ip=ip,
                       workshop=workshop, **kw)

    _check_venue_and_workshop(actor, venue, workshop, len(codes), refuse)
    vouchers = _resolve_all(codes, refuse)
    day = today()
    verdicts = [{"index": i, "serial": v.serial, "code": refusal_reason(v, on=day) or "ok",
                 "message": ""} for i, v in enumerate(vouchers)]
    refused = [(v, verdict) for v, verdict in zip(vouchers, verdicts, strict=True)
               if verdict["code"] != "ok"]
    for voucher, verdict in refused:
        verdict["message"] = _message(verdict["code"], voucher)
    if refused:
        voucher, first = refused[0]
        error = Conflict if first["code"] == "already_redeemed" else RuleRefused
        message = first["message"] if len(vouchers) == 1 else (
            f"Chèque {voucher.serial} refusé : {first['message']} Aucun chèque n'a été encaissé.")
        raise refuse(error, first["code"], message, verdicts=verdicts)
    return _record(vouchers, venue=venue, workshop=workshop, actor=actor, channel=channel,
                   idempotency_key=idempotency_key, ip=ip)


_VOUCHERS = Voucher.__table__
_REDEMPTIONS = Redemption.__table__
_LINES = RedemptionLine.__table__


def _params(table: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Typed bind parameters named after these columns."""
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


# Built once: constructing statements costs more than running them on this hot path.
_TAKE = (
    update(_VOUCHERS)
    .where(_VOUCHERS.c.id.in_(bindparam("ids", expanding=True)),
           _VOUCHERS.c.status == VoucherStatus.ISSUED.value)
    .values(status=VoucherStatus.REDEEMED.value, **_params(_VOUCHERS, ("redeemed_at",)))
)
_REDEMPTION_COLUMNS = ("venue_id", "workshop_id", "actor_id", "idempotency_key", "redeemed_at")
_INSERT_REDEMPTION = (insert(_REDEMPTIONS).values(_params(_REDEMPTIONS, _REDEMPTION_COLUMNS))
                      .returning(_REDEMPTIONS.c.id))
_LINE_COLUMNS = ("redemption_id", "voucher_id", "departement_id", "value_cents", "created_at")
_INSERT_LINES = (insert(_LINES).values(_params(_LINES, _LINE_COLUMNS))
                 .returning(_LINES.c.id, sort_by_parameter_order=True))


def _record(vouchers: list[Voucher], *, venue: Venue, workshop: Workshop | None, actor: User,
            channel: str, idempotency_key: str | None, ip: str | None) -> Redemption:
    """Write the redemption: the conditional update, its rows, the tallies, then the
    audit event last (its lock is held until commit)."""
    at = now()
    taken = db.session.execute(_TAKE, {"ids": [v.id for v in vouchers], "redeemed_at": at}
                               ).rowcount
    if taken != len(vouchers):  # cannot happen under the row locks; the money says check
        raise Conflict("Un chèque vient d'être encaissé ailleurs.", code="already_redeemed")
    for voucher in vouchers:
        # already written by the UPDATE above: tell the session without a second write
        set_committed_value(voucher, "status", VoucherStatus.REDEEMED)
        set_committed_value(voucher, "redeemed_at", at)
    redemption = _insert_redemption(vouchers, venue=venue, workshop=workshop, actor=actor,
                                    idempotency_key=idempotency_key, at=at)
    count_redemption(redemption)
    record("voucher.redeemed", actor_id=actor.id, object_type="redemption",
           object_id=redemption.id, ip=ip,
           details={"venue_id": venue.id, "workshop_id": redemption.workshop_id,
                    "serials": [v.serial for v in vouchers], "channel": channel,
                    "total_cents": sum(v.value_cents for v in vouchers)})
    return redemption


def _insert_redemption(vouchers: list[Voucher], *, venue: Venue, workshop: Workshop | None,
                       actor: User, idempotency_key: str | None, at: Any) -> Redemption:
    """Insert the redemption and its lines in two statements; return them as loaded
    objects of the session (as a flush would have left them)."""
    values = {"venue_id": venue.id, "workshop_id": workshop.id if workshop else None,
              "actor_id": actor.id, "idempotency_key": idempotency_key, "redeemed_at": at}
    redemption_id = db.session.execute(_INSERT_REDEMPTION, values).scalar_one()
    rows = [{"redemption_id": redemption_id, "voucher_id": v.id,
             "departement_id": v.booklet.departement_id, "value_cents": v.value_cents,
             "created_at": at} for v in vouchers]
    line_ids = db.session.execute(_INSERT_LINES, rows).scalars().all()
    redemption = _as_stored(Redemption(id=redemption_id, undone_at=None, undone_by_id=None,
                                       **values))
    lines = [_as_stored(RedemptionLine(id=line_id, undone_at=None, statement_id=None, **row))
             for line_id, row in zip(line_ids, rows, strict=True)]
    for line, voucher in zip(lines, vouchers, strict=True):
        set_committed_value(line, "voucher", voucher)
        set_committed_value(line, "redemption", redemption)
    set_committed_value(redemption, "lines", lines)
    set_committed_value(redemption, "venue", venue)
    set_committed_value(redemption, "workshop", workshop)
    return redemption


def _as_stored(instance: Any) -> Any:
    """Put an object whose row was just inserted into the session as a loaded one."""
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


# --- Undo ---------------------------------------------------------------------------------


def undo(redemption: Redemption, *, actor: User, ip: str | None = None) -> Redemption:
    """Undo a redemption made by mistake: within 24 hours, not in a validated statement.

    The vouchers become usable again. Raises ``Forbidden`` (another venue),
    ``Conflict`` (``already_undone``, ``statement_validated``) and ``RuleRefused``
    (``undo_expired``).
    """
    if actor.role != Role.ADMIN and actor.venue_id != redemption.venue_id:
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
    record("redemption.undone", actor_id=actor.id, object_type="redemption",
           object_id=redemption.id, ip=ip,
           details={"serials": [line.voucher.serial for line in redemption.lines]})
    return redemption

