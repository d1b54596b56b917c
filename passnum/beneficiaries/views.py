"""Find, create and view beneficiaries; issue their booklet."""

from __future__ import annotations

import io
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.scope import own_structure_id
from passnum.beneficiaries import queries
from passnum.beneficiaries.consent import CURRENT_CONSENT_VERSION, consent_text
from passnum.beneficiaries.export import export_filename, export_json
from passnum.beneficiaries.forms import (
    BeneficiaryForm,
    EligibilityOverrideForm,
    OverrideForm,
    SearchForm,
)
from passnum.beneficiaries.pdf import render_export
from passnum.beneficiaries.services import create_beneficiary, export_beneficiary
from passnum.beneficiaries.services import override_duplicate as confirm_not_duplicate
from passnum.beneficiaries.services import override_eligibility as allow_outside_criteria
from passnum.booklets.forms import EmptyForm, IssueForm
from passnum.booklets.queries import booklet_state
from passnum.booklets.services import issue_booklet
from passnum.core.db import unit_of_work
from passnum.core.formatting import date_fr
from passnum.core.forms import required_data
from passnum.core.views import attempt
from passnum.programmes.queries import active_structures
from passnum.venues.queries import bookings_of, upcoming_booking

bp = Blueprint("beneficiaries", __name__, url_prefix="/beneficiaires")


@bp.route("/", methods=["GET", "POST"])
@login_required
def search():
    """Search beneficiaries in scope (POST: names never go into a URL)."""
    form = SearchForm()
    results = None
    if form.validate_on_submit():
        results = queries.search(current_user, last_name=form.last_name.data,
                                 first_name=form.first_name.data or "",
                                 birth_date=form.birth_date.data)
    return render_template("beneficiaries/search.html", form=form, results=results)


@bp.route("/liste")
@login_required
def people_list():
    """The people of the issuer's structure (a manager's département, every one for an
    admin), sorted by name, one page at a time: no name to type."""
    page = queries.structure_people(current_user, page=request.args.get("page", 1, type=int))
    return render_template("beneficiaries/list.html", listing=page)


def _duplicate_warning(elsewhere: queries.DuplicateElsewhere) -> str:
    """What an issuer may know of a probable duplicate: where and when, no one's data
    (flashed messages travel in the signed session cookie)."""
    if elsewhere.booklet_issued_on is not None:
        fact = f"a reçu un chéquier le {date_fr(elsewhere.booklet_issued_on)}"
    else:
        fact = f"a été enregistrée le {date_fr(elsewhere.created_on)}"
    return ("Doublon probable : une personne de même nom, prénom et date de naissance "
            f"{fact} auprès de « {elsewhere.structure_name} ». Vérifiez qu'il s'agit bien "
            "d'une autre personne avant de lui remettre un chéquier.")


@bp.route("/nouveau", methods=["GET", "POST"])
@login_required
def create():
    """Record a new beneficiary of the issuer's structure."""
    form = BeneficiaryForm()
    if own_structure_id(current_user) is None:  # an administrator names the structure
        form.structure_id.choices = [(s.id, s.name) for s in active_structures()]
    else:
        del form.structure_id
    status = 200
    if form.validate_on_submit():
        chosen = form.structure_id.data if "structure_id" in form else None
        outcome = attempt(lambda: create_beneficiary(current_user, form.as_data(),
                                                     structure_id=chosen),
                          form, unplaced="form", reraise=())
        if outcome.error is not None:
            return render_template("beneficiaries/new.html", form=form,
                                   existing_id=outcome.error.details.get("beneficiary_id"),
                                   consent_version=CURRENT_CONSENT_VERSION), outcome.status
        beneficiary = outcome.value
        flash("Bénéficiaire enregistré(e).", "success")
        if (elsewhere := queries.duplicate_elsewhere(beneficiary)) is not None:
            flash(_duplicate_warning(elsewhere), "warning")
        return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary.id))
    if form.errors:
        status = 422
    return render_template("beneficiaries/new.html", form=form, existing_id=None,
                           consent_version=CURRENT_CONSENT_VERSION), status


@bp.route("/<id:beneficiary_id>")
@login_required
def detail(beneficiary_id: int):
    """A beneficiary's record and booklets, with the issue button."""
    beneficiary = queries.get_beneficiary(current_user, beneficiary_id)
    return render_template("beneficiaries/detail.html", beneficiary=beneficiary,
                           bookings=bookings_of(beneficiary.id), cancel_form=EmptyForm(),
                           booking_open=upcoming_booking(beneficiary.id) is None,
                           form=IssueForm(), override_form=OverrideForm(),
                           eligibility_form=EligibilityOverrideForm(),
                           booklet_state=booklet_state,
                           consent_text=consent_text(beneficiary.consent_text_version))


@bp.route("/<id:beneficiary_id>/chequier", methods=["POST"])
@login_required
def issue(beneficiary_id: int):
    """Issue the beneficiary's booklet, then show it for printing."""
    form = IssueForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = attempt(lambda: issue_booklet(
        current_user, queries.get_beneficiary(current_user, beneficiary_id),
        override_reason=form.override_reason.data))
    if not outcome.ok:
        return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary_id))
    booklet = outcome.value
    flash(f"Chéquier n° {booklet.number} émis : imprimez-le et remettez-le.", "success")
    return redirect(url_for("booklets.detail", booklet_id=booklet.id))


@bp.route("/<id:beneficiary_id>/doublon", methods=["POST"])
@login_required
def override_duplicate(beneficiary_id: int) -> ResponseReturnValue:
    """A manager confirms that this person is not a likely duplicate, with a reason."""
    form = OverrideForm()
    if not form.validate_on_submit():
        flash("Indiquez le motif (500 caractères au plus).", "error")
        return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary_id))
    if attempt(lambda: confirm_not_duplicate(
            current_user, queries.get_beneficiary(current_user, beneficiary_id),
            reason=required_data(form.reason.data))).ok:
        flash("Doublon écarté : le chéquier de cette personne peut être émis ou remis.",
              "success")
    return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary_id))


@bp.route("/<id:beneficiary_id>/eligibilite", methods=["POST"])
@login_required
def override_eligibility(beneficiary_id: int) -> ResponseReturnValue:
    """A manager records why this person may have a booklet outside the programme's
    territory or minimum age."""
    form = EligibilityOverrideForm()
    if not form.validate_on_submit():
        flash("Indiquez le motif (500 caractères au plus).", "error")
        return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary_id))
    if attempt(lambda: allow_outside_criteria(
            current_user, queries.get_beneficiary(current_user, beneficiary_id),
            reason=required_data(form.eligibility_reason.data))).ok:
        flash("Dérogation enregistrée : le chéquier de cette personne peut être émis ou "
              "remis.", "success")
    return redirect(url_for("beneficiaries.detail", beneficiary_id=beneficiary_id))


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    """A download named after the record id (never the person), kept out of caches."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<id:beneficiary_id>/export.json", methods=["POST"])
@login_required
def export_json_download(beneficiary_id: int):
    """Subject-access export as JSON (audited, hence a POST); out of scope is 404 for
    every role."""
    with unit_of_work():  # rendered before commit: a failed export is not audited
        data = export_beneficiary(current_user, beneficiary_id, fmt="json")
        body = json.dumps(export_json(data), ensure_ascii=False, indent=2).encode("utf-8")
    return _attachment(body, "application/json", export_filename(beneficiary_id, "json"))


@bp.route("/<id:beneficiary_id>/export.pdf", methods=["POST"])
@login_required
def export_pdf_download(beneficiary_id: int):
    """Subject-access export as a printable PDF (audited, hence a POST)."""
    out = io.BytesIO()
    with unit_of_work():
        render_export(export_beneficiary(current_user, beneficiary_id, fmt="pdf"), out)
    return _attachment(out.getvalue(), "application/pdf", export_filename(beneficiary_id, "pdf"))
