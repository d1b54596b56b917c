"""Programme administration for the syndicate: convention, quotas, départements, priority
publics (docs/reach.md)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from passnum.core.forms import required_data
from passnum.core.views import attempt
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.programmes.forms import (
    DepartementForm,
    PriorityPublicChangeForm,
    PriorityPublicForm,
    PriorityTargetForm,
    ProgrammeForm,
    QuotaForm,
)
from passnum.programmes.models import Departement, PriorityPublic, Programme, ProgrammeQuota
from passnum.programmes.queries import departements, programme_priority_publics
from passnum.programmes.services import (
    add_priority_public,
    change_priority_public,
    create_departement,
    save_programme,
    set_priority_target,
    set_quota,
)

bp = Blueprint("programme_admin", __name__, url_prefix="/programmes")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> ResponseReturnValue:
    """Programmes and départements; add a département."""
    form, status = DepartementForm(), 200
    if form.validate_on_submit():
        outcome = attempt(lambda: create_departement(current_user,
                                                     code=required_data(form.code.data),
                                                     name=required_data(form.name.data)),
                          form, field="code", reraise=())
        status = outcome.status
        if outcome.ok:
            flash("Département ajouté.", "success")
            return redirect(url_for("programme_admin.index"))
    programmes = db.session.scalars(select(Programme).order_by(Programme.starts_on.desc()))
    return render_template("programmes/index.html", programmes=list(programmes),
                           departements=departements(), form=form), status


def _programme_form_page(form: ProgrammeForm, programme: Programme | None, status: int = 200
                         ) -> ResponseReturnValue:
    quotas = {}
    if programme is not None:
        existing = {q.departement_id: q for q in db.session.scalars(
            select(ProgrammeQuota).where(ProgrammeQuota.programme_id == programme.id))}
        for dep in departements():
            quota = existing.get(dep.id)
            quotas[dep] = (quota, QuotaForm(
                formdata=None, prefix=f"d{dep.id}",
                target_beneficiaries=quota.target_beneficiaries if quota else 0,
                booklet_quota=quota.booklet_quota if quota else 0,
                budget_euros=quota.budget_cents // 100 if quota else 0))
    return render_template("programmes/edit.html", form=form, programme=programme,
                           quotas=quotas), status


@bp.route("/nouveau", methods=["GET", "POST"])
@bp.route("/<id:programme_id>", methods=["GET", "POST"])
@login_required
def edit(programme_id: int | None = None) -> ResponseReturnValue:
    """Create or change a programme's convention."""
    programme = db.session.get(Programme, programme_id) if programme_id else None
    if programme_id and programme is None:
        raise NotFound("Programme introuvable.")
    form = ProgrammeForm(obj=programme) if programme else ProgrammeForm()
    if programme is not None and not form.is_submitted():
        form.budget_euros.data = programme.budget_cents // 100
        form.voucher_value_euros.data = programme.voucher_value_cents // 100
    if form.validate_on_submit():
        outcome = attempt(lambda: save_programme(current_user, programme, **form.values()),
                          form, field="name", reraise=())
        if not outcome.ok:
            return _programme_form_page(form, programme, outcome.status)
        flash("Programme enregistré.", "success")
        return redirect(url_for("programme_admin.edit", programme_id=outcome.value.id))
    return _programme_form_page(form, programme, 422 if form.errors else 200)


@bp.route("/<id:programme_id>/departements/<id:departement_id>", methods=["POST"])
@login_required
def quota(programme_id: int, departement_id: int) -> ResponseReturnValue:
    """Set one département's share of the programme."""
    programme = db.session.get(Programme, programme_id)
    departement = db.session.get(Departement, departement_id)
    if programme is None or departement is None:
        raise NotFound("Programme ou département introuvable.")
    form = QuotaForm(prefix=f"d{departement_id}")
    if form.validate_on_submit():
        target, booklets = form.target_beneficiaries.data or 0, form.booklet_quota.data or 0
        budget_cents = (form.budget_euros.data or 0) * 100
        outcome = attempt(lambda: set_quota(current_user, programme, departement,
                                            target_beneficiaries=target, booklet_quota=booklets,
                                            budget_cents=budget_cents),
                          unplaced="none", reraise=())
        if outcome.error is not None:
            flash(f"{departement.name} : {outcome.error.message}", "error")
        else:
            flash(f"Part de {departement.name} enregistrée.", "success")
    else:
        flash("Valeurs invalides : des nombres entiers sont attendus.", "error")
    return redirect(url_for("programme_admin.edit", programme_id=programme_id))


def _programme(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("Programme introuvable.")
    return programme


def _priority_page(programme: Programme, form: PriorityPublicForm | None = None,
                   target_form: PriorityTargetForm | None = None, status: int = 200
                   ) -> ResponseReturnValue:
    entries = programme_priority_publics(programme.id)
    return render_template(
        "programmes/priority_publics.html", programme=programme, entries=entries,
        form=form or PriorityPublicForm(formdata=None),
        target_form=target_form or PriorityTargetForm(
            formdata=None, priority_target_percent=programme.priority_target_percent),
        change_forms={e.id: PriorityPublicChangeForm(formdata=None, prefix=f"p{e.id}",
                                                     label=e.label) for e in entries},
    ), status


@bp.route("/<id:programme_id>/publics-prioritaires", methods=["GET", "POST"])
@login_required
def priority_publics(programme_id: int) -> ResponseReturnValue:
    """The programme's priority publics and target (managers read); an admin adds one."""
    programme = _programme(programme_id)
    form = PriorityPublicForm()
    if not form.validate_on_submit():
        return _priority_page(programme, form, status=422 if form.errors else 200)
    outcome = attempt(lambda: add_priority_public(current_user, programme,
                                                  label=required_data(form.label.data)),
                      form, field="label", reraise=())
    if not outcome.ok:
        return _priority_page(programme, form, status=outcome.status)
    flash(f"« {outcome.value.label} » ajouté aux publics prioritaires.", "success")
    return redirect(url_for("programme_admin.priority_publics", programme_id=programme_id))


@bp.route("/<id:programme_id>/publics-prioritaires/<id:entry_id>", methods=["POST"])
@login_required
def priority_public(programme_id: int, entry_id: int) -> ResponseReturnValue:
    """Rename, move, retire or bring back one priority public."""
    entry = db.session.get(PriorityPublic, entry_id)
    if entry is None or entry.programme_id != programme_id:
        raise NotFound("Public prioritaire introuvable.")
    form = PriorityPublicChangeForm(prefix=f"p{entry_id}")
    if not form.validate_on_submit():
        flash("Intitulé invalide (160 caractères au plus).", "error")
    elif attempt(lambda: change_priority_public(current_user, entry,
                                                action=required_data(form.action.data),
                                                label=form.label.data or "")).ok:
        flash("Liste des publics prioritaires enregistrée.", "success")
    return redirect(url_for("programme_admin.priority_publics", programme_id=programme_id))


@bp.route("/<id:programme_id>/publics-prioritaires/cible", methods=["POST"])
@login_required
def priority_target(programme_id: int) -> ResponseReturnValue:
    """Set the convention's target share of priority publics."""
    programme = _programme(programme_id)
    form = PriorityTargetForm()
    if not form.validate_on_submit():
        return _priority_page(programme, target_form=form, status=422)
    outcome = attempt(lambda: set_priority_target(
        current_user, programme, percent=form.priority_target_percent.data),
        form, field="priority_target_percent", reraise=())
    if not outcome.ok:
        return _priority_page(programme, target_form=form, status=outcome.status)
    flash("Part de publics prioritaires visée enregistrée.", "success")
    return redirect(url_for("programme_admin.priority_publics", programme_id=programme_id))
