"""Venue qualification pages: the public application, label management, the venue's page.

Nested in the ``venues`` blueprint: endpoints are ``venues.labels.*``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from passnum.auth.scope import is_admin
from passnum.core.confirm import confirmation_page, is_confirmed
from passnum.core.formatting import format_iban
from passnum.core.forms import required_data
from passnum.core.ratelimit import limit_accepted
from passnum.core.views import attempt
from passnum.programmes.queries import departements
from passnum.venues import queries
from passnum.venues.forms import (
    AddAgentForm,
    AgentToggleForm,
    ApplicationForm,
    CompleteApplicationForm,
    LabelDecisionForm,
    LocationForm,
    RefuseProfileForm,
    offer_communes,
)
from passnum.venues.labels import (
    APPROVAL_REQUIREMENTS,
    LABEL_ACTIONS,
    add_venue_agent,
    allowed_actions,
    apply_for_label,
    change_label,
    complete_application,
    missing_for_approval,
    set_agent_active,
)
from passnum.venues.location import set_venue_location
from passnum.venues.models import LABEL_LABELS, LabelStatus, Venue
from passnum.venues.profile import compare
from passnum.venues.validation import mask_iban

bp = Blueprint("labels", __name__)

MAX_ID = 2**31 - 1
CSRF_MESSAGE = "Le formulaire a expiré : rechargez la page puis renvoyez-le."
# Label decisions that stop a venue from redeeming: asked twice, with what they do.
CONFIRMED_ACTIONS = {
    "suspend": "Le lieu ne pourra plus encaisser de chèques tant que le label est suspendu.",
    "withdraw": "Le lieu ne pourra plus jamais encaisser de chèques : le retrait est "
                "définitif.",
}


def _accepted(response: Response) -> bool:
    """Only an accepted application (the redirect) counts: typos and refusals are free."""
    return response.status_code == 302


OUT_OF_PAGE = (403, 404)  # refusals no page of these can show: the error page answers


def _csrf_failed(form: FlaskForm) -> bool:
    """True (with a message above the form) when the CSRF token was missing or stale."""
    if "csrf_token" not in form.errors:
        return False
    form.form_errors.append(CSRF_MESSAGE)
    return True


def _departement_choices() -> list[tuple[int, str]]:
    """The départements taking part, after a "choose" entry."""
    return [(0, "— Choisissez le département —"), *((d.id, str(d)) for d in departements())]


# --- public application ---------------------------------------------------------------


@bp.route("/lieux/candidature", methods=["GET", "POST"])
@limit_accepted("RATELIMIT_APPLICATIONS", "venue-applications-ip", _accepted)
def apply() -> ResponseReturnValue:
    """A venue applies for the label (no login); its lead agent account is created."""
    form = ApplicationForm()
    form.departement_id.choices = _departement_choices()
    offer_communes(form)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        outcome = attempt(lambda: apply_for_label(**form.as_values()), form, unplaced="form",
                          reraise=OUT_OF_PAGE)
        if outcome.ok:
            return redirect(url_for(".applied"))
        status = outcome.status
    elif _csrf_failed(form):
        status = 400
    return render_template("venues/apply.html", form=form), status


@bp.route("/lieux/candidature/envoyee")
def applied() -> ResponseReturnValue:
    """What happens after an application."""
    return render_template("venues/applied.html")


# --- managers: label decisions --------------------------------------------------------


def _id_arg(name: str) -> int | None:
    """A positive id from the query string, or None."""
    value = request.args.get(name, type=int)
    return value if value is not None and 1 <= value <= MAX_ID else None


@bp.route("/lieux/gestion")
@login_required
def manage() -> ResponseReturnValue:
    """Venues of the manager's département (admins: all, filtered), pending first."""
    departement_id = _id_arg("departement")
    status = request.args.get("statut") or None
    status = status if status in set(LabelStatus) else None
    admin = is_admin(current_user)
    venues = queries.managed_venues(current_user, departement_id=departement_id, status=status)
    departements = _departement_choices()[1:] if admin else []
    return render_template(
        "venues/manage.html", venues=venues, departements=departements, is_admin=admin,
        departement_id=departement_id, status=status, label_labels=LABEL_LABELS,
        proposals=queries.pending_profile_changes(current_user),
    )


def _decision_forms(venue: Venue, failed: LabelDecisionForm | None) -> list:
    """One form per decision the label allows (the failed one keeps its input)."""
    forms = []
    for action in allowed_actions(venue.label_status):
        form = (failed if failed is not None and failed._prefix == f"{action.name}-"
                else LabelDecisionForm(prefix=action.name, formdata=None))
        forms.append((action, form))
    return forms


def _completion_form(venue: Venue) -> CompleteApplicationForm:
    """The form completing an application, filled with what the venue has."""
    return CompleteApplicationForm(formdata=None, data={
        "siret": venue.siret or "", "iban": format_iban(venue.iban or ""),
        "legal_representative": venue.legal_representative,
        "charter": venue.charter_accepted_at is not None})


def _manage_detail(venue: Venue, failed: LabelDecisionForm | None = None,
                   status: int = 200, location: LocationForm | None = None,
                   profile_form: RefuseProfileForm | None = None,
                   completion: CompleteApplicationForm | None = None) -> ResponseReturnValue:
    """Render the manager's page of a venue: application, location, the proposed public
    profile beside the published one, history, decisions."""
    proposal = queries.pending_change(venue.id)
    return render_template(
        "venues/manage_venue.html", venue=venue, iban=format_iban(venue.iban or ""),
        history=queries.label_history(venue.id), agents=queries.venue_agents(venue.id),
        decisions=_decision_forms(venue, failed), label_labels=LABEL_LABELS,
        location=location or _location_form(venue),
        position_source=queries.position_source(venue), proposal=proposal,
        proposal_rows=compare(venue, proposal.values) if proposal else [],
        refuse_form=profile_form or RefuseProfileForm(formdata=None),
        missing=[APPROVAL_REQUIREMENTS[name] for name in missing_for_approval(venue)],
        completion=completion or _completion_form(venue),
    ), status


@bp.route("/lieux/gestion/<id:venue_id>")
@login_required
def managed_venue(venue_id: int) -> ResponseReturnValue:
    """A venue's application, label history and the decisions its label allows."""
    return _manage_detail(queries.get_managed_venue(current_user, venue_id))


@bp.route("/lieux/gestion/<id:venue_id>/<action>", methods=["POST"])
@login_required
def decide(venue_id: int, action: str) -> ResponseReturnValue:
    """Approve, suspend, reactivate or withdraw a label, with its reason."""
    if action not in LABEL_ACTIONS:
        abort(404)
    venue = queries.get_managed_venue(current_user, venue_id)
    form = LabelDecisionForm(prefix=action)
    if not form.validate_on_submit():
        return _manage_detail(venue, form, 400 if _csrf_failed(form) else 422)
    if action in CONFIRMED_ACTIONS and not is_confirmed():
        return confirmation_page(
            title=f"{LABEL_ACTIONS[action].label} de « {venue.name} » ?",
            message=CONFIRMED_ACTIONS[action], action=LABEL_ACTIONS[action].label,
            back_url=url_for(".managed_venue", venue_id=venue_id))
    outcome = attempt(lambda: change_label(current_user, venue, action,
                                           required_data(form.reason.data)), form,
                      reraise=OUT_OF_PAGE)
    if outcome.error is not None:
        if outcome.error.field is None:  # about the label itself: flashed on its page
            return redirect(url_for(".managed_venue", venue_id=venue_id))
        return _manage_detail(venue, form, outcome.status)
    to_status = LabelStatus(outcome.value.to_status)
    flash(f"Décision enregistrée : label « {LABEL_LABELS[to_status]} ».", "success")
    return redirect(url_for(".managed_venue", venue_id=venue_id))


@bp.route("/lieux/gestion/<id:venue_id>/dossier", methods=["POST"])
@login_required
def complete(venue_id: int) -> ResponseReturnValue:
    """A manager completes a pending application (SIRET, IBAN, representative, charter)."""
    venue = queries.get_managed_venue(current_user, venue_id)
    form = CompleteApplicationForm()
    if not form.validate_on_submit():
        return _manage_detail(venue, status=400 if _csrf_failed(form) else 422,
                              completion=form)
    outcome = attempt(lambda: complete_application(
        current_user, venue, siret=required_data(form.siret.data),
        iban=required_data(form.iban.data),
        legal_representative=required_data(form.legal_representative.data),
        charter_signed=bool(form.charter.data)), form, unplaced="form", reraise=OUT_OF_PAGE)
    if not outcome.ok:
        return _manage_detail(venue, status=outcome.status, completion=form)
    flash("Dossier complété.", "success")
    return redirect(url_for(".managed_venue", venue_id=venue_id))


@bp.route("/lieux/gestion/<id:venue_id>/localisation", methods=["POST"])
@login_required
def locate_managed_venue(venue_id: int) -> ResponseReturnValue:
    """A manager or an administrator sets a venue's commune and coordinates."""
    venue = queries.get_managed_venue(current_user, venue_id)
    return _save_location(venue, lambda status, form: _manage_detail(
        venue, status=status, location=form), url_for(".managed_venue", venue_id=venue_id))


# --- a venue's location ---------------------------------------------------------------


def _coordinate_text(value: float | None) -> str:
    """A stored coordinate as a French decimal (``48,8039``), "" when none."""
    return "" if value is None else f"{value:g}".replace(".", ",")


def _location_form(venue: Venue) -> LocationForm:
    """The location form filled with the venue's current location."""
    form = LocationForm(formdata=None, data={
        "postal_code": venue.postal_code, "commune_insee": venue.commune_insee or "",
        "latitude": _coordinate_text(venue.latitude),
        "longitude": _coordinate_text(venue.longitude)})
    offer_communes(form)
    return form


def _save_location(venue: Venue,
                   page: Callable[[int, LocationForm], ResponseReturnValue],
                   done: str) -> ResponseReturnValue:
    """Set the venue's commune and coordinates from the posted location form, then go to
    ``done``; a refused form goes back to ``page`` (status, form) with its errors."""
    form = LocationForm()
    offer_communes(form)  # the communes of the posted postal code
    if not form.validate_on_submit():
        return page(400 if _csrf_failed(form) else 422, form)
    outcome = attempt(lambda: set_venue_location(current_user, venue, **form.as_values()),
                      form, unplaced="form", reraise=OUT_OF_PAGE)
    if not outcome.ok:
        return page(outcome.status, form)
    flash("Localisation du lieu enregistrée.", "success")
    return redirect(done)


# --- the venue's own page -------------------------------------------------------------


def _own_venue() -> Venue:
    """The current venue agent's venue (the route policy admits venue agents only)."""
    return queries.get_venue(current_user.venue_id) or abort(404)


def _my_venue(venue: Venue, form: AddAgentForm | None = None, status: int = 200
              ) -> ResponseReturnValue:
    """Render the venue's page: identity, location, label and its latest decision,
    agents."""
    history = queries.label_history(venue.id)
    return render_template(
        "venues/my_venue.html", venue=venue, iban=mask_iban(venue.iban),
        history=history, latest=history[0] if history else None,
        agents=queries.venue_agents(venue.id), form=form or AddAgentForm(formdata=None),
        label_labels=LABEL_LABELS, position_source=queries.position_source(venue),
        proposal=queries.pending_change(venue.id),
        latest_proposal=queries.latest_profile_change(venue.id),
    ), status


@bp.route("/mon-lieu")
@login_required
def my_venue() -> ResponseReturnValue:
    """The venue agent's page: how their label stands and why."""
    return _my_venue(_own_venue())


@bp.route("/mon-lieu/agents", methods=["POST"])
@login_required
def add_agent() -> ResponseReturnValue:
    """The lead agent adds an agent account."""
    venue = _own_venue()
    form = AddAgentForm()
    if not form.validate_on_submit():
        return _my_venue(venue, form, 400 if _csrf_failed(form) else 422)
    outcome = attempt(lambda: add_venue_agent(current_user, full_name=form.full_name.data,
                                              email=required_data(form.email.data),
                                              password=required_data(form.password.data)),
                      form, unplaced="form", reraise=OUT_OF_PAGE)
    if not outcome.ok:
        return _my_venue(venue, form, outcome.status)
    flash("Compte d'agent créé : communiquez-lui son mot de passe initial.", "success")
    return redirect(url_for(".my_venue"))


@bp.route("/mon-lieu/agents/<id:user_id>/<any(desactiver, reactiver):what>",
          methods=["POST"])
@login_required
def toggle_agent(user_id: int, what: str) -> ResponseReturnValue:
    """The lead agent deactivates or reactivates another agent of the venue."""
    venue = _own_venue()
    if not AgentToggleForm().validate_on_submit():
        abort(400, "CSRF token missing or invalid.")
    agent = queries.get_venue_agent(venue.id, user_id)
    if what == "desactiver" and not is_confirmed():
        return confirmation_page(
            title=f"Désactiver le compte de {agent.full_name or agent.email} ?",
            message="Cet agent ne pourra plus se connecter ni encaisser de chèques ; ses "
                    "sessions en cours sont fermées. Vous pourrez réactiver le compte.",
            action="Désactiver le compte", back_url=url_for(".my_venue"))
    if attempt(lambda: set_agent_active(current_user, agent, active=what == "reactiver")).ok:
        flash("Compte réactivé." if what == "reactiver" else "Compte désactivé.", "success")
    return redirect(url_for(".my_venue"))
