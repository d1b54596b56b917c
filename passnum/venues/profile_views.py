"""The public profile's pages: the venue proposes (``/mon-lieu/fiche``), a manager edits
directly (``/lieux/gestion/<id>/fiche``) and approves or refuses a proposal.

Nested in the ``venues`` blueprint: endpoints are ``venues.profile.*``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.booklets.forms import EmptyForm
from passnum.core.forms import required_data
from passnum.core.views import attempt, show_refusal
from passnum.venues import queries
from passnum.venues.forms import ProfileForm, RefuseProfileForm, offer_communes
from passnum.venues.label_views import (
    CSRF_MESSAGE,
    OUT_OF_PAGE,
    _coordinate_text,
    _csrf_failed,
    _manage_detail,
    _own_venue,
)
from passnum.venues.models import PROFILE_CHANGE_LABELS, Venue, VenueProfileChange
from passnum.venues.profile import (
    ProfileInput,
    approve_profile_change,
    compare,
    profile_errors,
    propose_profile,
    refuse_profile_change,
    update_profile,
)

bp = Blueprint("profile", __name__)

# OpenStreetMap's syntax, told in a few lines beside the field
HOURS_EXAMPLE = "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00"


def _initial(values: dict[str, Any]) -> dict[str, Any]:
    """Form data for stored profile values (coordinates with a decimal comma)."""
    data = dict(values)
    data["latitude"] = _coordinate_text(values.get("latitude"))
    data["longitude"] = _coordinate_text(values.get("longitude"))
    data["commune_insee"] = values.get("commune_insee") or ""
    return data


def _published(venue: Venue) -> dict[str, Any]:
    """The venue's published profile as form data."""
    return _initial(ProfileInput.of(venue).__dict__)


def _form(venue: Venue, start: dict[str, Any] | None) -> ProfileForm:
    """The profile form: posted data on POST, else ``start``."""
    form = ProfileForm(formdata=None, data=start) if request.method == "GET" else ProfileForm()
    offer_communes(form)
    return form


def _checked(form: ProfileForm, venue: Venue) -> int | None:
    """None when the posted form may go to the service; else the status to answer with,
    every field's refusal placed on its field."""
    if not form.validate_on_submit():
        return 400 if _csrf_failed(form) else 422
    errors = profile_errors(ProfileInput(**form.values()), venue=venue)
    for error in errors:
        show_refusal(error, form, unplaced="form")
    return 400 if errors else None


def _page(venue: Venue, form: ProfileForm, status: int, *, manager: bool,
          pending: VenueProfileChange | None = None) -> ResponseReturnValue:
    """Render the profile form (the venue's, or a manager's direct edit)."""
    latest = queries.latest_profile_change(venue.id)
    return render_template(
        "venues/profile_form.html", venue=venue, form=form, manager=manager,
        pending=pending, rows=compare(venue, pending.values) if pending else [],
        latest=latest, hours_example=HOURS_EXAMPLE, change_labels=PROFILE_CHANGE_LABELS,
        action=(url_for(".managed_profile", venue_id=venue.id) if manager
                else url_for(".my_profile")),
        back=(url_for("venues.labels.managed_venue", venue_id=venue.id) if manager
              else url_for("venues.labels.my_venue")),
    ), status


@bp.route("/mon-lieu/fiche", methods=["GET", "POST"])
@login_required
def my_profile() -> ResponseReturnValue:
    """A venue agent proposes the public profile; a manager checks it before it shows."""
    venue = _own_venue()
    pending = queries.pending_change(venue.id)
    form = _form(venue, _initial(pending.values) if pending else _published(venue))
    if request.method == "GET":
        return _page(venue, form, 200, manager=False, pending=pending)
    status = _checked(form, venue)
    if status is None:
        outcome = attempt(lambda: propose_profile(current_user, venue,
                                                  ProfileInput(**form.values())),
                          form, unplaced="form", reraise=OUT_OF_PAGE)
        if outcome.ok:
            flash("Modifications envoyées : le gestionnaire du département les vérifie "
                  "avant leur publication.", "success")
            return redirect(url_for("venues.labels.my_venue"))
        status = outcome.status
    return _page(venue, form, status, manager=False, pending=pending)


@bp.route("/lieux/gestion/<id:venue_id>/fiche", methods=["GET", "POST"])
@login_required
def managed_profile(venue_id: int) -> ResponseReturnValue:
    """A manager or an administrator edits a venue's public profile: published at once."""
    venue = queries.get_managed_venue(current_user, venue_id)
    form = _form(venue, _published(venue))
    pending = queries.pending_change(venue.id)
    if request.method == "GET":
        return _page(venue, form, 200, manager=True, pending=pending)
    status = _checked(form, venue)
    if status is None:
        outcome = attempt(lambda: update_profile(current_user, venue,
                                                 ProfileInput(**form.values())),
                          form, unplaced="form", reraise=OUT_OF_PAGE)
        if outcome.ok:
            flash("Fiche publique enregistrée et publiée." if outcome.value
                  else "Aucune modification : la fiche publique est inchangée.", "success")
            return redirect(url_for("venues.labels.managed_venue", venue_id=venue_id))
        status = outcome.status
    return _page(venue, form, status, manager=True, pending=pending)


@bp.route("/lieux/gestion/<id:venue_id>/fiche/<id:change_id>/approuver", methods=["POST"])
@login_required
def approve(venue_id: int, change_id: int) -> ResponseReturnValue:
    """Publish a venue's proposed profile."""
    venue = queries.get_managed_venue(current_user, venue_id)
    if not EmptyForm().validate_on_submit():
        flash(CSRF_MESSAGE, "error")
        return _manage_detail(venue, status=400)
    if attempt(lambda: approve_profile_change(current_user, venue, change_id),
               reraise=OUT_OF_PAGE).ok:
        flash("Fiche publique publiée ; le lieu en est informé.", "success")
    return redirect(url_for("venues.labels.managed_venue", venue_id=venue_id))


@bp.route("/lieux/gestion/<id:venue_id>/fiche/<id:change_id>/refuser", methods=["POST"])
@login_required
def refuse(venue_id: int, change_id: int) -> ResponseReturnValue:
    """Refuse a venue's proposed profile with a reason shown to the venue."""
    venue = queries.get_managed_venue(current_user, venue_id)
    form = RefuseProfileForm()
    if not form.validate_on_submit():
        return _manage_detail(venue, status=400 if _csrf_failed(form) else 422,
                              profile_form=form)
    outcome = attempt(lambda: refuse_profile_change(
        current_user, venue, change_id, required_data(form.reason.data)), form,
        reraise=OUT_OF_PAGE)
    if outcome.error is not None and outcome.error.field is not None:
        return _manage_detail(venue, status=outcome.status, profile_form=form)
    if outcome.ok:
        flash("Proposition refusée ; le lieu voit le motif sur sa page.", "success")
    return redirect(url_for("venues.labels.managed_venue", venue_id=venue_id))
