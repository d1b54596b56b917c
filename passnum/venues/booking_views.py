"""Book a person's first workshop at the desk (at hand-out or later), and cancel it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from passnum.auth.scope import can_manage_venue
from passnum.beneficiaries import queries as people
from passnum.booklets import queries as booklets
from passnum.booklets.forms import EmptyForm
from passnum.booklets.models import Booklet
from passnum.core.views import attempt
from passnum.venues import queries
from passnum.venues.bookings import book, cancel_booking
from passnum.venues.forms import BookingForm
from passnum.venues.models import Workshop

bp = Blueprint("bookings", __name__)


def _booklet() -> Booklet | None:
    """The booklet just handed out (``?chequier=``), in the actor's scope, if named."""
    booklet_id = request.args.get("chequier", type=int)
    return booklets.get_booklet(current_user, booklet_id) if booklet_id else None


def _done_url(beneficiary_id: int, booklet: Booklet | None) -> str:
    """Where the desk goes next: the booklet (to print its cover) or the person's page."""
    if booklet is not None:
        return url_for("booklets.detail", booklet_id=booklet.id)
    return url_for("beneficiaries.detail", beneficiary_id=beneficiary_id)


@bp.route("/beneficiaires/<id:beneficiary_id>/atelier", methods=["GET", "POST"])
@login_required
def choose(beneficiary_id: int) -> ResponseReturnValue:
    """The nearest upcoming workshops with seats left; the issuer picks one."""
    beneficiary = people.get_beneficiary(current_user, beneficiary_id)
    booklet = _booklet()
    if booklet is not None and booklet.beneficiary_id != beneficiary.id:
        abort(404)
    offered = queries.nearest_workshops(beneficiary)
    form, status = BookingForm(), 200
    form.workshop.choices = [(o.workshop.id, o.workshop.title) for o in offered]
    if form.validate_on_submit():
        chosen = next(o.workshop for o in offered if o.workshop.id == form.workshop.data)
        outcome = attempt(lambda: _book(beneficiary_id, chosen, booklet), form,
                          field="workshop")
        status = outcome.status
        if outcome.ok:
            flash("Atelier réservé : il figure sur la couverture du chéquier.", "success")
            return redirect(_done_url(beneficiary.id, booklet))
    elif form.errors:
        status = 422
    return render_template(
        "venues/booking.html", beneficiary=beneficiary, booklet=booklet, offered=offered,
        form=form, held=queries.upcoming_booking(beneficiary.id), cancel_form=EmptyForm(),
        done_url=_done_url(beneficiary.id, booklet)), status


def _book(beneficiary_id: int, workshop: Workshop, booklet: Booklet | None) -> object:
    """Book in the unit of work, the person read again in it (and locked by ``book``)."""
    return book(current_user, people.get_beneficiary(current_user, beneficiary_id),
                workshop, booklet=booklet)


@bp.route("/reservations/<id:booking_id>/annuler", methods=["POST"])
@login_required
def cancel(booking_id: int) -> ResponseReturnValue:
    """Cancel a booking: the person's issuer (back to the person) or the venue (back to
    the workshop)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    outcome = attempt(lambda: cancel_booking(current_user, booking_id))
    if outcome.ok:
        flash("Réservation annulée : la place est libérée.", "success")
        booking = outcome.value
        if can_manage_venue(current_user, booking.workshop.venue_id):
            return redirect(url_for("venues.workshop", workshop_id=booking.workshop_id))
        return redirect(url_for("beneficiaries.detail", beneficiary_id=booking.beneficiary_id))
    back = request.form.get("retour", "")
    return redirect(back if back.startswith("/") and not back.startswith("//")
                    else url_for("auth.home"))
