"""``/journal``: administrators search the audit log and check its chain."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from passnum.audit.display import describe
from passnum.audit.forms import AuditSearchForm
from passnum.audit.queries import EventFilter, known_actions, search_events
from passnum.audit.services import verify
from passnum.core.forms import FrenchForm

bp = Blueprint("audit", __name__, url_prefix="/journal")


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """The events matching the filters, newest first, 50 a page."""
    form = AuditSearchForm(request.args)
    if request.args and not form.validate():
        return render_template("audit/index.html", form=form, page=None,
                               actions=known_actions(), verify_form=FrenchForm()), 400
    search = EventFilter(action=form.action.data or "", actor_id=form.actor_id.data,
                         object_type=form.object_type.data or "",
                         object_id=form.object_id.data or "",
                         start=form.start.data, end=form.end.data)
    page = search_events(search, request.args.get("page", 1, type=int) or 1)
    return render_template("audit/index.html", form=form, page=page, actions=known_actions(),
                           lines=describe(page.rows), verify_form=FrenchForm(),
                           query={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/verifier", methods=["POST"])
@login_required
def check_chain() -> ResponseReturnValue:
    """Walk the whole hash chain and say whether it is intact."""
    if not FrenchForm().validate_on_submit():
        flash("Le formulaire a expiré : rechargez la page.", "error")
        return redirect(url_for("audit.index"))
    result = verify()
    if result.ok:
        flash(f"Journal intact : {result.checked} entrées vérifiées, chaînage et contenu "
              f"conformes. Tête du journal : {result.head}", "success")
    else:
        flash(f"Journal altéré : {result.reason} ({result.checked} entrées intactes avant "
              "le dommage).", "error")
    return redirect(url_for("audit.index"))
