"""Allocations of booklets to structures, for DGAS managers and administrators."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from passnum.core.forms import required_data
from passnum.core.views import attempt
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.programmes import queries
from passnum.programmes.forms import AllocationForm
from passnum.programmes.models import Allocation, Structure
from passnum.programmes.services import set_allocation

bp = Blueprint("programmes", __name__, url_prefix="/allocations")


def _page(forms: dict[int, AllocationForm] | None = None, status: int = 200
          ) -> ResponseReturnValue:
    programme = queries.open_programme()
    rows = queries.allocation_rows(current_user, programme.id)
    forms = forms or {}
    for row in rows:
        forms.setdefault(row.structure.id, AllocationForm(
            formdata=None, booklets=row.allocated, prefix=f"s{row.structure.id}"))
    allocation_ids = db.session.scalars(
        select(Allocation.id).where(Allocation.programme_id == programme.id,
                                    Allocation.structure_id.in_([r.structure.id for r in rows]))
    ).all()
    return render_template(
        "programmes/allocations.html", programme=programme, rows=rows, forms=forms,
        quotas=queries.quotas_in_scope(current_user, programme.id),
        history=queries.allocation_history(list(allocation_ids)),
        names={r.structure.id: r.structure.name for r in rows},
    ), status


@bp.route("/")
@login_required
def index() -> ResponseReturnValue:
    """Structures of the département with their allocation, and the history of changes."""
    return _page()


@bp.route("/<id:structure_id>", methods=["POST"])
@login_required
def change(structure_id: int) -> ResponseReturnValue:
    """Change one structure's allocation."""
    form = AllocationForm(prefix=f"s{structure_id}")
    structure = db.session.get(Structure, structure_id)
    if structure is None:
        raise NotFound("Structure introuvable.")
    if not form.validate_on_submit():
        return _page({structure_id: form}, status=422)
    outcome = attempt(lambda: set_allocation(current_user, queries.open_programme(), structure,
                                             booklets=form.booklets.data or 0,
                                             reason=required_data(form.reason.data)),
                      form, field="booklets")
    if not outcome.ok:
        return _page({structure_id: form}, status=outcome.status)
    flash(f"Allocation de « {structure.name} » : {form.booklets.data} chéquiers.", "success")
    return redirect(url_for("programmes.index"))
