"""The back office's voucher check (``/verifier``): a manual code or a voucher link typed
or pasted by a logged-in user, checked without being changed.

Its code belongs to the redemptions domain (``check``), like the public page a QR code
opens (``/v/<token>``, redemptions.views); it keeps the endpoint
``booklets.check_voucher`` and its template ``booklets/check.html``, which the menu and
the route policy name: importing this module adds it to the booklets' blueprint, which
``passnum.web`` does before registering that blueprint.
"""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.booklets.views import bp as booklets_bp
from passnum.core.db import unit_of_work
from passnum.core.ratelimit import limit_code_checks
from passnum.errors import DomainError
from passnum.redemptions.forms import CheckForm
from passnum.redemptions.services import VoucherCheck, check


@booklets_bp.route("/verifier", methods=["GET", "POST"])
@login_required
@limit_code_checks
def check_voucher() -> ResponseReturnValue:
    """Check a voucher by its manual code or link, without changing it."""
    form = CheckForm()
    result: VoucherCheck | None = None
    error: DomainError | None = None
    if form.validate_on_submit():
        try:
            with unit_of_work():
                result = check(form.code.data, actor_id=current_user.id, channel="web",
                               ip=request.remote_addr)
        except DomainError as err:
            error = err
    return render_template("booklets/check.html", form=form, result=result, error=error)
