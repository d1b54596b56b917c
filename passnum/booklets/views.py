"""Booklet pages: detail, PDF, revoke, replace; and the manual voucher check."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from passnum.booklets import queries
from passnum.booklets.forms import CheckForm, EmptyForm, RevokeForm
from passnum.booklets.printing import booklet_download
from passnum.booklets.services import issue_replacement, record_print, revoke_booklet
from passnum.core.db import unit_of_work
from passnum.core.ratelimit import limit_code_checks
from passnum.errors import DomainError
from passnum.redemptions.services import check

bp = Blueprint("booklets", __name__)


@bp.route("/chequiers/<id:booklet_id>")
@login_required
def detail(booklet_id: int):
    """The booklet, its vouchers and their state."""
    booklet = queries.get_booklet(current_user, booklet_id)
    return render_template(
        "booklets/detail.html", booklet=booklet, state=queries.booklet_state(booklet),
        voucher_state=queries.voucher_state, revoke_form=RevokeForm(), empty_form=EmptyForm(),
    )


@bp.route("/chequiers/<id:booklet_id>/pdf")
@login_required
def pdf(booklet_id: int):
    """Download the printable booklet (counted and audited)."""
    with unit_of_work():
        booklet = queries.get_booklet(current_user, booklet_id)
        record_print(current_user, booklet)
        # rendered inside the unit of work: a print is counted only if the PDF was made
        return booklet_download(booklet)


@bp.route("/chequiers/<id:booklet_id>/revoquer", methods=["POST"])
@login_required
def revoke(booklet_id: int):
    """Declare the booklet lost, stolen or cancelled."""
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Choisissez un motif de révocation.", "error")
        return redirect(url_for("booklets.detail", booklet_id=booklet_id))
    try:
        with unit_of_work():
            booklet = queries.get_booklet(current_user, booklet_id)
            revoke_booklet(current_user, booklet, reason=form.reason.data,
                           note=form.note.data or "")
    except DomainError as err:
        if err.http_status == 404:
            raise
        flash(err.message, "error")
    else:
        flash("Chéquier révoqué : ses chèques non utilisés sont annulés.", "success")
    return redirect(url_for("booklets.detail", booklet_id=booklet_id))


@bp.route("/chequiers/<id:booklet_id>/remplacer", methods=["POST"])
@login_required
def replace(booklet_id: int):
    """Issue the replacement of a lost or stolen booklet."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            booklet = issue_replacement(current_user, queries.get_booklet(current_user, booklet_id))
    except DomainError as err:
        if err.http_status == 404:
            raise
        flash(err.message, "error")
        return redirect(url_for("booklets.detail", booklet_id=booklet_id))
    flash(f"Chéquier de remplacement n° {booklet.number} émis.", "success")
    return redirect(url_for("booklets.detail", booklet_id=booklet.id))


@bp.route("/verifier", methods=["GET", "POST"])
@login_required
@limit_code_checks
def check_voucher():
    """Check a voucher by its manual code or link, without changing it."""
    form = CheckForm()
    result, error = None, None
    if form.validate_on_submit():
        try:
            with unit_of_work():
                result = check(form.code.data, actor_id=current_user.id, channel="web",
                               ip=request.remote_addr)
        except DomainError as err:
            error = err
    return render_template("booklets/check.html", form=form, result=result, error=error)
