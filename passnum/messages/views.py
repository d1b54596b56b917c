"""The administrators' view of the outbox: where messages stand, and the failed ones."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from passnum.core.views import attempt
from passnum.messages.models import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS
from passnum.messages.queries import counts_by_status, failed_messages, oldest_pending
from passnum.messages.services import retry, sms_enabled

bp = Blueprint("messages", __name__, url_prefix="/admin/messages")


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """Counts by status, the failed messages (kind, channel, masked recipient, error)."""
    return render_template("messages/index.html", counts=counts_by_status(),
                           failed=failed_messages(), oldest_pending=oldest_pending(),
                           form=FlaskForm(), status_labels=STATUS_LABELS,
                           kind_labels=KIND_LABELS, channel_labels=CHANNEL_LABELS,
                           sms_enabled=sms_enabled())


@bp.route("/<id:message_id>/reessayer", methods=["POST"])
@login_required
def retry_message(message_id: int) -> ResponseReturnValue:
    """Put a failed message back in the queue (the next ``jobs run`` sends it)."""
    form = FlaskForm()
    if not form.validate_on_submit():
        flash("Formulaire expiré : rechargez la page et recommencez.", "error")
        return redirect(url_for(".index"))
    outcome = attempt(lambda: retry(message_id, actor_id=current_user.id,
                                    ip=request.remote_addr))
    if outcome.ok:
        flash("Message remis en file d'envoi : il partira au prochain passage des "
              "travaux planifiés.", "success")
    return redirect(url_for(".index"))
