"""The venue import page: check a file of the national standard (a dry run that shows
every row's fate), then import it; managers into their département, administrators
into the one they choose.

Nested in the ``venues`` blueprint: endpoints are ``venues.imports.*``. The file waits
on the server between the two steps (``import_uploads``); the page holds its token only.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.scope import is_admin
from passnum.core.views import attempt
from passnum.extensions import csrf, db
from passnum.programmes.models import Departement
from passnum.programmes.queries import departements
from passnum.venues.forms import VenueImportForm, VenueImportRunForm
from passnum.venues.import_reading import MAX_BYTES, MAX_ROWS
from passnum.venues.import_uploads import check_upload, run_upload
from passnum.venues.imports import ImportPlan

bp = Blueprint("imports", __name__)

CSRF_MESSAGE = "Le formulaire a expiré : rechargez la page puis renvoyez-le."
# the file and the form around it: the application's smaller limit would refuse a file
# the import accepts
UPLOAD_LIMIT = MAX_BYTES + 64 * 1024
OUT_OF_PAGE = (403, 404)


def _page(form: VenueImportForm, *, status: int = 200, plan: ImportPlan | None = None,
          token: str | None = None) -> ResponseReturnValue:
    """Render the import page: the file form, and the plan of the last check or import
    (with the button that imports it, when a file is kept)."""
    run_form = (VenueImportRunForm(formdata=None, data={"token": token})
                if token is not None else None)
    return render_template(
        "venues/import.html", form=form, plan=plan, run_form=run_form,
        is_admin=is_admin(current_user), max_mb=MAX_BYTES // (1024 * 1024),
        max_rows=MAX_ROWS), status


def _form(*, posted: bool = True) -> VenueImportForm:
    """The file form (read from the request when ``posted``), with the départements an
    administrator chooses from."""
    form = VenueImportForm() if posted else VenueImportForm(formdata=None)
    form.departement_id.choices = [(0, "— Choisissez le département —"),
                                   *((d.id, str(d)) for d in departements())]
    return form


def _departement(form: VenueImportForm) -> Departement | None:
    """The département to import into: an administrator's choice, a manager's own
    (unless they named another: the service refuses it); None (with an error on the
    field) when none is chosen."""
    chosen = form.departement_id.data or None
    if chosen is None and not is_admin(current_user):
        chosen = current_user.departement_id
    found = db.session.get(Departement, chosen) if chosen else None
    if found is None:
        form.departement_id.errors = ["Choisissez le département des lieux."]
    return found


@bp.route("/lieux/gestion/import", methods=["GET", "POST"])
@login_required
def upload() -> ResponseReturnValue:
    """Check a file of venues (dry run): every row to create or refused, with reasons."""
    request.max_content_length = UPLOAD_LIMIT
    form = _form()
    if not form.is_submitted():
        return _page(form)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            form.form_errors.append(CSRF_MESSAGE)
            return _page(form, status=400)
        return _page(form, status=422)
    departement = _departement(form)
    if departement is None:
        return _page(form, status=422)
    file = form.file.data
    data, filename = file.read(), file.filename or ""
    outcome = attempt(lambda: check_upload(current_user, departement, filename, data), form,
                      field="file", unplaced="form", reraise=OUT_OF_PAGE)
    if not outcome.ok:
        return _page(form, status=outcome.status)
    plan, token = outcome.value
    return _page(form, plan=plan, token=token)


# the form's own CSRF check (FlaskForm) runs in the view, once the larger limit is set:
# the application-wide check would read the file first, under the smaller limit
csrf.exempt(upload)


@bp.route("/lieux/gestion/import/executer", methods=["POST"])
@login_required
def run() -> ResponseReturnValue:
    """Import the file checked just before; show what was created."""
    form, run_form = _form(posted=False), VenueImportRunForm()
    if not run_form.validate_on_submit():
        form.form_errors.append(CSRF_MESSAGE)
        return _page(form, status=400)
    outcome = attempt(lambda: run_upload(current_user, run_form.token.data or ""), form,
                      unplaced="form", reraise=OUT_OF_PAGE)
    if not outcome.ok:
        return _page(form, status=outcome.status)
    return _page(form, plan=outcome.value)
