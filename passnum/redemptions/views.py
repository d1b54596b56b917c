"""The venue's phone pages: the scanner (``/scan``), its service worker, and ``/v/<token>``;
the back office's voucher check (``/verifier``).

``/scan`` is a page of static assets talking to the JSON API (check, redeem, undo); its
service worker keeps the page and its assets for offline loads. ``/v/<token>`` is what a
phone's own camera app opens from a voucher's QR code: a venue agent may redeem it there,
anyone else sees the voucher's public status only (no personal data).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from flask import Blueprint, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Regexp

from passnum.auth.models import Role
from passnum.booklets.queries import voucher_state
from passnum.core.clock import PARIS, now
from passnum.core.formatting import date_fr
from passnum.core.forms import FrenchForm, required_data
from passnum.core.paths import STATIC
from passnum.core.ratelimit import limit_code_checks
from passnum.core.views import Outcome, attempt
from passnum.errors import DomainError, Forbidden
from passnum.extensions import db
from passnum.redemptions.forms import CheckForm
from passnum.redemptions.services import VoucherCheck, check, redeem
from passnum.venues.capacity import seats_taken_counts
from passnum.venues.models import Venue, Workshop
from passnum.venues.queries import todays_workshops, workshop_state

bp = Blueprint("redemptions", __name__)

SERVICE_WORKER = STATIC / "js" / "sw.js"
# What the scanner needs offline; the service worker caches these and the page itself.
SCANNER_ASSETS = (
    "css/app.css",
    "js/scan.js",
    "js/scanner/api.js",
    "js/scanner/camera.js",
    "js/scanner/codes.js",
    "js/scanner/feedback.js",
    "js/scanner/format.js",
    "js/scanner/queue.js",
    "vendor/jsQR.js",
)
NO_WORKSHOP = "none"
FORM_KEY = re.compile(r"^[0-9a-f]{32}$")
# Codes that mean "this is no voucher of ours": shown as the "chèque non reconnu" page.
UNKNOWN_CODES = ("invalid_code", "unknown_code")

PUBLIC_TITLES = {
    None: "Chèque valable",
    "already_redeemed": "Chèque déjà utilisé",
    "voucher_revoked": "Chèque annulé",
    "voucher_expired": "Chèque expiré",
    "not_yet_valid": "Chèque pas encore valable",
    "not_activated": "Chèque pas encore remis",
    "programme_closed": "Programme terminé",
}


@dataclass(frozen=True)
class WorkshopChoice:
    """One of today's workshops as the pickers show it."""

    id: int
    label: str
    price: int
    is_default: bool


def _redeeming_venue() -> Venue | None:
    """The current user's venue when they may redeem there: agent of an active venue."""
    if not current_user.is_authenticated or current_user.role != Role.VENUE_AGENT:
        return None
    venue = db.session.get(Venue, current_user.venue_id)
    return venue if venue is not None and venue.is_label_active else None


def _scanner_venue() -> Venue:
    """The venue whose vouchers the current user scans; ``Forbidden`` for anyone else."""
    if current_user.role != Role.VENUE_AGENT:
        raise Forbidden("Le scanner est réservé aux agents des lieux labellisés.")
    venue = _redeeming_venue()
    if venue is None:
        raise Forbidden("Le label de votre lieu n'est pas actif : il ne peut pas encaisser "
                        "de chèques.", code="venue_not_active")
    return venue


def _plural(count: int, noun: str) -> str:
    """``1 chèque``, ``2 chèques``."""
    return f"{count} {noun}{'s' if count > 1 else ''}"


def _workshop_label(workshop: Workshop, registered: int) -> str:
    """``14:00 · Utiliser son smartphone — 1 chèque, 3 places restantes``."""
    left = workshop.capacity - registered
    places = "complet" if left <= 0 else (
        f"{left} place restante" if left == 1 else f"{left} places restantes")
    start = workshop.starts_at.astimezone(PARIS).strftime("%H:%M")
    return f"{start} · {workshop.title} — {_plural(workshop.price_vouchers, 'chèque')}, {places}"


def _default_workshop(workshops: list[Workshop]) -> int | None:
    """The workshop under way, else the next one today, else none."""
    at = now()
    states = [(workshop_state(w, at), w.id) for w in workshops]
    ongoing = [wid for state, wid in states if state == "ongoing"]
    upcoming = [wid for state, wid in states if state == "upcoming"]
    return next(iter(ongoing or upcoming), None)


def _workshop_choices(venue_id: int, *, max_price: int | None = None) -> list[WorkshopChoice]:
    """Today's workshops of the venue (those costing at most ``max_price`` vouchers)."""
    workshops = [w for w in todays_workshops(venue_id)
                 if max_price is None or w.price_vouchers <= max_price]
    counts = seats_taken_counts([w.id for w in workshops])  # booked seats included
    default = _default_workshop(workshops)
    return [WorkshopChoice(w.id, _workshop_label(w, counts[w.id]), w.price_vouchers,
                           w.id == default) for w in workshops]


@bp.route("/scan")
@login_required
def scan() -> ResponseReturnValue:
    """The phone scanner: camera, workshop picker, manual entry, offline queue."""
    venue = _scanner_venue()
    return render_template(
        "redemptions/scan.html", venue=venue, workshops=_workshop_choices(venue.id),
        jsqr_url=url_for("static", filename="vendor/jsQR.js"),
    )


def _asset_version() -> str:
    """A hash of the service worker and the assets it caches: it changes with any of them."""
    digest = hashlib.sha256()
    for path in (SERVICE_WORKER, *(STATIC / name for name in SCANNER_ASSETS)):
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:16]


@bp.route("/scan/sw.js")
def service_worker() -> Response:
    """The scanner's service worker, allowed to control ``/scan`` (it lives below it).

    Its text carries the asset list and their hash, so any change to an asset changes
    the worker's bytes and the browser installs the new one with a fresh cache.
    """
    scan_url = url_for("redemptions.scan")
    assets = [url_for("static", filename=name) for name in SCANNER_ASSETS]
    text = (SERVICE_WORKER.read_text(encoding="utf-8")
            .replace('"__VERSION__"', json.dumps(_asset_version()))
            .replace('"__PAGE__"', json.dumps(scan_url))
            .replace('["__ASSETS__"]', json.dumps(assets)))
    response = Response(text, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = scan_url
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- /v/<token> -------------------------------------------------------------------------


class RedeemForm(FrenchForm):
    """Redeem the voucher of a ``/v/`` page: a workshop of today or none, a one-time key."""

    workshop = StringField(
        "Atelier", validators=[InputRequired(message="Choisissez un atelier ou « Sans atelier ».")]
    )
    key = HiddenField(validators=[Regexp(FORM_KEY, message="Formulaire périmé : rechargez "
                                                           "la page.")])


@dataclass(frozen=True)
class Redeemed:
    """What the agent is told after taking a voucher on its ``/v/`` page."""

    serials: list[str]
    total_cents: int
    workshop_title: str | None


def _check(token: str) -> Outcome[VoucherCheck]:
    """Check the code of the page in one unit of work (refusals of forged codes are
    audited); the refusal, if any, is left to the caller."""
    actor_id = current_user.id if current_user.is_authenticated else None
    return attempt(lambda: check(token, actor_id=actor_id, channel="web",
                                 ip=request.remote_addr),
                   unplaced="none", reraise=())


def _unknown_page(err: DomainError) -> ResponseReturnValue:
    """The "chèque non reconnu" page, with the refusal's status (400 forged, 404 unknown)."""
    return render_template("redemptions/voucher_unknown.html", error=err), err.http_status


def _public_message(result: VoucherCheck) -> str:
    """The public sentence for a voucher's status: no name, no venue."""
    voucher, booklet = result.voucher, result.voucher.booklet
    sentences = {
        None: f"Ce chèque est valable jusqu'au {date_fr(booklet.expires_on)}.",
        "already_redeemed": "Ce chèque a déjà été utilisé"
                            + (f" le {date_fr(voucher.redeemed_at.astimezone(PARIS).date())}"
                               if voucher.redeemed_at else "") + " : il ne peut plus servir.",
        "voucher_revoked": "Ce chèque a été annulé : il ne peut plus servir.",
        "voucher_expired": f"Ce chèque a expiré : il était valable jusqu'au "
                           f"{date_fr(booklet.expires_on)}.",
        "not_yet_valid": f"Ce chèque sera valable à partir du {date_fr(booklet.valid_from)}.",
        "not_activated": "Ce chèque n'a pas encore été remis à son bénéficiaire : il ne peut "
                         "pas encore servir.",
        "programme_closed": "Le programme de ce chèque est terminé : il ne peut plus servir.",
    }
    return sentences.get(result.reason, "Ce chèque ne peut pas être utilisé.")


def _public_page(result: VoucherCheck, *, venue_inactive: bool) -> ResponseReturnValue:
    """The voucher's public status and how to use a Pass numérique."""
    return render_template(
        "redemptions/voucher_public.html", result=result, state=voucher_state(result.voucher),
        title=PUBLIC_TITLES.get(result.reason, "Chèque inutilisable"),
        message=_public_message(result), venue_inactive=venue_inactive,
    )


def _agent_page(result: VoucherCheck | None, venue: Venue, *, form: RedeemForm | None = None,
                refusal: DomainError | None = None, redeemed: Redeemed | None = None,
                status: int = 200) -> ResponseReturnValue:
    """The agent's view: the check verdict and, for a valid voucher, the redeem form."""
    choices = _workshop_choices(venue.id, max_price=1)
    others = [w for w in _workshop_choices(venue.id) if w.price > 1]
    if form is None:
        form = RedeemForm(formdata=None)
    form.key.data = form.key.data or _new_form_key()
    selected = form.workshop.data or next(
        (str(c.id) for c in choices if c.is_default), NO_WORKSHOP)
    return render_template(
        "redemptions/voucher_agent.html", result=result, venue=venue, form=form,
        choices=choices, others=others, selected=selected, refusal=refusal,
        redeemed=redeemed, no_workshop=NO_WORKSHOP,
    ), status


def _new_form_key() -> str:
    """A fresh idempotency key for one rendering of the redeem form."""
    return secrets.token_hex(16)


@bp.route("/v/<token>", methods=["GET", "POST"])
@limit_code_checks
def voucher_page(token: str) -> ResponseReturnValue:
    """A voucher's page, opened from its QR code by a phone's camera app."""
    venue = _redeeming_venue()
    if request.method == "POST":
        if venue is None:
            raise Forbidden("Seuls les agents d'un lieu labellisé actif encaissent des chèques.")
        return _redeem_on_page(token, venue)
    checked = _check(token)
    if checked.error is not None and checked.error.code in UNKNOWN_CODES:
        return _unknown_page(checked.error)
    result = checked.value  # any other refusal is raised
    if venue is None:
        inactive = (current_user.is_authenticated and current_user.role == Role.VENUE_AGENT)
        return _public_page(result, venue_inactive=inactive)
    return _agent_page(result, venue)


def _chosen_workshop(form: RedeemForm, venue: Venue) -> Workshop | None:
    """The workshop picked in the form: one of today's at one voucher, or none.

    Raises ``ValueError`` for anything else (an outdated or altered form).
    """
    if form.workshop.data == NO_WORKSHOP:
        return None
    allowed = {str(c.id) for c in _workshop_choices(venue.id, max_price=1)}
    if form.workshop.data not in allowed:
        raise ValueError(form.workshop.data)
    return db.session.get(Workshop, int(form.workshop.data))


def _redeem_on_page(token: str, venue: Venue) -> ResponseReturnValue:
    """Redeem the page's voucher for the chosen workshop, then show the verdict."""
    form, workshop = RedeemForm(), None
    try:
        workshop = _chosen_workshop(form, venue) if form.validate() else None
    except ValueError:
        form.workshop.errors = ["Cet atelier n'est plus proposé aujourd'hui : choisissez-en un "
                                "autre."]
    if form.errors:
        return _agent_page(_check(token).value, venue, form=form, status=422)
    outcome = attempt(lambda: _redeemed(token, venue, workshop, form.key.data),
                      unplaced="none", reraise=())
    err = outcome.error
    if err is None:
        return _agent_page(None, venue, redeemed=outcome.value)
    if err.code in UNKNOWN_CODES:
        return _unknown_page(err)
    if err.http_status in (401, 403):
        raise err
    fresh = RedeemForm(formdata=None, workshop=form.workshop.data)
    return _agent_page(_check(token).value, venue, form=fresh, refusal=err,
                       status=err.http_status)


def _redeemed(token: str, venue: Venue, workshop: Workshop | None,
              idempotency_key: str | None) -> Redeemed:
    """Redeem the page's voucher (flushed, not committed) and say what was taken."""
    redemption = redeem([token], venue=venue, workshop=workshop, actor=current_user,
                        channel="web", idempotency_key=idempotency_key,
                        ip=request.remote_addr)
    taken_for = (db.session.get(Workshop, redemption.workshop_id)
                 if redemption.workshop_id is not None else None)
    return Redeemed([line.serial for line in redemption.lines],
                    redemption.total_cents, taken_for.title if taken_for else None)


@bp.route("/verifier", methods=["GET", "POST"])
@login_required
@limit_code_checks
def check_voucher() -> ResponseReturnValue:
    """Check a voucher by its manual code or link, typed or pasted by a logged-in user,
    without changing it."""
    form = CheckForm()
    result: VoucherCheck | None = None
    error: DomainError | None = None
    if form.validate_on_submit():
        outcome = attempt(lambda: check(required_data(form.code.data), actor_id=current_user.id,
                                        channel="web", ip=request.remote_addr),
                          unplaced="none", reraise=())
        result = outcome.value if outcome.ok else None
        error = outcome.error
    return render_template("redemptions/check.html", form=form, result=result, error=error)
