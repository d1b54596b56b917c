"""A confirmation step before a destructive act, that works without JavaScript.

The page's form posts as before; when the request does not carry ``confirm=oui`` the
view answers with a confirmation page instead of acting. That page repeats every posted
field (the CSRF token included) as hidden inputs and adds ``confirm=oui`` to its button,
so the second POST is the same request, confirmed. A reload or a prefetch never acts.
"""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

CONFIRM_FIELD = "confirm"
CONFIRMED = "oui"


def is_confirmed() -> bool:
    """True when the current POST carries the confirmation."""
    return request.form.get(CONFIRM_FIELD) == CONFIRMED


def confirmation_page(*, title: str, message: str, action: str,
                      back_url: str) -> ResponseReturnValue:
    """Ask to confirm the current POST: ``action`` labels the button that repeats it,
    ``back_url`` is where "Ne rien faire" leads."""
    fields = [(name, value) for name, value in request.form.items(multi=True)
              if name != CONFIRM_FIELD]
    return render_template("confirm.html", title=title, message=message, action=action,
                           back_url=back_url, fields=fields, post_url=request.path,
                           confirm_field=CONFIRM_FIELD, confirmed=CONFIRMED)
