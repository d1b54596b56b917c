"""Reimbursement statements: generate drafts, validate, record payment, archive, adjust.

A statement covers one venue, one paying département and one calendar month (Paris
time). Lines attach to a statement with a conditional UPDATE (``statement_id IS NULL``),
so a voucher is counted on one statement only, even under concurrent generations; a
validated statement is frozen: its lines and totals never change again, and a later
correction is an adjustment carried by the next statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import can_steer_statements, generates_all_statements, require
from passnum.core.clock import PARIS, now, today
from passnum.errors import Conflict, InvalidInput, NotFound, RuleRefused
from passnum.extensions import db
from passnum.messages.staff_notices import notify_statement
from passnum.programmes.models import Departement
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.statements import queries
from passnum.statements.models import Statement, StatementAdjustment, StatementStatus
from passnum.venues.models import Venue

REFERENCE_MAX = 80
REASON_MAX = 500
ADJUSTMENT_MAX_CENTS = 10_000_000  # 100 000 €: beyond, a typing error rather than a fix

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Generation:
    """The outcome of generating one statement: the draft, and whether it is new."""

    statement: Statement
    created: bool


# --- Checks ----------------------------------------------------------------------------------


def _ensure_manager(actor: User | None, departement_id: int) -> None:
    """Admins, the system (None) and the paying département's managers steer statements."""
    require(can_steer_statements(actor, departement_id),
            "Seuls les gestionnaires du département payeur et les administrateurs gèrent "
            "ce relevé.")


def _frozen(statement: Statement) -> Conflict:
    label = queries.STATUS_LABELS[StatementStatus(statement.status)].lower()
    return Conflict(f"Ce relevé est déjà {label} : il est figé et ne peut plus être "
                    "régénéré. Une correction passe par une régularisation sur le relevé "
                    "suivant.", code="statement_frozen")


def _illegal(statement: Statement, wanted: str) -> Conflict:
    label = queries.STATUS_LABELS[StatementStatus(statement.status)].lower()
    return Conflict(f"Impossible de {wanted} un relevé {label}.", code="illegal_transition")


def _lock(statement: Statement) -> Statement:
    """Lock the statement's row and re-read it (a concurrent change is seen here)."""
    locked = db.session.scalar(select(Statement).where(Statement.id == statement.id)
                               .with_for_update().execution_options(populate_existing=True))
    if locked is None:
        raise NotFound("Relevé introuvable.", code="not_found")
    return locked


# --- Generate --------------------------------------------------------------------------------


def generate(actor: User | None, venue: Venue, departement: Departement,
             period_start: date) -> Generation:
    """Create or bring up to date the draft of ``venue`` for vouchers paid by
    ``departement`` in the month starting ``period_start``.

    Allowed to admins, to the paying département's managers and to the system (None).
    Raises ``Forbidden``, ``RuleRefused`` (``period_not_started``, ``nothing_to_state``
    when there is neither a voucher nor an adjustment to state) and ``Conflict``
    (``statement_frozen`` once validated).
    """
    _ensure_manager(actor, departement.id)
    period_start = period_start.replace(day=1)
    if period_start > today():
        raise RuleRefused("Ce mois n'a pas encore commencé : aucun relevé possible.",
                          code="period_not_started", field="period")
    statement = queries.find_statement(venue.id, departement.id, period_start, lock=True)
    period_end = queries.next_month(period_start)
    if statement is None and not queries.has_candidates(venue.id, departement.id,
                                                         period_start, period_end):
        raise RuleRefused("Aucun encaissement ni régularisation à rembourser pour ce lieu, "
                          "ce département payeur et ce mois.", code="nothing_to_state")
    created = False
    if statement is None:
        statement, created = _create(venue.id, departement.id, period_start, period_end)
    if statement.status != StatementStatus.DRAFT:
        raise _frozen(statement)
    _refresh(statement)
    record("statement.generated", actor_id=actor.id if actor else None,
           object_type="statement", object_id=statement.id,
           details={"venue_id": venue.id, "departement_id": departement.id,
                    "period": queries.period_key(statement), "created": created,
                    "voucher_count": statement.voucher_count,
                    "total_cents": statement.total_cents,
                    "adjustment_cents": statement.adjustment_cents})
    return Generation(statement, created)


def _create(venue_id: int, departement_id: int, period_start: date, period_end: date
            ) -> tuple[Statement, bool]:
    """Insert the draft; when a concurrent generation inserted it first, lock theirs.

    The unique constraint (venue, département, month) decides: the loser's INSERT waits
    for the winner's commit, fails, and its savepoint is rolled back.
    """
    try:
        with db.session.begin_nested():
            statement = Statement(venue_id=venue_id, departement_id=departement_id,
                                  period_start=period_start, period_end=period_end,
                                  status=StatementStatus.DRAFT)
            db.session.add(statement)
            db.session.flush()
        return statement, True
    except IntegrityError:
        existing = queries.find_statement(venue_id, departement_id, period_start, lock=True)
        if existing is None:  # not a concurrent creation: let the error speak
            raise
        return existing, False


def _refresh(statement: Statement) -> None:
    """Attach the period's unattached lines and pending adjustments, then recount.

    The redemptions concerned are locked first (in id order, as ``undo`` locks its
    redemption before its lines), so an undo cannot slip between the attach and the
    count; the attach itself is conditional, so no line is taken twice.
    """
    condition = queries.candidate_condition(statement.venue_id, statement.departement_id,
                                            statement.period_start, statement.period_end)
    candidates = (select(RedemptionLine.redemption_id)
                  .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
                  .where(condition))
    attached = select(RedemptionLine.redemption_id).where(
        RedemptionLine.statement_id == statement.id)
    db.session.execute(select(Redemption.id)
                       .where(Redemption.id.in_(candidates.union(attached)))
                       .order_by(Redemption.id).with_for_update()).all()
    line_ids = (select(RedemptionLine.id)
                .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
                .where(condition))
    db.session.execute(
        update(RedemptionLine)
        .where(RedemptionLine.id.in_(line_ids),
               RedemptionLine.statement_id.is_(None), RedemptionLine.undone_at.is_(None))
        .values(statement_id=statement.id)
        .execution_options(synchronize_session=False))
    db.session.execute(
        update(StatementAdjustment)
        .where(StatementAdjustment.venue_id == statement.venue_id,
               StatementAdjustment.departement_id == statement.departement_id,
               StatementAdjustment.statement_id.is_(None))
        .values(statement_id=statement.id)
        .execution_options(synchronize_session=False))
    statement.voucher_count, statement.total_cents = queries.line_totals(statement.id)
    statement.adjustment_cents = queries.adjustment_total(statement.id)
    statement.generated_at = now()
    db.session.flush()
    db.session.expire(statement, ["adjustments"])


@dataclass(frozen=True)
class BulkResult:
    """One line of a bulk generation's summary."""

    venue_id: int
    departement_id: int
    statement: Statement | None
    outcome: str  # created, updated, frozen, empty


def generate_all(actor: User | None, period_start: date, *,
                 progress: Progress | None = None) -> list[BulkResult]:
    """Generate the month's draft of every venue and paying département with something
    to state, in the caller's transaction (all or nothing).

    Validated statements are left alone (``frozen``); pairs with nothing to state get
    no statement (``empty``). Raises ``Forbidden`` for a manager (admins or the system
    only) and ``RuleRefused`` (``period_not_started``).
    """
    require(generates_all_statements(actor),
            "La génération de tous les relevés est réservée aux administrateurs.")
    period_start = period_start.replace(day=1)
    if period_start > today():
        raise RuleRefused("Ce mois n'a pas encore commencé : aucun relevé possible.",
                          code="period_not_started", field="period")
    pairs = queries.generation_pairs(period_start, queries.next_month(period_start))
    results = []
    for index, (venue_id, departement_id) in enumerate(pairs, start=1):
        results.append(_generate_pair(actor, venue_id, departement_id, period_start))
        if progress is not None:
            progress(index, len(pairs))
    return results


def _generate_pair(actor: User | None, venue_id: int, departement_id: int,
                   period_start: date) -> BulkResult:
    """Generate one pair's draft without raising for the expected cases."""
    existing = queries.find_statement(venue_id, departement_id, period_start)
    if existing is not None and existing.status != StatementStatus.DRAFT:
        return BulkResult(venue_id, departement_id, existing, "frozen")
    if existing is None and not queries.has_candidates(
            venue_id, departement_id, period_start, queries.next_month(period_start)):
        return BulkResult(venue_id, departement_id, None, "empty")
    venue = db.session.get_one(Venue, venue_id)
    departement = db.session.get_one(Departement, departement_id)
    generation = generate(actor, venue, departement, period_start)
    return BulkResult(venue_id, departement_id, generation.statement,
                      "created" if generation.created else "updated")


# --- Workflow -------------------------------------------------------------------------------


def validate(actor: User, statement: Statement) -> Statement:
    """draft → validated, once the month is over: the draft is brought up to date in the
    same transaction, under its row lock, then frozen; the venue's agents are told.

    Raises ``Forbidden`` (not the paying département's manager nor an admin),
    ``Conflict`` (``illegal_transition``) and ``RuleRefused`` (``period_not_over``,
    ``nothing_to_state``).
    """
    _ensure_manager(actor, statement.departement_id)
    statement = _lock(statement)
    if statement.status != StatementStatus.DRAFT:
        raise _illegal(statement, "valider")
    if today() < statement.period_end:
        raise RuleRefused("Le mois n'est pas terminé : le relevé ne peut être validé "
                          f"qu'à partir du {statement.period_end:%d/%m/%Y}.",
                          code="period_not_over")
    _refresh(statement)
    if statement.voucher_count == 0 and statement.adjustment_cents == 0:
        raise RuleRefused("Ce relevé est vide : il n'y a rien à valider.",
                          code="nothing_to_state")
    statement.status = StatementStatus.VALIDATED
    statement.validated_at, statement.validated_by_id = now(), actor.id
    db.session.flush()
    _audit("statement.validated", actor, statement,
           voucher_count=statement.voucher_count, total_cents=statement.total_cents,
           adjustment_cents=statement.adjustment_cents)
    notify_statement(statement)
    return statement


def mark_paid(actor: User, statement: Statement, paid_on: date | None,
              reference: str | None) -> Statement:
    """validated → paid, with the payment's date and reference; the venue's agents are
    told.

    Raises ``Forbidden``, ``Conflict`` (``illegal_transition``) and ``InvalidInput``
    (``invalid_reference``: empty or over 80 characters; ``invalid_paid_on``: missing,
    in the future or before the validation).
    """
    _ensure_manager(actor, statement.departement_id)
    statement = _lock(statement)
    if statement.status != StatementStatus.VALIDATED:
        raise _illegal(statement, "marquer payé")
    reference = (reference or "").strip()
    if not reference or len(reference) > REFERENCE_MAX or "\x00" in reference:
        raise InvalidInput(f"Indiquez la référence du paiement ({REFERENCE_MAX} caractères "
                           "au plus).", code="invalid_reference", field="reference")
    assert statement.validated_at is not None  # validate() sets it with the status
    validated_on = statement.validated_at.astimezone(PARIS).date()
    if paid_on is None or paid_on > today() or paid_on < validated_on:
        raise InvalidInput("La date de paiement doit être comprise entre la validation du "
                           f"relevé ({validated_on:%d/%m/%Y}) et aujourd'hui.",
                           code="invalid_paid_on", field="paid_on")
    statement.status = StatementStatus.PAID
    statement.paid_on, statement.payment_reference = paid_on, reference
    statement.paid_recorded_by_id = actor.id
    db.session.flush()
    _audit("statement.paid", actor, statement, paid_on=paid_on.isoformat(),
           payment_reference=reference)
    notify_statement(statement)
    return statement


def archive(actor: User, statement: Statement) -> Statement:
    """paid → archived. Raises ``Forbidden`` and ``Conflict`` (``illegal_transition``)."""
    _ensure_manager(actor, statement.departement_id)
    statement = _lock(statement)
    if statement.status != StatementStatus.PAID:
        raise _illegal(statement, "archiver")
    statement.status = StatementStatus.ARCHIVED
    statement.archived_at, statement.archived_by_id = now(), actor.id
    db.session.flush()
    _audit("statement.archived", actor, statement)
    return statement


def add_adjustment(actor: User, corrects: Statement, amount_cents: int | None,
                   reason: str | None) -> StatementAdjustment:
    """Record a credit (> 0) or debit (< 0) correcting a validated, paid or archived
    statement; the next statement of the same venue and paying département takes it once.

    Raises ``Forbidden``, ``Conflict`` (``illegal_transition`` on a draft: regenerate it
    instead) and ``InvalidInput`` (``invalid_amount``, ``invalid_reason``).
    """
    _ensure_manager(actor, corrects.departement_id)
    corrects = _lock(corrects)
    if corrects.status == StatementStatus.DRAFT:
        raise Conflict("Un brouillon se corrige en le régénérant : une régularisation ne "
                       "porte que sur un relevé validé.", code="illegal_transition")
    if not amount_cents or abs(amount_cents) > ADJUSTMENT_MAX_CENTS:
        raise InvalidInput("Indiquez un montant non nul, d'au plus 100 000 € (négatif pour "
                           "une retenue).", code="invalid_amount", field="amount")
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX or "\x00" in reason:
        raise InvalidInput(f"Indiquez le motif de la régularisation ({REASON_MAX} caractères "
                           "au plus).", code="invalid_reason", field="reason")
    adjustment = StatementAdjustment(
        venue_id=corrects.venue_id, departement_id=corrects.departement_id,
        corrects_statement_id=corrects.id, amount_cents=amount_cents, reason=reason,
        created_by_id=actor.id)
    db.session.add(adjustment)
    db.session.flush()
    _audit("statement.adjustment_added", actor, corrects, adjustment_id=adjustment.id,
           amount_cents=amount_cents)
    return adjustment


def _audit(action: str, actor: User | None, statement: Statement, **details: object) -> None:
    record(action, actor_id=actor.id if actor else None, object_type="statement",
           object_id=statement.id,
           details={"venue_id": statement.venue_id, "departement_id": statement.departement_id,
                    "period": queries.period_key(statement), **details})
