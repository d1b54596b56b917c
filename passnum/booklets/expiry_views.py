"""Expiry pages: booklets expiring soon and the programme's closing report."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.booklets import expiry

bp = Blueprint("expiry", __name__)


@bp.route("/echeances")
@login_required
def expiring() -> ResponseReturnValue:
    """Booklets of the actor's scope expiring within 30 days with unused vouchers."""
    rows = expiry.expiring_booklets(current_user)
    return render_template(
        "booklets/expiring.html", rows=rows, within_days=expiry.EXPIRY_WINDOW_DAYS,
        total_count=sum(r.unused_count for r in rows),
        total_cents=sum(r.unused_cents for r in rows),
        programmes=expiry.programmes_for_closing(current_user),
    )


@bp.route("/programmes/<id:programme_id>/cloture")
@login_required
def closing(programme_id: int) -> ResponseReturnValue:
    """The programme's closing report per département, at today's date."""
    report = expiry.closing_report(current_user, programme_id)
    return render_template("programmes/closing.html", report=report)
