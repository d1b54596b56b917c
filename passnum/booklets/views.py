"""Booklet pages: detail, PDF, revoke, replace, stock and hand-out."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, BinaryIO, cast

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
from flask_login import current_user, login_required

from passnum.auth.scope import own_structure_id
from passnum.beneficiaries import queries as people
from passnum.beneficiaries.forms import SearchForm
from passnum.booklets import queries
from passnum.booklets.forms import (
    BookletNumberForm,
    EmptyForm,
    HandOutForm,
    RevokeForm,
    StockForm,
)
from passnum.booklets.models import Booklet, BookletStatus
from passnum.booklets.pdf import render_booklets
from passnum.booklets.printing import booklet_download
from passnum.booklets.services import (
    hand_out,
    issue_replacement,
    issue_stock,
    record_print,
    revoke_booklet,
)
from passnum.core.confirm import confirmation_page, is_confirmed
from passnum.core.db import unit_of_work
from passnum.core.formatting import agree, plural
from passnum.core.forms import required_data
from passnum.core.views import attempt
from passnum.errors import Conflict, DomainError
from passnum.programmes.models import Structure
from passnum.programmes.queries import allocation_for, open_programme
from passnum.venues.queries import venues_for_cover

bp = Blueprint("booklets", __name__)

# A batch PDF stays in memory up to this size, then spills to a temporary file.
BATCH_SPOOL_BYTES = 8 * 1024 * 1024
STREAM_CHUNK_BYTES = 64 * 1024
BATCH_LOAD_CHUNK = 20  # booklets loaded (with their vouchers) per query while rendering


@bp.route("/chequiers/<id:booklet_id>")
@login_required
def detail(booklet_id: int):
    """The booklet, its vouchers and their state."""
    booklet = queries.get_booklet(current_user, booklet_id)
    return render_template(
        "booklets/detail.html", booklet=booklet, state=queries.booklet_state(booklet),
        voucher_state=queries.voucher_state, revoke_form=RevokeForm(), empty_form=EmptyForm(),
        outlook=queries.replacement_outlook(booklet),
    )


@bp.route("/chequiers/<id:booklet_id>/pdf", methods=["POST"])
@login_required
def pdf(booklet_id: int):
    """Download the printable booklet (counted and audited: a POST, as a GET that a
    prefetch or a reload may send must change nothing)."""
    with unit_of_work():
        booklet = queries.get_booklet(current_user, booklet_id)
        record_print(current_user, booklet)
        # rendered inside the unit of work: a print is counted only if the PDF was made
        return booklet_download(booklet)


@bp.route("/chequiers/<id:booklet_id>/revoquer", methods=["POST"])
@login_required
def revoke(booklet_id: int):
    """Declare the booklet lost, stolen or cancelled."""
    form = RevokeForm()
    if not form.validate_on_submit():
        flash("Choisissez un motif de révocation.", "error")
        return redirect(url_for("booklets.detail", booklet_id=booklet_id))
    if not is_confirmed():
        booklet = queries.get_booklet(current_user, booklet_id)
        return confirmation_page(
            title=f"Révoquer le chéquier n° {booklet.number} ?",
            message="Ses chèques non utilisés seront annulés immédiatement et ne pourront "
                    "plus être encaissés. La révocation est définitive.",
            action="Révoquer le chéquier",
            back_url=url_for("booklets.detail", booklet_id=booklet_id))
    if attempt(lambda: revoke_booklet(current_user, queries.get_booklet(current_user, booklet_id),
                                      reason=form.reason.data, note=form.note.data or "")).ok:
        flash("Chéquier révoqué : ses chèques non utilisés sont annulés.", "success")
    return redirect(url_for("booklets.detail", booklet_id=booklet_id))


@bp.route("/chequiers/<id:booklet_id>/remplacer", methods=["POST"])
@login_required
def replace(booklet_id: int):
    """Issue the replacement of a lost or stolen booklet."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    outcome = attempt(lambda: issue_replacement(current_user,
                                                queries.get_booklet(current_user, booklet_id)))
    if not outcome.ok:
        return redirect(url_for("booklets.detail", booklet_id=booklet_id))
    booklet = outcome.value
    count = booklet.vouchers_total
    flash(f"Chéquier de remplacement n° {booklet.number} émis : {count} "
          f"chèque{'s' if count > 1 else ''} repris du chéquier perdu ou volé.", "success")
    return redirect(url_for("booklets.detail", booklet_id=booklet.id))


# --- Stock and hand-out -----------------------------------------------------------------


def _chosen_structure() -> Structure | None:
    """The issuer's own structure, or the one a manager or admin picked (``?structure=``)."""
    own = own_structure_id(current_user)
    if own is not None:
        return queries.get_structure(current_user, own)
    structure_id = request.args.get("structure", type=int)
    return queries.get_structure(current_user, structure_id) if structure_id else None


def _slots_left(structure: Structure) -> int | None:
    """Booklets the structure may still issue in the open programme, if one is open."""
    try:
        allocation = allocation_for(open_programme().id, structure.id)
    except DomainError:
        return None
    return allocation.booklets_left if allocation else 0


@bp.route("/stock", methods=["GET", "POST"])
@login_required
def stock():
    """The structure's stock, and the form printing a new batch of stock booklets."""
    structure = _chosen_structure()
    form, status = StockForm(), 200
    if structure is not None and form.validate_on_submit():
        outcome = attempt(lambda: issue_stock(current_user, structure, count=form.count.data),
                          form, field="count")
        status = outcome.status
        if outcome.ok:
            batch = outcome.value
            made = len(batch.booklets)
            flash(f"{plural(made, 'chéquier')} {agree(made, 'créé')} en stock : téléchargez "
                  "le PDF du lot pour les imprimer.", "success")
            return redirect(url_for("booklets.stock", structure=structure.id,
                                    lot=batch.event_id))
    elif form.errors:
        status = 422
    return render_template(
        "booklets/stock.html", form=form, structure=structure,
        structures=queries.structures_in_scope(current_user)
        if own_structure_id(current_user) is None else [],
        booklets=queries.stock_of(current_user, structure) if structure else [],
        batches=queries.stock_batches(current_user, structure) if structure else [],
        new_batch=request.args.get("lot", type=int),
        slots_left=_slots_left(structure) if structure else None,
        booklet_state=queries.booklet_state,
    ), status


def _printed(ids: list[int]) -> Iterator[Booklet]:
    """Yield the booklets by chunks, counting and auditing each one's print."""
    for start in range(0, len(ids), BATCH_LOAD_CHUNK):
        for booklet in queries.booklets_with_vouchers(ids[start : start + BATCH_LOAD_CHUNK]):
            record_print(current_user, booklet)
            yield booklet


@bp.route("/stock/lots/<id:event_id>/pdf", methods=["POST"])
@login_required
def stock_batch_pdf(event_id: int):
    """Download, as one PDF, the booklets of a stock batch that are still in stock
    (each print counted and audited, hence a POST)."""
    # closed by _chunks once sent (or below on failure), not by a with block here
    spool = tempfile.SpooledTemporaryFile(max_size=BATCH_SPOOL_BYTES)  # noqa: SIM115
    try:
        with unit_of_work():
            structure, ids = queries.stock_batch_ids(current_user, event_id)
            if not ids:
                raise Conflict("Plus aucun chéquier de ce lot n'est en stock.",
                               code="batch_empty")
            # rendered inside the unit of work: prints are counted only if the PDF was made
            render_booklets(_printed(ids), cast(BinaryIO, spool),
                            nearby_venues=venues_for_cover(structure.departement_id))
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)
    return Response(_chunks(spool), mimetype="application/pdf", headers={
        "Content-Length": str(size),
        "Content-Disposition": f'attachment; filename="chequiers-stock-lot-{event_id}.pdf"',
    })


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    """Stream a spooled file in blocks, closing it at the end (or when the client leaves)."""
    with spool:
        while chunk := spool.read(STREAM_CHUNK_BYTES):
            yield chunk


@bp.route("/stock/remettre", methods=["GET", "POST"])
@login_required
def handout_start():
    """Hand-out, step 1: type or scan the number of a booklet in stock."""
    beneficiary_id = request.args.get("beneficiaire", type=int)
    beneficiary = people.get_beneficiary(current_user, beneficiary_id) if beneficiary_id else None
    form, status = BookletNumberForm(), 200
    if form.validate_on_submit():
        outcome = attempt(lambda: _in_stock(form.number.data), form, field="number",
                          reraise=())
        status = outcome.status
        if outcome.ok:
            booklet = outcome.value
            # "fiche": the person was chosen first, so the search step is skipped
            return redirect(url_for("booklets.handout_booklet", booklet_id=booklet.id,
                                    beneficiaire=beneficiary_id,
                                    fiche=1 if beneficiary_id else None))
    elif form.errors:
        status = 422
    return render_template("booklets/handout_start.html", form=form,
                           beneficiary=beneficiary), status


def _in_stock(number: str) -> Booklet:
    """The booklet in stock with that number, in scope; ``Conflict`` (``not_in_stock``)."""
    booklet = queries.find_booklet_by_number(current_user, number)
    if booklet.status != BookletStatus.IN_STOCK:
        raise Conflict(f"Le chéquier n° {booklet.number} n'est pas en stock (état : "
                       f"{queries.STATE_LABELS[queries.booklet_state(booklet)]}).",
                       code="not_in_stock")
    return booklet


@bp.route("/stock/remettre/<id:booklet_id>", methods=["GET", "POST"])
@login_required
def handout_booklet(booklet_id: int):
    """Hand-out, step 2: find the person in the booklet's structure, then confirm."""
    booklet = queries.get_booklet(current_user, booklet_id)
    beneficiary_id = request.args.get("beneficiaire", type=int)
    beneficiary = people.get_beneficiary(current_user, beneficiary_id) if beneficiary_id else None
    search_form, results = SearchForm(), None
    if beneficiary is None and search_form.validate_on_submit():
        found = people.search(current_user, last_name=required_data(search_form.last_name.data),
                              first_name=search_form.first_name.data or "",
                              birth_date=search_form.birth_date.data)
        results = [b for b in found if b.structure_id == booklet.structure_id]
    return render_template(
        "booklets/handout.html", booklet=booklet, state=queries.booklet_state(booklet),
        beneficiary=beneficiary, search_form=search_form, results=results,
        form=HandOutForm(formdata=None), preselected=request.args.get("fiche") == "1",
    )


@bp.route("/stock/remettre/<id:booklet_id>/<id:beneficiary_id>", methods=["POST"])
@login_required
def handout_confirm(booklet_id: int, beneficiary_id: int):
    """Hand-out, step 3: give the booklet to the person, then offer their first workshop."""
    form = HandOutForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = attempt(lambda: hand_out(current_user, queries.get_booklet(current_user, booklet_id),
                                       people.get_beneficiary(current_user, beneficiary_id),
                                       override_reason=form.override_reason.data))
    if not outcome.ok:
        return redirect(url_for("booklets.handout_booklet", booklet_id=booklet_id,
                                beneficiaire=beneficiary_id))
    # no name: flashed messages travel in the (only signed) session cookie
    flash(f"Chéquier n° {outcome.value.number} remis.", "success")
    # step 4: the first workshop, printed on the cover when booked before printing
    return redirect(url_for("venues.bookings.choose", beneficiary_id=beneficiary_id,
                            chequier=booklet_id))
