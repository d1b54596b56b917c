"""The venue's redemption history: filters, CSV export, undo, and finding one voucher."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.models import Role
from passnum.booklets.forms import EmptyForm
from passnum.booklets.queries import voucher_state
from passnum.core.clock import now
from passnum.core.confirm import confirmation_page, is_confirmed
from passnum.core.formatting import datetime_fr
from passnum.core.forms import required_data
from passnum.core.ratelimit import limit_code_checks
from passnum.core.views import attempt
from passnum.errors import DomainError, InvalidInput
from passnum.programmes.queries import departement_codes
from passnum.redemptions.exports import history_csv
from passnum.redemptions.forms import FindVoucherForm, HistoryFilterForm
from passnum.redemptions.queries import HistoryFilter, get_redemption, venue_history
from passnum.redemptions.services import UNDO_WINDOW, FoundVoucher, find_for_venue, undo
from passnum.venues.queries import workshops_of

bp = Blueprint("history", __name__, url_prefix="/encaissements")


def _venue_id() -> int:
    if current_user.role != Role.VENUE_AGENT:
        abort(403)
    return current_user.venue_id


def _filters(venue_id: int) -> tuple[HistoryFilterForm, HistoryFilter]:
    form = HistoryFilterForm(request.args)
    form.workshop.choices = [(0, "Tous")] + [
        (w.id, f"{w.title} ({datetime_fr(w.starts_at)})")
        for w in workshops_of(venue_id, include_past=True)]
    if not form.validate():
        return form, HistoryFilter()
    include_undone = form.include_undone.data if "include_undone" in request.args or \
        not request.args else False
    return form, HistoryFilter(start=form.start.data, end=form.end.data,
                               workshop_id=form.workshop.data or None,
                               include_undone=include_undone)


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """The venue's redemptions, newest first, with totals and undo buttons."""
    venue_id = _venue_id()
    form, filters = _filters(venue_id)
    redemptions = venue_history(venue_id, filters)
    live = [r for r in redemptions if r.undone_at is None]
    totals = {"count": sum(len(r.lines) for r in live),
              "cents": sum(line.value_cents for r in live for line in r.lines)}
    return render_template("redemptions/history.html", form=form, redemptions=redemptions,
                           totals=totals, undo_form=EmptyForm(), find_form=FindVoucherForm(),
                           undo_until=now() - UNDO_WINDOW), 400 if form.errors else 200


@bp.route("/export.csv")
@login_required
def export() -> Response:
    """The filtered history as CSV, one row per voucher."""
    venue_id = _venue_id()
    form, filters = _filters(venue_id)
    if form.errors:  # never a file for another period than the one asked for
        name, messages = next(iter(form.errors.items()))
        raise InvalidInput(f"{form[name].label.text} : {messages[0]}", field=name)
    body = history_csv(venue_history(venue_id, filters, limit=None), departement_codes())
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=encaissements.csv"})


@bp.route("/<id:redemption_id>/annuler", methods=["POST"])
@login_required
def undo_redemption(redemption_id: int) -> ResponseReturnValue:
    """Undo a redemption made by mistake."""
    venue_id = _venue_id()
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not is_confirmed():
        get_redemption(venue_id, redemption_id)  # 404 before asking
        return confirmation_page(
            title="Annuler cet encaissement ?",
            message="Les chèques de cet encaissement redeviendront utilisables et ne seront "
                    "pas remboursés au lieu.",
            action="Annuler l'encaissement",
            back_url=url_for("history.index"))
    # a refusal other than 404 is flashed
    if attempt(lambda: undo(redemption_id, actor=current_user, ip=request.remote_addr)).ok:
        flash("Encaissement annulé : les chèques sont de nouveau utilisables.", "success")
    return redirect(url_for("history.index"))


@bp.route("/chercher", methods=["POST"])
@login_required
@limit_code_checks
def find() -> ResponseReturnValue:
    """Find one voucher by serial or manual code and say where it stands."""
    venue_id = _venue_id()
    form = FindVoucherForm()
    found: FoundVoucher | None = None
    error: DomainError | None = None
    if form.validate_on_submit():
        outcome = attempt(lambda: find_for_venue(required_data(form.code.data),
                                                 venue_id=venue_id, actor_id=current_user.id,
                                                 ip=request.remote_addr),
                          unplaced="none", reraise=())
        found = outcome.value if outcome.ok else None
        error = outcome.error
    return render_template("redemptions/find.html", form=form, found=found, error=error,
                           voucher_state=voucher_state)
