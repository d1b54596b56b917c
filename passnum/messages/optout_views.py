"""The public page that stops messages (``/messages/arret/<stop_code>``, from a message).

GET asks to confirm with a button, so that a mail client or a link preview that opens
the link stops nothing; POST (with its CSRF token) withdraws the consent. The page shows
no personal data, and answers alike whether or not the person still gets messages. The
code is as good as the link: the access log shows the path as ``/messages/arret/…``
(``core.logging.loggable_path``).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from passnum.core.views import attempt
from passnum.messages.optout import holder_of, stop_messages

bp = Blueprint("messages_optout", __name__)


@bp.route("/messages/arret/<stop_code>", methods=["GET", "POST"])
def stop(stop_code: str) -> ResponseReturnValue:
    """Confirm (GET), then stop (POST) the messages of the link's person."""
    beneficiary_id = holder_of(stop_code)  # a malformed or unknown code: 404, no write
    if request.method == "GET":
        return render_template("messages/stop.html")
    attempt(lambda: stop_messages(beneficiary_id))
    return render_template("messages/stop_done.html")
