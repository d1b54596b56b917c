"""Programmes, département quotas and allocations (the only code that changes them)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import func, select

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import ensure_admin, ensure_may_allocate
from passnum.booklets.models import Booklet
from passnum.core.text import check_name_characters
from passnum.errors import Conflict, InvalidInput, RuleRefused
from passnum.extensions import db
from passnum.programmes.eligibility import invalid_territory_entries, territory_entries
from passnum.programmes.models import (
    Allocation,
    Departement,
    PriorityPublic,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.programmes.queries import departement_by_code

MAX_ALLOCATION = 100_000
INT_MAX = 2**31 - 1  # integer columns: 21 million euros at most in cents
REASON_MAX = 300


def set_allocation(actor: User, programme: Programme, structure: Structure, *, booklets: int,
                   reason: str) -> Allocation:
    """Set how many booklets a structure may issue in a programme.

    Managers allot within their département, admins anywhere. The département's
    allocations never exceed its quota, and an allocation never drops below what the
    structure already issued. The quota row is locked, so two managers changing
    allocations at once are checked one after the other. Raises ``InvalidInput``
    and ``RuleRefused`` (``quota_exceeded``, ``below_issued``, ``no_quota``).
    """
    ensure_may_allocate(actor, structure)
    reason = (reason or "").strip()
    if not 0 <= booklets <= MAX_ALLOCATION:
        raise InvalidInput(f"L'allocation doit être comprise entre 0 et {MAX_ALLOCATION}.",
                           field="booklets")
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(f"Indiquez un motif (au plus {REASON_MAX} caractères).",
                           field="reason")
    quota = db.session.scalar(
        select(ProgrammeQuota).where(ProgrammeQuota.programme_id == programme.id,
                                     ProgrammeQuota.departement_id == structure.departement_id)
        .with_for_update()
    )
    if quota is None:
        raise RuleRefused("Ce département n'a pas de quota dans ce programme.", code="no_quota")
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.programme_id == programme.id,
                                 Allocation.structure_id == structure.id).with_for_update()
    )
    issued = allocation.booklets_issued if allocation else 0
    if booklets < issued:
        raise RuleRefused(f"La structure a déjà émis {issued} chéquiers : l'allocation ne peut "
                          "pas descendre en dessous.", code="below_issued", field="booklets")
    others = db.session.scalar(
        select(func.coalesce(func.sum(Allocation.booklets_allocated), 0))
        .join(Structure, Structure.id == Allocation.structure_id)
        .where(Allocation.programme_id == programme.id,
               Structure.departement_id == structure.departement_id,
               Allocation.structure_id != structure.id)
    ) or 0
    if others + booklets > quota.booklet_quota:
        room = quota.booklet_quota - others
        raise RuleRefused(f"Le quota du département ({quota.booklet_quota} chéquiers) serait "
                          f"dépassé : au plus {room} pour cette structure.",
                          code="quota_exceeded", field="booklets")
    before = allocation.booklets_allocated if allocation else 0
    if allocation is None:
        allocation = Allocation(programme_id=programme.id, structure_id=structure.id,
                                booklets_issued=0)
        db.session.add(allocation)
    allocation.booklets_allocated = booklets
    db.session.flush()
    record("allocation.changed", actor_id=actor.id, object_type="allocation",
           object_id=allocation.id,
           details={"structure_id": structure.id, "programme_id": programme.id,
                    "before": before, "after": booklets, "reason": reason})
    return allocation


# --- Programme administration (admins) ----------------------------------------------------

DEPARTEMENT_CODE = re.compile(r"^(\d{2,3}|2A|2B)$")
PROGRAMME_FIELDS = ("name", "starts_on", "ends_on", "target_beneficiaries", "budget_cents",
                    "vouchers_per_booklet", "voucher_value_cents", "validity_months")
COMPOSITION = ("vouchers_per_booklet", "voucher_value_cents")
# who may receive a booklet (``eligibility``): kept as they are when not given
ELIGIBILITY_FIELDS = ("eligible_postal_codes", "minimum_age")


def _check_eligibility_settings(values: dict[str, Any]) -> None:
    """Normalise and check the territory list and the minimum age, naming the field."""
    if "eligible_postal_codes" in values:
        text = values["eligible_postal_codes"] or ""
        if not isinstance(text, str) or len(text) > 5000:
            raise InvalidInput("Liste de codes postaux trop longue.",
                               field="eligible_postal_codes")
        if wrong := invalid_territory_entries(text):
            raise InvalidInput(f"« {wrong[0]} » n'est ni un code postal (5 chiffres) ni le "
                               "début d'un code postal (2 à 4 chiffres, par exemple 78).",
                               field="eligible_postal_codes")
        values["eligible_postal_codes"] = " ".join(territory_entries(text))
    age = values.get("minimum_age")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)
                            or not 0 <= age <= 120):
        raise InvalidInput("Âge minimum hors limites (0 à 120 ans).", field="minimum_age")


def _check_programme(values: dict[str, Any]) -> None:
    """Refuse impossible programme settings, naming the field."""
    name = check_name_characters((values.get("name") or "").strip(), field="name",
                                 label="Le nom")
    if not name or len(name) > 120:
        raise InvalidInput("Le nom est obligatoire (120 caractères au plus).", field="name")
    if values["ends_on"] < values["starts_on"]:
        raise InvalidInput("La fin doit suivre le début.", field="ends_on")
    bounds = {"target_beneficiaries": (1, 10_000_000), "budget_cents": (1, INT_MAX),
              "vouchers_per_booklet": (1, 50), "voucher_value_cents": (1, 100_000),
              "validity_months": (1, 120)}
    for field, (low, high) in bounds.items():
        if not low <= values[field] <= high:
            raise InvalidInput(f"Valeur hors limites ({low} à {high}).", field=field)


def save_programme(actor: User, programme: Programme | None, **values: Any) -> Programme:
    """Create or change a programme (the convention of the grant).

    The booklet composition cannot change once booklets were issued
    (``composition_locked``). Raises ``InvalidInput`` naming the field.
    """
    ensure_admin(actor)
    values = {**{k: values[k] for k in PROGRAMME_FIELDS},
              **{k: values[k] for k in ELIGIBILITY_FIELDS if k in values}}
    _check_eligibility_settings(values)
    values["name"] = values["name"].strip()
    _check_programme(values)
    taken = db.session.scalar(select(Programme.id).where(Programme.name == values["name"]))
    if taken is not None and (programme is None or taken != programme.id):
        raise Conflict("Un programme porte déjà ce nom.", code="name_taken", field="name")
    if programme is not None and any(getattr(programme, k) != values[k] for k in COMPOSITION):
        issued = db.session.scalar(select(func.count()).select_from(Booklet)
                                   .where(Booklet.programme_id == programme.id))
        if issued:
            raise RuleRefused("Des chéquiers ont déjà été émis : leur composition ne peut plus "
                              "changer.", code="composition_locked",
                              field="vouchers_per_booklet")
    before = {k: str(getattr(programme, k)) for k in values} if programme else {}
    if programme is None:
        programme = Programme(**values)
        db.session.add(programme)
    else:
        for key, value in values.items():
            setattr(programme, key, value)
    db.session.flush()
    record("programme.saved", actor_id=actor.id, object_type="programme",
           object_id=programme.id,
           details={"before": before, "after": {k: str(v) for k, v in values.items()}})
    return programme


def set_quota(actor: User, programme: Programme, departement: Departement, *,
              target_beneficiaries: int, booklet_quota: int, budget_cents: int) -> ProgrammeQuota:
    """Set a département's share of a programme; never below what is issued or allotted.

    Raises ``InvalidInput`` and ``RuleRefused`` (``below_issued``, ``below_allocated``).
    """
    ensure_admin(actor)
    for field, value in (("target_beneficiaries", target_beneficiaries),
                         ("booklet_quota", booklet_quota), ("budget_cents", budget_cents)):
        if not 0 <= value <= INT_MAX:
            raise InvalidInput("Valeur hors limites.", field=field)
    quota = db.session.scalar(
        select(ProgrammeQuota).where(ProgrammeQuota.programme_id == programme.id,
                                     ProgrammeQuota.departement_id == departement.id)
        .with_for_update())
    allotted = db.session.scalar(
        select(func.coalesce(func.sum(Allocation.booklets_allocated), 0))
        .join(Structure, Structure.id == Allocation.structure_id)
        .where(Allocation.programme_id == programme.id,
               Structure.departement_id == departement.id)) or 0
    if quota is None:
        quota = ProgrammeQuota(programme_id=programme.id, departement_id=departement.id,
                               booklets_issued=0, target_beneficiaries=0, booklet_quota=0,
                               budget_cents=0)
        db.session.add(quota)
    if booklet_quota < quota.booklets_issued:
        raise RuleRefused(f"{quota.booklets_issued} chéquiers sont déjà émis dans ce "
                          "département.", code="below_issued", field="booklet_quota")
    allotted = allotted or 0
    if booklet_quota < allotted:
        raise RuleRefused(f"{allotted} chéquiers sont déjà alloués aux structures : réduisez "
                          "d'abord leurs allocations.", code="below_allocated",
                          field="booklet_quota")
    quota.target_beneficiaries, quota.booklet_quota = target_beneficiaries, booklet_quota
    quota.budget_cents = budget_cents
    db.session.flush()
    record("quota.changed", actor_id=actor.id, object_type="programme_quota",
           object_id=quota.id,
           details={"programme_id": programme.id, "departement": departement.code,
                    "booklet_quota": booklet_quota, "target": target_beneficiaries,
                    "budget_cents": budget_cents})
    return quota


def create_departement(actor: User, *, code: str, name: str) -> Departement:
    """Add a département to the syndicate (no code change needed for a third one)."""
    ensure_admin(actor)
    code, name = (code or "").strip().upper(), (name or "").strip()
    check_name_characters(name, field="name", label="Le nom")
    if not DEPARTEMENT_CODE.match(code):
        raise InvalidInput("Code de département invalide (ex. 78, 92, 2A, 971).", field="code")
    if not name or len(name) > 80:
        raise InvalidInput("Le nom est obligatoire (80 caractères au plus).", field="name")
    if departement_by_code(code) is not None:
        raise Conflict("Ce département existe déjà.", code="departement_exists", field="code")
    departement = Departement(code=code, name=name)
    db.session.add(departement)
    db.session.flush()
    record("departement.created", actor_id=actor.id, object_type="departement",
           object_id=departement.id, details={"code": code})
    return departement


# --- Priority publics of a programme (admins; docs/reach.md) ------------------------------

PRIORITY_LABEL_MAX = 160
PRIORITY_CODE_MAX = 40


def priority_code(label: str) -> str:
    """The stable code of a new entry, from its label: ``Jeune sans qualification
    (16-25 ans)`` gives ``jeune_sans_qualification_16_25_ans``."""
    decomposed = unicodedata.normalize("NFKD", label.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:PRIORITY_CODE_MAX].strip("_")


def _priority_label(programme: Programme, label: str, *, entry: PriorityPublic | None = None
                    ) -> str:
    """A checked label, unique in the programme (``Conflict``, ``label_taken``)."""
    label = check_name_characters(" ".join((label or "").split()), field="label",
                                  label="L'intitulé")
    if not label or len(label) > PRIORITY_LABEL_MAX:
        raise InvalidInput(f"L'intitulé est obligatoire ({PRIORITY_LABEL_MAX} caractères au "
                           "plus).", field="label")
    for other in programme.priority_publics:
        if other is not entry and other.label.casefold() == label.casefold():
            raise Conflict("Ce public prioritaire figure déjà dans la liste.",
                           code="label_taken", field="label")
    return label


def add_priority_public(actor: User, programme: Programme, *, label: str) -> PriorityPublic:
    """Add a priority public at the end of the programme's checklist; its code, taken
    from the label, never changes afterwards (the API and the indicators use it).
    Audited. Raises ``Forbidden`` but for admins, ``InvalidInput`` or ``Conflict``
    (``label_taken``) naming ``label``."""
    ensure_admin(actor)
    label = _priority_label(programme, label)
    taken = {p.code for p in programme.priority_publics}
    base = priority_code(label) or "public"
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base[:PRIORITY_CODE_MAX - len(str(n)) - 1]}_{n}"
    entry = PriorityPublic(code=code, label=label,
                           position=max((p.position for p in programme.priority_publics),
                                        default=0) + 1)
    programme.priority_publics.append(entry)
    db.session.flush()
    record("priority_public.added", actor_id=actor.id, object_type="priority_public",
           object_id=entry.id, details={"programme_id": programme.id, "code": code,
                                        "label": label})
    return entry


def change_priority_public(actor: User, entry: PriorityPublic, *, action: str,
                           label: str = "") -> PriorityPublic:
    """Rename (``rename`` with ``label``), move (``up``, ``down``), retire (``retire``)
    or bring back (``restore``) an entry of a programme's checklist. A retired entry
    leaves the form's checklist but stays on the records that have it, and in the
    indicators. Audited. Raises ``Forbidden`` but for admins, ``InvalidInput`` for an
    unknown action or a bad label, ``Conflict`` (``label_taken``)."""
    ensure_admin(actor)
    programme = entry.programme
    before = {"label": entry.label, "position": entry.position, "is_active": entry.is_active}
    if action == "rename":
        entry.label = _priority_label(programme, label, entry=entry)
        record("priority_public.renamed", **_entry_event(actor, entry, before))
    elif action in ("up", "down"):
        _move(programme.priority_publics, entry, -1 if action == "up" else 1)
        record("priority_public.moved", **_entry_event(actor, entry, before))
    elif action == "retire":
        entry.is_active = False
        record("priority_public.retired", **_entry_event(actor, entry, before))
    elif action == "restore":
        entry.is_active = True
        record("priority_public.restored", **_entry_event(actor, entry, before))
    else:
        raise InvalidInput("Action inconnue.", field="action")
    db.session.flush()
    return entry


def _entry_event(actor: User, entry: PriorityPublic, before: dict[str, Any]
                 ) -> dict[str, Any]:
    """The audit event's fields for a change of ``entry`` (the before and after)."""
    return {"actor_id": actor.id, "object_type": "priority_public", "object_id": entry.id,
            "details": {"programme_id": entry.programme_id, "code": entry.code,
                        "before": before,
                        "after": {"label": entry.label, "position": entry.position,
                                  "is_active": entry.is_active}}}


def _move(entries: list[PriorityPublic], entry: PriorityPublic, step: int) -> None:
    """Swap ``entry`` with its neighbour; positions become 1..n in the new order."""
    ordered = sorted(entries, key=lambda p: (p.position, p.id))
    at = ordered.index(entry)
    to = at + step
    if 0 <= to < len(ordered):
        ordered[at], ordered[to] = ordered[to], ordered[at]
    for position, item in enumerate(ordered, 1):
        item.position = position


def set_priority_target(actor: User, programme: Programme, *, percent: int | None
                        ) -> Programme:
    """Set the convention's target share of priority publics among the people reached
    (0 to 100 %, ``None``: no target). Audited. Raises ``Forbidden`` but for admins,
    ``InvalidInput`` naming ``priority_target_percent``."""
    ensure_admin(actor)
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int)
                                or not 0 <= percent <= 100):
        raise InvalidInput("La part visée est un pourcentage entre 0 et 100.",
                           field="priority_target_percent")
    before = programme.priority_target_percent
    programme.priority_target_percent = percent
    db.session.flush()
    record("programme.priority_target_set", actor_id=actor.id, object_type="programme",
           object_id=programme.id, details={"before": before, "after": percent})
    return programme
