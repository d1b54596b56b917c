"""Check, redeem and undo vouchers: one service for the web pages, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
from passnum.booklets.queries import ParsedCode, find_voucher, parse_code
from passnum.core.clock import PARIS, now, today
from passnum.core.db import as_loaded, as_stored, fetch
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
from passnum.programmes.models import Programme
from passnum.redemptions import tallies, writes
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.redemptions.queries import (
    attendance_count,
    in_closed_statement,
    live_redemption_of,
    redemption_for_key,
)
from passnum.redemptions.tallies import Taken, uncount_redemption
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
                     f"Cet atelier coûte {plural(workshop.price_vouchers, 'chèque')} : "
                     f"présentez-en {workshop.price_vouchers}, pas {count}.")
    if attendance_count(workshop.id) >= workshop.capacity:
        raise refuse(RuleRefused, "workshop_full",
                     f"Cet atelier est complet ({workshop.capacity} places).")


@dataclass(frozen=True)
class _Held:
    """A voucher of the basket, locked, with what the rules and the tallies need of its
    booklet and programme (read with it, in the same statement)."""

    voucher: Voucher
    booklet_status: str
    programme_closed: bool
    valid_from: date
    expires_on: date
    taken: Taken

    def reason(self, on: date) -> str | None:
        """Why this voucher cannot be taken on ``on``, or None (``refusal_reason``)."""
        return _reason(self.voucher.status, self.booklet_status, self.programme_closed,
                       self.valid_from, self.expires_on, on=on)


_V, _B, _P, _R = (Voucher.__table__, Booklet.__table__, Programme.__table__,
                  Redemption.__table__)
_VOUCHER_COLUMNS = tuple(column.key for column in _V.c)


def _lock_basket_statement(wanted: Any) -> Any:
    """The locking read of a basket, in one round trip: the vouchers ``wanted`` names
    with their booklets and programmes, locked in id order (two overlapping baskets
    cannot deadlock), and the redemption this actor already made with this
    Idempotency-Key, if any."""
    known_key = select(_R.c.id).where(_R.c.actor_id == bindparam("actor_id"),
                                      _R.c.idempotency_key == bindparam("key"))
    return (
        select(*_V.c, _B.c.status, _B.c.programme_id, _B.c.departement_id, _B.c.structure_id,
               _B.c.valid_from, _B.c.expires_on, _P.c.closed_at, known_key.scalar_subquery())
        .select_from(_V.join(_B, _B.c.id == _V.c.booklet_id)
                     .join(_P, _P.c.id == _B.c.programme_id))
        .where(wanted).order_by(_V.c.id).with_for_update(of=_V)
    )


# Built once: constructing statements costs more than running them on this hot path.
# Any basket: expanded ``IN`` lists (SQLite), or two array parameters (``= ANY``: one
# statement text for any basket, PostgreSQL).
_LOCK_BASKET = _lock_basket_statement(
    or_(_V.c.serial.in_(bindparam("serials", expanding=True)),
        _V.c.manual_code.in_(bindparam("manuals", expanding=True))))
_LOCK_BASKET_POSTGRESQL = _lock_basket_statement(
    or_(_V.c.serial == any_(bindparam("serials", type_=ARRAY(String))),
        _V.c.manual_code == any_(bindparam("manuals", type_=ARRAY(String)))))
# PostgreSQL, a basket of one code (nearly every scan): the arrays' plan depends on
# their lengths, so PostgreSQL plans that statement again at every execution (a
# quarter of a redemption's time in the database); with one scalar code the prepared
# statement keeps its plan.
_LOCK_ONE_SERIAL = _lock_basket_statement(_V.c.serial == bindparam("code", type_=String))
_LOCK_ONE_MANUAL = _lock_basket_statement(_V.c.manual_code == bindparam("code", type_=String))


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


def _lock_basket(parsed: list[ParsedCode], *, actor_id: int,
                 key: str | None) -> tuple[list[_Held], int | None]:
    """Lock and read the vouchers these codes name; return them and the id of the
    redemption already made with ``key`` by this actor (None if none or no key).

    Rows are read once locked, so a concurrent redemption committed meanwhile is seen.
    """
    db.session.flush()  # pending changes first, as an ORM query's autoflush would
    params = {"serials": [p.serial for p in parsed if p.serial is not None],
              "manuals": [p.manual_code for p in parsed if p.manual_code is not None],
              "actor_id": actor_id, "key": key}
    postgresql = _LOCK_BASKET_POSTGRESQL
    if len(parsed) == 1:
        (one,) = parsed
        postgresql, params["code"] = ((_LOCK_ONE_SERIAL, one.serial) if one.serial is not None
                                      else (_LOCK_ONE_MANUAL, one.manual_code))
    rows = fetch(_LOCK_BASKET, params, postgresql=postgresql)
    width = len(_VOUCHER_COLUMNS)
    held = []
    for row in rows:
        voucher = as_loaded(Voucher, dict(zip(_VOUCHER_COLUMNS, row[:width], strict=True)))
        status, programme_id, departement_id, structure_id, valid_from, expires_on, closed_at \
            = row[width:width + 7]
        held.append(_Held(voucher, status, closed_at is not None, valid_from, expires_on,
                          Taken(voucher.booklet_id, programme_id, departement_id,
                                structure_id, voucher.value_cents)))
    return held, rows[0][-1] if rows else None


def _match(parsed: list[ParsedCode], held: list[_Held], refuse: Any) -> list[_Held]:
    """The locked voucher of each code, in the basket's order; refuse unknown codes and
    a voucher presented twice."""
    by_serial = {h.voucher.serial: h for h in held}
    by_manual = {h.voucher.manual_code: h for h in held}
    found = [by_serial.get(p.serial) if p.serial is not None else by_manual.get(p.manual_code)
             for p in parsed]
    verdicts = [{"index": i, "serial": h.voucher.serial if h else None,
                 "code": "ok" if h else "unknown_code",
                 "message": "" if h else "Aucun chèque ne correspond à ce code."}
                for i, h in enumerate(found)]
    basket = [h for h in found if h is not None]
    if len(basket) != len(found):
        raise refuse(NotFound, "unknown_code", "Aucun chèque ne correspond à ce code.",
                     verdicts=verdicts)
    if len({h.voucher.id for h in basket}) != len(basket):
        raise refuse(InvalidInput, "duplicate_code",
                     "Le même chèque figure deux fois dans le panier.", verdicts=verdicts)
    return basket


def _replay(redemption: Redemption, held: list[_Held], refuse: Any) -> Redemption:
    """The redemption made earlier with the same Idempotency-Key, returned unchanged if
    it took these very vouchers and still stands.

    Raises ``RuleRefused`` (``idempotency_key_reused``) for other vouchers, and
    ``Conflict`` (``redemption_undone``, audited) once it was undone: a retry arriving
    after the undo must not read as "taken", since nothing is.
    """
    if {line.voucher_id for line in redemption.lines} != {h.voucher.id for h in held}:
        raise RuleRefused("Cette clé d'idempotence a déjà servi pour un autre encaissement : "
                          "utilisez une nouvelle clé.", code="idempotency_key_reused")
    if redemption.undone_at is not None:
        day, time = datetime_fr(redemption.undone_at).split()
        message = (f"Cet encaissement a été annulé le {day} à {time} : aucun chèque n'est "
                   "encaissé. Scannez de nouveau pour encaisser.")
        verdicts = [{"index": i, "serial": line.voucher.serial, "code": "redemption_undone",
                     "message": message} for i, line in enumerate(redemption.lines)]
        error = refuse(Conflict, "redemption_undone", message, verdicts=verdicts)
        error.details.update(redemption_id=redemption.id,
                             undone_at=as_utc(redemption.undone_at).isoformat(
                                 timespec="seconds").replace("+00:00", "Z"))
        raise error
    redemption.replayed = True
    return redemption


def redeem(codes: list[str], *, venue: Venue, workshop: Workshop | None, actor: User,
           channel: str, idempotency_key: str | None = None,
           ip: str | None = None) -> Redemption:
    """Take vouchers at a venue, all or nothing, each at most once ever.

    A known ``idempotency_key`` of this actor returns the first redemption unchanged
    (``replayed`` set), provided it names the same vouchers and was not undone.
    Signatures are verified before any write; the vouchers' rows are locked, checked,
    then updated conditionally, and a unique index allows one live line per voucher.
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
    held, known = _lock_basket(parsed, actor_id=actor.id, key=idempotency_key)
    if known is not None:
        return _replay(db.session.get(Redemption, known), held, refuse)
    basket = _match(parsed, held, refuse)
    _check_venue_and_workshop(actor, venue, workshop, len(basket), refuse)
    day = today()
    verdicts = [{"index": i, "serial": h.voucher.serial, "code": h.reason(day) or "ok",
                 "message": ""} for i, h in enumerate(basket)]
    refused = [(h.voucher, verdict) for h, verdict in zip(basket, verdicts, strict=True)
               if verdict["code"] != "ok"]
    if refused and idempotency_key and (
            known_now := redemption_for_key(actor.id, idempotency_key)):
        return _replay(known_now, held, refuse)  # the same request, committed meanwhile
    for voucher, verdict in refused:
        verdict["message"] = _message(verdict["code"], voucher)
    if refused:
        voucher, first = refused[0]
        error = Conflict if first["code"] == "already_redeemed" else RuleRefused
        message = first["message"] if len(basket) == 1 else (
            f"Chèque {voucher.serial} refusé : {first['message']} Aucun chèque n'a été encaissé.")
        raise refuse(error, first["code"], message, verdicts=verdicts)
    return _record(basket, venue=venue, workshop=workshop, actor=actor, channel=channel,
                   idempotency_key=idempotency_key, ip=ip)


def _record(basket: list[_Held], *, venue: Venue, workshop: Workshop | None, actor: User,
            channel: str, idempotency_key: str | None, ip: str | None) -> Redemption:
    """Write the redemption (``writes.write``: the conditional update, its rows, the
    tallies), then the audit event last (its lock is held until commit)."""
    at = now()
    values = {"venue_id": venue.id, "workshop_id": workshop.id if workshop else None,
              "actor_id": actor.id, "idempotency_key": idempotency_key, "redeemed_at": at}
    rows = [{"voucher_id": h.voucher.id, "departement_id": h.taken.departement_id,
             "value_cents": h.taken.value_cents} for h in basket]
    changes = tallies.deltas(venue_id=venue.id, theme_id=workshop.theme_id if workshop else None,
                             at=at, taken=[h.taken for h in basket])
    redemption_id, line_ids = writes.write(values, rows, changes)
    vouchers = [h.voucher for h in basket]
    for voucher in vouchers:
        # already written by the update: tell the session without a second write
        set_committed_value(voucher, "status", VoucherStatus.REDEEMED)
        set_committed_value(voucher, "redeemed_at", at)
    redemption = as_stored(Redemption, {"id": redemption_id, "undone_at": None,
                                        "undone_by_id": None, **values})
    lines = [as_stored(RedemptionLine, {"id": line_id, "undone_at": None, "statement_id": None,
                                        "redemption_id": redemption_id, "created_at": at,
                                        **row})
             for line_id, row in zip(line_ids, rows, strict=True)]
    for line, voucher in zip(lines, vouchers, strict=True):
        set_committed_value(line, "voucher", voucher)
        set_committed_value(line, "redemption", redemption)
    set_committed_value(redemption, "lines", lines)
    set_committed_value(redemption, "venue", venue)
    set_committed_value(redemption, "workshop", workshop)
    record("voucher.redeemed", actor_id=actor.id, object_type="redemption",
           object_id=redemption_id, ip=ip,
           details={"venue_id": venue.id, "workshop_id": values["workshop_id"],
                    "serials": [v.serial for v in vouchers], "channel": channel,
                    "total_cents": sum(row["value_cents"] for row in rows)})
    return redemption


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

