"""Public directory of labelled venues; workshops managed by venue agents."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.models import Role
from passnum.core.clock import now
from passnum.core.confirm import confirmation_page, is_confirmed
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.redemptions.queries import registered_counts
from passnum.venues import queries
from passnum.venues.forms import CancelWorkshopForm, WorkshopForm
from passnum.venues.label_views import bp as labels_bp
from passnum.venues.models import Venue, Workshop, WorkshopTheme
from passnum.venues.queries import WORKSHOP_STATE_LABELS, directory
from passnum.venues.services import (
    cancel_workshop,
    check_editable,
    create_workshop,
    update_workshop,
)

bp = Blueprint("venues", __name__)
bp.register_blueprint(labels_bp)  # qualification pages: ``venues.labels.*``

MAX_ID = 2**31 - 1
EDITABLE_STATES = ("upcoming", "ongoing")


@bp.route("/lieux")
def public_directory() -> ResponseReturnValue:
    """Where beneficiaries can use their chéquier, by commune (no login)."""
    entries = directory(now_at=now())
    by_commune = [(commune, list(items))
                  for commune, items in groupby(entries, key=lambda e: e[0].commune)]
    return render_template("venues/directory.html", by_commune=by_commune)


def _workshop_roles() -> None:
    """Only venue agents and administrators manage workshops (others: 403)."""
    if current_user.role not in (Role.VENUE_AGENT, Role.ADMIN):
        abort(403)


def _chosen_venue() -> Venue | None:
    """The agent's own venue; for an administrator the one named by ``?lieu=``."""
    if current_user.role == Role.VENUE_AGENT:
        return queries.get_venue(current_user.venue_id)
    venue_id = request.args.get("lieu", type=int)
    if venue_id is None:
        return None
    venue = queries.get_venue(venue_id) if 1 <= venue_id <= MAX_ID else None
    if venue is None:
        abort(404)
    return venue


def _theme_choices(current: WorkshopTheme | None = None) -> list[tuple[int, str]]:
    """Active themes, plus the edited workshop's own theme if it has been retired."""
    themes = queries.active_themes()
    if current is not None and all(t.id != current.id for t in themes):
        themes.append(current)
    return [(t.id, t.name) for t in themes]


def _refused(form: WorkshopForm, err: DomainError) -> int:
    """Put a service refusal on its field (or above the form); return the status."""
    if err.http_status in (403, 404):
        raise err
    target = form.field_for(err.field)
    (target.errors if target is not None else form.form_errors).append(err.message)
    return err.http_status


@bp.route("/ateliers")
@login_required
def workshops() -> ResponseReturnValue:
    """The venue's workshops from today on, or all of them with ``?passes=1``."""
    _workshop_roles()
    venue = _chosen_venue()
    include_past = request.args.get("passes") == "1"
    items = queries.workshops_of(venue.id, include_past=include_past) if venue else []
    venues = queries.all_venues() if current_user.role == Role.ADMIN else []
    return render_template(
        "venues/workshops.html", venue=venue, venues=venues, workshops=items,
        include_past=include_past, counts=registered_counts([w.id for w in items]),
        state=queries.workshop_state, labels=WORKSHOP_STATE_LABELS,
    )


@bp.route("/ateliers/nouveau", methods=["GET", "POST"])
@login_required
def new_workshop() -> ResponseReturnValue:
    """Schedule a workshop at the agent's venue (administrators pick the venue)."""
    _workshop_roles()
    form = WorkshopForm()
    form.theme_id.choices = _theme_choices()
    if current_user.role == Role.ADMIN:
        form.venue_id.choices = [(v.id, f"{v.name} ({v.commune})") for v in queries.all_venues()]
        chosen = _chosen_venue() if request.method == "GET" else None
        form.venue_id.data = chosen.id if chosen else form.venue_id.data
    else:
        del form.venue_id
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                venue_id = form.venue_id.data if "venue_id" in form else current_user.venue_id
                venue = queries.get_venue(venue_id) or abort(404)
                workshop = create_workshop(current_user, venue, **form.as_values())
        except DomainError as err:
            status = _refused(form, err)
        else:
            flash("Atelier créé.", "success")
            return redirect(url_for("venues.workshop", workshop_id=workshop.id))
    return render_template("venues/workshop_form.html", form=form, workshop=None), status


def _detail(
    workshop: Workshop, cancel_form: CancelWorkshopForm, status: int = 200
) -> ResponseReturnValue:
    """Render a workshop's page: details, who came, and the cancel form."""
    rows = queries.attendance(workshop.id)
    state = queries.workshop_state(workshop)
    return render_template(
        "venues/workshop.html", workshop=workshop, rows=rows, state=state,
        labels=WORKSHOP_STATE_LABELS, editable=state in EDITABLE_STATES,
        ends_at=queries.workshop_ends_at(workshop), cancel_form=cancel_form,
        people=len(rows), vouchers=sum(row.count for row in rows),
    ), status


@bp.route("/ateliers/<id:workshop_id>")
@login_required
def workshop(workshop_id: int) -> ResponseReturnValue:
    """A workshop's details and who came (voucher serials, never identities)."""
    _workshop_roles()
    return _detail(queries.get_workshop(current_user, workshop_id), CancelWorkshopForm())


@bp.route("/ateliers/<id:workshop_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_workshop(workshop_id: int) -> ResponseReturnValue:
    """Edit an upcoming or ongoing workshop."""
    _workshop_roles()
    workshop = queries.get_workshop(current_user, workshop_id)
    try:
        check_editable(workshop)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("venues.workshop", workshop_id=workshop.id))
    form = WorkshopForm(data=WorkshopForm.initial(workshop) if request.method == "GET" else None)
    del form.venue_id
    form.theme_id.choices = _theme_choices(workshop.theme)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                update_workshop(current_user, workshop, **form.as_values())
        except DomainError as err:
            status = _refused(form, err)
        else:
            flash("Atelier modifié.", "success")
            return redirect(url_for("venues.workshop", workshop_id=workshop_id))
    return render_template("venues/workshop_form.html", form=form, workshop=workshop), status


@bp.route("/ateliers/<id:workshop_id>/annuler", methods=["POST"], endpoint="cancel_workshop")
@login_required
def cancel(workshop_id: int) -> ResponseReturnValue:
    """Cancel a workshop with a reason; refusals are shown on its page."""
    _workshop_roles()
    workshop = queries.get_workshop(current_user, workshop_id)
    form = CancelWorkshopForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400, "CSRF token missing or invalid.")
        return _detail(workshop, form, 422)
    if not is_confirmed():
        return confirmation_page(
            title="Annuler l'atelier ?",
            message=f"L'atelier « {workshop.title} » sera annulé pour tous ses inscrits, avec "
                    "le motif indiqué. L'annulation est définitive.",
            action="Annuler l'atelier",
            back_url=url_for("venues.workshop", workshop_id=workshop_id))
    try:
        with unit_of_work():
            cancel_workshop(current_user, workshop, reason=form.reason.data)
    except DomainError as err:
        if err.http_status in (403, 404):
            raise
        target = form.field_for(err.field)
        if target is not None:
            target.errors.append(err.message)
        else:  # about the workshop itself: the form may no longer be shown
            flash(err.message, "error")
        return _detail(queries.get_workshop(current_user, workshop_id), form, err.http_status)
    flash("Atelier annulé.", "success")
    return redirect(url_for("venues.workshop", workshop_id=workshop_id))
