"""Statement pages (``/releves``): list, generate, detail, workflow, PDF and CSV."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice  # type: ignore[attr-defined]  # WTForms 3.3, stubs 3.2

from passnum.auth.scope import can_steer_statements, is_admin, steers
from passnum.core.clock import today
from passnum.core.forms import FrenchForm
from passnum.core.views import attempt
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.programmes.queries import departement_by_code, departements
from passnum.statements import queries, services
from passnum.statements.download import statement_pdf
from passnum.statements.exports import finance_csv, statement_csv
from passnum.statements.forms import (
    AdjustmentForm,
    ConfirmForm,
    FilterForm,
    GenerateForm,
    PaymentForm,
)
from passnum.statements.models import Statement, StatementStatus
from passnum.venues.models import Venue

bp = Blueprint("statements", __name__, url_prefix="/releves")

STATEMENT = "/<id:statement_id>"
SHOWN_LINES = 1000  # the page shows this many; the PDF and the CSV hold them all


def _departements() -> list[Departement]:
    """The départements ``current_user`` may pick as paying département."""
    return [d for d in departements() if can_steer_statements(current_user, d.id)]


def _list_filters() -> tuple[FilterForm, queries.ListFilter]:
    args = request.args.copy()
    if not is_admin(current_user):  # the scope decides: no département to pick
        args.pop("departement", None)
    form = FilterForm(args)
    form.departement.choices = [SelectChoice("", "Tous")] + [
        SelectChoice(d.code, str(d)) for d in _departements()]
    form.status.choices = [SelectChoice("", "Tous")] + [
        SelectChoice(s.value, label) for s, label in queries.STATUS_LABELS.items()]
    if not form.validate():
        return form, queries.ListFilter()
    departement = departement_by_code(form.departement.data)
    return form, queries.ListFilter(
        period_start=queries.parse_period(form.period.data) if form.period.data else None,
        departement_id=departement.id if departement else None,
        status=form.status.data or None)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """Statements in scope: the département's (managers), all (admins), the venue's."""
    form, filters = _list_filters()
    statements = queries.list_statements(current_user, filters)
    status = 422 if form.errors else 200
    return render_template("statements/index.html", form=form, statements=statements,
                           q=queries, can_manage=steers(current_user)), status


@bp.route("/generer", methods=["GET", "POST"])
@login_required
def generate() -> ResponseReturnValue:
    """Generate or bring up to date a venue's draft for one month."""
    form = GenerateForm()
    form.venue.choices = [SelectChoice(0, "— Choisir un lieu —")] + [
        SelectChoice(v.id, f"{v.name} ({v.commune})" if v.commune else v.name)
        for v in db.session.scalars(select(Venue).order_by(Venue.name))]
    form.departement.choices = [SelectChoice(d.code, str(d)) for d in _departements()]
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return render_template("statements/generate.html", form=form), status
    outcome = attempt(lambda: _generate(form), form, field="venue", reraise=())
    if not outcome.ok:
        return render_template("statements/generate.html", form=form), outcome.status
    created, statement_id = outcome.value
    flash("Relevé créé (brouillon)." if created else "Brouillon mis à jour.", "success")
    return redirect(url_for("statements.detail", statement_id=statement_id))


def _generate(form: GenerateForm) -> tuple[bool, int]:
    """Generate the draft the form asks for; whether it is new, and its id."""
    venue = db.session.get(Venue, form.venue.data)
    departement = departement_by_code(form.departement.data)
    if venue is None or departement is None:
        abort(404)
    result = services.generate(current_user, venue, departement,
                               queries.parse_period(form.period.data))
    return result.created, result.statement.id


def _detail_page(statement: Statement, status: int = 200, **forms: FrenchForm
                 ) -> ResponseReturnValue:
    """The statement page, with the forms of the transitions ``current_user`` may make."""
    lines = list(queries.statement_lines(statement.id, limit=SHOWN_LINES))
    manage = can_steer_statements(current_user, statement.departement_id)
    defaults = {"validate_form": ConfirmForm(prefix="validate", formdata=None),
                "archive_form": ConfirmForm(prefix="archive", formdata=None),
                "payment_form": PaymentForm(prefix="pay", formdata=None, paid_on=today()),
                "adjustment_form": AdjustmentForm(prefix="adj", formdata=None),
                "refresh_form": FrenchForm(prefix="refresh", formdata=None)}
    defaults.update(forms)
    return render_template(
        "statements/detail.html", statement=statement, lines=lines, q=queries,
        shown_lines=SHOWN_LINES, adjustments=queries.adjustments_of(statement.id),
        pending=queries.pending_adjustments(statement.venue_id, statement.departement_id),
        manage=manage, Status=StatementStatus, **defaults), status


@bp.route(STATEMENT)
@login_required
def detail(statement_id: int) -> ResponseReturnValue:
    """One statement: identity, totals, adjustments, lines and workflow buttons."""
    return _detail_page(queries.get_statement(current_user, statement_id))


def _transition(statement_id: int, form: FrenchForm, form_name: str,
                action: Callable[[Statement, FrenchForm], object], done: str
                ) -> ResponseReturnValue:
    """Run one workflow service from a confirmed form; show its refusal on the page."""
    statement = queries.get_statement(current_user, statement_id)
    if not form.validate_on_submit():
        return _detail_page(statement, 422, **{form_name: form})
    outcome = attempt(lambda: action(queries.get_statement(current_user, statement_id), form),
                      form)
    if not outcome.ok:
        db.session.expire_all()
        statement = queries.get_statement(current_user, statement_id)
        return _detail_page(statement, outcome.status, **{form_name: form})
    flash(done, "success")
    return redirect(url_for("statements.detail", statement_id=statement_id))


@bp.route(f"{STATEMENT}/actualiser", methods=["POST"])
@login_required
def refresh(statement_id: int) -> ResponseReturnValue:
    """Bring a draft up to date with the month's redemptions and pending adjustments."""
    def run(statement: Statement, _form: FrenchForm) -> None:
        services.generate(current_user, statement.venue, statement.departement,
                          statement.period_start)

    return _transition(statement_id, FrenchForm(prefix="refresh"), "refresh_form", run,
                       "Brouillon mis à jour.")


@bp.route(f"{STATEMENT}/valider", methods=["POST"])
@login_required
def validate(statement_id: int) -> ResponseReturnValue:
    """draft → validated (after a last update of the draft)."""
    return _transition(statement_id, ConfirmForm(prefix="validate"), "validate_form",
                       lambda s, _f: services.validate(current_user, s),
                       "Relevé validé : il est désormais figé.")


@bp.route(f"{STATEMENT}/payer", methods=["POST"])
@login_required
def pay(statement_id: int) -> ResponseReturnValue:
    """validated → paid, with the payment's date and reference."""
    return _transition(statement_id, PaymentForm(prefix="pay"), "payment_form",
                       lambda s, f: services.mark_paid(current_user, s, f.paid_on.data,
                                                       f.reference.data),
                       "Paiement enregistré.")


@bp.route(f"{STATEMENT}/archiver", methods=["POST"])
@login_required
def archive(statement_id: int) -> ResponseReturnValue:
    """paid → archived."""
    return _transition(statement_id, ConfirmForm(prefix="archive"), "archive_form",
                       lambda s, _f: services.archive(current_user, s), "Relevé archivé.")


@bp.route(f"{STATEMENT}/regularisations", methods=["POST"])
@login_required
def add_adjustment(statement_id: int) -> ResponseReturnValue:
    """Record an adjustment that the next statement of the venue will carry."""
    return _transition(statement_id, AdjustmentForm(prefix="adj"), "adjustment_form",
                       lambda s, f: services.add_adjustment(current_user, s, f.amount.data,
                                                            f.reason.data),
                       "Régularisation enregistrée : elle figurera sur le prochain relevé "
                       "du lieu.")


@bp.route(f"{STATEMENT}/pdf")
@login_required
def pdf(statement_id: int) -> Response:
    """The statement as a PDF."""
    return statement_pdf(queries.get_statement(current_user, statement_id))


@bp.route(f"{STATEMENT}/csv")
@login_required
def csv(statement_id: int) -> Response:
    """The statement's vouchers and adjustments as CSV."""
    statement = queries.get_statement(current_user, statement_id)
    body = statement_csv(statement, queries.adjustments_of(statement.id))
    return Response(stream_with_context(body), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={queries.reference(statement)}.csv"})


@bp.route("/export-comptable.csv")
@login_required
def finance_export() -> ResponseReturnValue:
    """Validated, paid and archived statements in scope, filtered like the list."""
    form, filters = _list_filters()
    if form.errors:
        flash("Filtres invalides : " + " ".join(e for errs in form.errors.values()
                                                 for e in errs), "error")
        return redirect(url_for("statements.index"))
    body = finance_csv(queries.finance_statements(current_user, filters))
    return Response(stream_with_context(body), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=releves-export-comptable.csv"})
