"""Public directory of labelled venues; workshops managed by venue agents."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.scope import is_admin, own_venue_id
from passnum.booklets.forms import EmptyForm
from passnum.core.clock import PARIS, now
from passnum.core.confirm import confirmation_page, is_confirmed
from passnum.core.forms import required_data
from passnum.core.views import attempt
from passnum.venues import directory, queries
from passnum.venues.booking_views import bp as bookings_bp
from passnum.venues.capacity import seats_taken, seats_taken_counts
from passnum.venues.forms import CancelWorkshopForm, WorkshopForm
from passnum.venues.hours import describe, week
from passnum.venues.import_views import bp as imports_bp
from passnum.venues.label_views import bp as labels_bp
from passnum.venues.models import Venue, Workshop, WorkshopTheme
from passnum.venues.profile_views import bp as profile_bp
from passnum.venues.queries import WORKSHOP_STATE_LABELS
from passnum.venues.services import (
    cancel_workshop,
    check_editable,
    create_workshop,
    update_workshop,
)
from passnum.venues.vocabulary import (
    ACCESS_MODES,
    LABELS,
    MEDIATION_SERVICES,
    NATIONAL_PROGRAMMES,
    SPECIFIC_PUBLICS,
    SPECIFIC_SUPPORT,
    SUPPORT_MODES,
    TYPOLOGIES,
    labels_of,
)

bp = Blueprint("venues", __name__)
bp.register_blueprint(labels_bp)  # qualification pages: ``venues.labels.*``
bp.register_blueprint(profile_bp)  # the public profile: ``venues.profile.*``
bp.register_blueprint(bookings_bp)  # first workshop booked at the desk: ``venues.bookings.*``
bp.register_blueprint(imports_bp)  # venues imported from a file: ``venues.imports.*``

MAX_ID = 2**31 - 1
EDITABLE_STATES = ("upcoming", "ongoing")


@bp.route("/lieux")
def public_directory() -> ResponseReturnValue:
    """Where beneficiaries can use their chéquier (no login): every active venue by
    commune, or nearest a commune first (``?lieu=`` a name or a postal code), narrowed
    by the filters (``service``, ``ouvert``, ``atelier``)."""
    search = directory.read_search(request.args)
    origin = directory.origin_of(search.place)
    entries = directory.search_directory(now_at=now(), origin=origin, filters=search.filters)
    by_commune = [] if search.place else [
        (commune, list(items)) for commune, items in groupby(entries,
                                                             key=lambda e: e.venue.commune)]
    return render_template(
        "venues/directory.html", search=search, entries=entries, by_commune=by_commune,
        origin=origin, services=MEDIATION_SERVICES, map_data=_map_data(entries),
        choice_args=_choice_args(search),
        service_labels=lambda codes: labels_of(codes, MEDIATION_SERVICES))


def _map_data(entries: list[directory.DirectoryEntry]) -> list[dict[str, object]]:
    """One marker per listed venue that has a position: its name, commune and page."""
    return [{"name": e.venue.name, "commune": e.venue.commune,
             "url": url_for("venues.public_venue", slug=e.venue.slug),
             "lat": e.position[0], "lon": e.position[1]}
            for e in entries if e.position is not None]


def _choice_args(search: directory.DirectorySearch) -> dict[str, str]:
    """The filters a choice among several communes keeps, as GET parameters."""
    filters = search.filters
    args = {"service": filters.service, "ouvert": "1" if filters.open_now else "",
            "atelier": "1" if filters.with_workshop else ""}
    return {key: value for key, value in args.items() if value}


@bp.route("/lieu/<slug>")
def public_venue(slug: str) -> ResponseReturnValue:
    """A labelled venue's public page: address, map, opening hours, contacts, services
    and upcoming workshops (404 unless its label is active)."""
    venue = directory.public_venue(slug)
    at = now()
    position = queries.venue_position(venue)
    map_data = [] if position is None else [
        {"name": venue.name, "commune": venue.commune, "url": "", "lat": position[0],
         "lon": position[1]}]
    return render_template(
        "venues/public_venue.html", venue=venue, position=position,
        position_source=queries.position_source(venue), map_data=map_data,
        coordinates=[f"{c:.5f}".replace(".", ",") for c in position or ()],
        tel="".join(ch for ch in venue.phone if ch.isdigit() or ch == "+"),
        links={name: _web_link(getattr(venue, name))
               for name in ("website", "booking_url", "acceslibre_url")},
        updated_on=venue.profile_updated_at.astimezone(PARIS).date()
        if venue.profile_updated_at else None,
        opening=describe(venue.opening_hours, at), week=week(venue.opening_hours, at),
        workshops=directory.upcoming_workshops(venue, now_at=at),
        lists=[(words, labels_of(getattr(venue, attribute), vocabulary))
               for attribute, words, vocabulary in PUBLIC_LISTS])


def _web_link(url: str) -> str:
    """``url`` when it is a web address (http or https), else "": a stored value never
    becomes a link of another scheme (``javascript:``)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


# the profile's lists on the public page: attribute, heading, the standard's words
PUBLIC_LISTS = (
    ("typologies", "Type de lieu", TYPOLOGIES),
    ("mediation_services", "Services", MEDIATION_SERVICES),
    ("specific_publics", "Publics accueillis en particulier", SPECIFIC_PUBLICS),
    ("specific_support", "Accompagnements adaptés", SPECIFIC_SUPPORT),
    ("access_modes", "Comment venir", ACCESS_MODES),
    ("support_modes", "Comment on vous accompagne", SUPPORT_MODES),
    ("national_programmes", "Dispositifs nationaux", NATIONAL_PROGRAMMES),
    ("labels", "Labels et formations", LABELS),
)


def _chosen_venue() -> Venue | None:
    """The agent's own venue; for an administrator the one named by ``?lieu=``."""
    own = own_venue_id(current_user)
    if own is not None:
        return queries.get_venue(own)
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


OUT_OF_PAGE = (403, 404)  # refusals no workshop page can show: the error page answers


@bp.route("/ateliers")
@login_required
def workshops() -> ResponseReturnValue:
    """The venue's workshops from today on, or all of them with ``?passes=1``."""
    venue = _chosen_venue()
    include_past = request.args.get("passes") == "1"
    items = queries.workshops_of(venue.id, include_past=include_past) if venue else []
    venues = queries.all_venues() if is_admin(current_user) else []
    return render_template(
        "venues/workshops.html", venue=venue, venues=venues, workshops=items,
        include_past=include_past, counts=seats_taken_counts([w.id for w in items]),
        state=queries.workshop_state, labels=WORKSHOP_STATE_LABELS,
    )


@bp.route("/ateliers/nouveau", methods=["GET", "POST"])
@login_required
def new_workshop() -> ResponseReturnValue:
    """Schedule a workshop at the agent's venue (administrators pick the venue)."""
    form = WorkshopForm()
    form.theme_id.choices = _theme_choices()
    if is_admin(current_user):
        form.venue_id.choices = [(v.id, f"{v.name} ({v.commune})") for v in queries.all_venues()]
        chosen = _chosen_venue() if request.method == "GET" else None
        form.venue_id.data = chosen.id if chosen else form.venue_id.data
    else:
        del form.venue_id
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        outcome = attempt(lambda: _create(form), form, unplaced="form", reraise=OUT_OF_PAGE)
        status = outcome.status
        if outcome.ok:
            flash("Atelier créé.", "success")
            return redirect(url_for("venues.workshop", workshop_id=outcome.value.id))
    return render_template("venues/workshop_form.html", form=form, workshop=None), status


def _create(form: WorkshopForm) -> Workshop:
    """Create the workshop the form describes, at the chosen (or the agent's) venue."""
    venue_id = form.venue_id.data if "venue_id" in form else current_user.venue_id
    venue = queries.get_venue(venue_id) or abort(404)
    return create_workshop(current_user, venue, **form.as_values())


def _detail(
    workshop: Workshop, cancel_form: CancelWorkshopForm, status: int = 200
) -> ResponseReturnValue:
    """Render a workshop's page: details, who came, and the cancel form."""
    rows = queries.attendance(workshop.id)
    state = queries.workshop_state(workshop)
    return render_template(
        "venues/workshop.html", workshop=workshop, rows=rows, state=state,
        expected=queries.expected(workshop.id), seats=seats_taken(workshop.id),
        booking_form=EmptyForm(),
        labels=WORKSHOP_STATE_LABELS, editable=state in EDITABLE_STATES,
        ends_at=queries.workshop_ends_at(workshop), cancel_form=cancel_form,
        people=len(rows), vouchers=sum(row.vouchers for row in rows),
    ), status


@bp.route("/ateliers/<id:workshop_id>")
@login_required
def workshop(workshop_id: int) -> ResponseReturnValue:
    """A workshop's details and who came (voucher serials, never identities)."""
    return _detail(queries.get_workshop(current_user, workshop_id), CancelWorkshopForm())


@bp.route("/ateliers/<id:workshop_id>/modifier", methods=["GET", "POST"])
@login_required
def edit_workshop(workshop_id: int) -> ResponseReturnValue:
    """Edit an upcoming or ongoing workshop."""
    workshop = queries.get_workshop(current_user, workshop_id)
    if not attempt(lambda: check_editable(workshop), reraise=()).ok:
        return redirect(url_for("venues.workshop", workshop_id=workshop.id))
    form = WorkshopForm(data=WorkshopForm.initial(workshop) if request.method == "GET" else None)
    del form.venue_id
    form.theme_id.choices = _theme_choices(workshop.theme)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        outcome = attempt(lambda: update_workshop(current_user, workshop, **form.as_values()),
                          form, unplaced="form", reraise=OUT_OF_PAGE)
        status = outcome.status
        if outcome.ok:
            flash("Atelier modifié.", "success")
            return redirect(url_for("venues.workshop", workshop_id=workshop_id))
    return render_template("venues/workshop_form.html", form=form, workshop=workshop), status


@bp.route("/ateliers/<id:workshop_id>/annuler", methods=["POST"], endpoint="cancel_workshop")
@login_required
def cancel(workshop_id: int) -> ResponseReturnValue:
    """Cancel a workshop with a reason; refusals are shown on its page."""
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
    # a refusal about the workshop itself is flashed: the form may no longer be shown
    outcome = attempt(lambda: cancel_workshop(current_user, workshop,
                                              reason=required_data(form.reason.data)),
                      form, reraise=OUT_OF_PAGE)
    if not outcome.ok:
        return _detail(queries.get_workshop(current_user, workshop_id), form, outcome.status)
    flash("Atelier annulé.", "success")
    return redirect(url_for("venues.workshop", workshop_id=workshop_id))
