"""Expiry pages: booklets expiring soon and the programme's closing report."""

from __future__ import annotations

import io

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.booklets import closing_export, expiry

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
    return render_template("programmes/closing.html", report=report,
                           columns=expiry.CLOSING_COLUMNS, glossary=expiry.CLOSING_FIGURES)


def _download(body: bytes | str, mimetype: str, report: expiry.ClosingReport,
              extension: str) -> Response:
    """``body`` as an attachment named after the programme and the day."""
    name = f"rapport-cloture-{report.programme.id}-{report.on.isoformat()}.{extension}"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/programmes/<id:programme_id>/cloture.csv")
@login_required
def closing_csv(programme_id: int) -> ResponseReturnValue:
    """The closing report as CSV, one line per département and a total."""
    report = expiry.closing_report(current_user, programme_id)
    return _download(closing_export.closing_csv(report), "text/csv", report, "csv")


@bp.route("/programmes/<id:programme_id>/cloture.pdf")
@login_required
def closing_pdf(programme_id: int) -> ResponseReturnValue:
    """The closing report as PDF."""
    report = expiry.closing_report(current_user, programme_id)
    out = io.BytesIO()
    closing_export.render_closing(report, out)
    return _download(out.getvalue(), "application/pdf", report, "pdf")
