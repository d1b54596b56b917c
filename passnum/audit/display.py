"""The audit log as administrators read it: one French sentence per action, the details
as labelled values, and the ids the events hold resolved to names.

Events store ids and codes only (``record``); names are looked up here, for one page at a
time, in a handful of queries. A beneficiary is only ever shown by number: the log says
who did what to which record, never who the person is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.auth.models import ROLE_LABELS, User
from passnum.booklets.models import REVOKE_REASON_LABELS, Booklet
from passnum.core.formatting import date_fr, datetime_fr, euros
from passnum.extensions import db
from passnum.programmes.models import Departement, Programme, Structure
from passnum.programmes.queries import departements
from passnum.statements.models import Statement
from passnum.venues.models import Venue, Workshop

# One sentence per action code. ``{object}`` is the event's object by name; ``{venue}``,
# ``{structure}``, ``{departement}``, ``{programme}``, ``{workshop}`` come from the
# details' ids. tests/audit/test_sentences.py fails when an action recorded in the code
# has no sentence here.
SENTENCES: dict[str, str] = {
    "auth.login": "Connexion de {object}",
    "auth.logout": "Déconnexion de {object}",
    "auth.login_failed": "Connexion refusée pour {object} : identifiants erronés",
    "auth.login_refused_pending": "Connexion refusée pour {object} : lieu pas encore "
                                  "labellisé",
    "auth.locked": "Connexions suspendues pour {object} après trop d'échecs",
    "auth.totp_enabled": "Double authentification activée pour {object}",
    "auth.totp_failed": "Code de double authentification erroné pour {object}",
    "auth.totp_reset": "Double authentification réinitialisée pour {object}",
    "auth.password_changed": "Mot de passe changé pour {object}",
    "auth.password_change_failed": "Changement de mot de passe refusé pour {object} : mot "
                                   "de passe actuel erroné",
    "auth.sessions_ended": "Sessions et jetons d'API de {object} fermés",
    "auth.password_reset_requested": "Réinitialisation du mot de passe demandée pour "
                                     "{object}",
    "user.password_reset": "Mot de passe réinitialisé par lien e-mail pour {object}",
    "message.retried": "Message en échec remis en file d'envoi",
    "api_token.created": "Jeton d'API créé pour {object}",
    "user.created": "Compte {object} créé",
    "booklet.issued": "Chéquier {object} émis par {structure}",
    "booklet.replaced": "Chéquier {object} émis en remplacement d'un chéquier révoqué",
    "booklet.revoked": "Chéquier {object} révoqué",
    "booklet.printed": "Chéquier {object} imprimé",
    "booklet.stock_issued": "Chéquiers de stock imprimés pour {object}",
    "booklet.handed_out": "Chéquier {object} remis à un bénéficiaire de {structure}",
    "beneficiary.created": "Bénéficiaire {object} enregistré par {structure}",
    "beneficiary.duplicate_overridden": "Bénéficiaire {object} confirmé comme personne "
                                        "distincte d'un doublon probable",
    "beneficiary.eligibility_overridden": "Bénéficiaire {object} admis hors des critères "
                                          "d'éligibilité du programme (exception motivée)",
    "beneficiary.messages_stopped": "Bénéficiaire {object} : messages arrêtés par le lien "
                                    "de désinscription",
    "beneficiary.exported": "Données du bénéficiaire {object} exportées (droit d'accès)",
    "beneficiary.updated": "Fiche du bénéficiaire {object} corrigée",
    "beneficiary.pseudonymised": "Bénéficiaires pseudonymisés au terme de leur durée de "
                                 "conservation",
    "allocation.changed": "Allocation de chéquiers de {structure} modifiée",
    "programme.saved": "Programme {object} enregistré",
    "programme.priority_target_set": "Part de publics prioritaires visée du programme "
                                     "{object} modifiée",
    "priority_public.added": "Public prioritaire {object} ajouté au programme {programme}",
    "priority_public.renamed": "Public prioritaire {object} du programme {programme} renommé",
    "priority_public.moved": "Public prioritaire {object} du programme {programme} déplacé "
                             "dans la liste",
    "priority_public.retired": "Public prioritaire {object} du programme {programme} retiré "
                               "de la liste",
    "priority_public.restored": "Public prioritaire {object} du programme {programme} "
                                "proposé à nouveau",
    "quota.changed": "Quota de {departement} modifié pour le programme {programme}",
    "departement.created": "Département {object} créé",
    "workshop.created": "Atelier « {object} » créé par {venue}",
    "workshop.updated": "Atelier « {object} » de {venue} modifié",
    "workshop.cancelled": "Atelier « {object} » de {venue} annulé",
    "workshop.booked": "Place réservée à l'atelier « {object} » de {venue}",
    "workshop.booking_cancelled": "Réservation annulée à l'atelier « {object} » de {venue}",
    "venue.applied": "Candidature au label déposée par {object}",
    "venue.label_changed": "Décision sur le label de {object}",
    "venue.agent_added": "Agent {object} ajouté à {venue}",
    "venue.located": "Localisation de {object} modifiée",
    "venue.created": "Lieu {object} créé par l'import d'un fichier",
    "venue.imported": "Lieux importés d'un fichier dans {object}",
    "venue.application_completed": "Dossier de candidature de {object} complété",
    "venue.profile_proposed": "Modification de la fiche publique de {object} proposée",
    "venue.profile_approved": "Fiche publique de {object} : modification publiée",
    "venue.profile_refused": "Fiche publique de {object} : modification refusée",
    "venue.profile_updated": "Fiche publique de {object} modifiée",
    "venue.agent_deactivated": "Agent {object} de {venue} désactivé",
    "venue.agent_reactivated": "Agent {object} de {venue} réactivé",
    "voucher.redeemed": "Chèques encaissés par {venue}",
    "voucher.redeem_refused": "Encaissement refusé à {object}",
    "voucher.check_refused": "Vérification d'un code refusée",
    "redemption.undone": "Encaissement {object} annulé",
    "statement.generated": "Relevé {object} généré pour {venue}",
    "statement.validated": "Relevé {object} de {venue} validé",
    "statement.paid": "Relevé {object} de {venue} payé",
    "statement.archived": "Relevé {object} de {venue} archivé",
    "statement.adjustment_added": "Régularisation ajoutée au relevé {object} de {venue}",
    "audit.reanchored": "Ancre du journal rétablie",
    "seed.loaded": "Données de test de charge chargées",
    "demo.loaded": "Données de démonstration chargées",
}
UNKNOWN_ACTION = "Action non décrite ({action})"
UNKNOWN_NAME = "inconnu"

# Labels of the details' keys, in the order shown; other keys come after, as stored.
LABELS: dict[str, str] = {
    "number": "Chéquier", "replaces": "Remplace le chéquier", "numbers": "Chéquiers",
    "count": "Nombre", "vouchers": "Chèques", "vouchers_revoked": "Chèques révoqués",
    "value_cents": "Valeur", "serials": "Chèques", "channel": "Canal",
    "venue_id": "Lieu", "workshop_id": "Atelier", "structure_id": "Structure",
    "departement_id": "Département", "departement": "Département",
    "programme_id": "Programme", "booklet_id": "Chéquier", "beneficiary_id": "Bénéficiaire",
    "booking_id": "Réservation", "bookings_cancelled": "Réservations annulées",
    "period": "Période", "created": "Nouveau relevé", "voucher_count": "Chèques",
    "total_cents": "Montant", "adjustment_cents": "Régularisations",
    "amount_cents": "Montant", "adjustment_id": "Régularisation n°",
    "paid_on": "Payé le", "payment_reference": "Référence du paiement",
    "reason": "Motif", "why": "Cause", "override": "Doublon confirmé",
    "copy": "Exemplaire", "format": "Format", "role": "Rôle",
    "tokens_revoked": "Jetons d'API révoqués", "known_account": "Compte existant",
    "sent": "Lien envoyé", "kind": "Message",
    "before": "Avant", "after": "Après", "booklet_quota": "Quota de chéquiers",
    "target": "Bénéficiaires visés", "budget_cents": "Budget", "code": "Code",
    "siret": "SIRET", "lead_account": "Compte du responsable", "from": "Statut avant",
    "to": "Statut après", "action": "Décision", "changes": "Modifications",
    "theme_id": "Thème n°", "starts_at": "Début", "duration_minutes": "Durée (minutes)",
    "capacity": "Places", "price_vouchers": "Prix (chèques)", "ids": "Bénéficiaires n°",
    "retention_months": "Conservation (mois)", "previous_anchor": "Ancre précédente",
    "restored_head": "Tête rétablie", "seed": "Graine",
    # venues imported from a file
    "rows": "Lignes du fichier", "venues_created": "Lieux créés",
    "rows_refused": "Lignes refusées", "line": "Ligne du fichier",
    "import_ref": "Identifiant d'origine", "changed": "Champs complétés",
    # programme and workshop fields, in before/after and changes
    "name": "Nom", "starts_on": "Début", "ends_on": "Fin",
    "target_beneficiaries": "Bénéficiaires visés", "vouchers_per_booklet": "Chèques par chéquier",
    "voucher_value_cents": "Valeur d'un chèque", "validity_months": "Validité (mois)",
    "title": "Titre", "description": "Description",
    # a venue's location
    "postal_code": "Code postal", "commune_insee": "Code INSEE de la commune",
    "position": "Position",
    # a person's corrected record, a programme's priority publics
    "fields": "Champs modifiés", "label": "Intitulé", "is_active": "Proposé",
    # a venue's public profile
    "change_id": "Proposition n°", "replaced": "Remplace une proposition en attente",
}
CODES: dict[str, str] = {  # stored codes shown as words
    **{str(role): label for role, label in ROLE_LABELS.items()},
    **{str(reason): label for reason, label in REVOKE_REASON_LABELS.items()},
    "already_redeemed": "chèque déjà utilisé", "voucher_revoked": "chèque annulé",
    "voucher_expired": "chèque expiré", "not_yet_valid": "chèque pas encore valable",
    "not_activated": "chèque pas encore remis", "programme_closed": "programme terminé",
    "invalid_code": "code illisible", "unknown_code": "code inconnu",
    "password_changed": "mot de passe changé", "password_reset": "mot de passe "
    "réinitialisé", "totp_reset": "double authentification "
    "réinitialisée", "suspended": "compte suspendu",
    "commune_centroid": "centre de la commune",
}
MAX_ITEMS = 12  # a list longer than this is cut, with its length


@dataclass(frozen=True)
class EventLine:
    """One event as the journal shows it."""

    event: AuditEvent
    actor_email: str | None
    sentence: str
    details: list[tuple[str, str]]


class _Names:
    """Names of the objects a page of events points to, looked up once per kind."""

    KINDS: dict[str, str] = {  # detail key or object type → kind
        "venue_id": "venue", "venue": "venue", "structure_id": "structure",
        "structure": "structure", "departement_id": "departement",
        "departement": "departement", "programme_id": "programme", "programme": "programme",
        "workshop_id": "workshop", "workshop": "workshop", "booklet_id": "booklet",
        "booklet": "booklet", "statement": "statement", "user": "user",
    }

    def __init__(self, events: Iterable[AuditEvent]) -> None:
        """Collect every id the events hold, then fetch the names kind by kind."""
        wanted: dict[str, set[int]] = {}
        for event in events:
            kind = self.KINDS.get(event.object_type or "")
            if kind and (event.object_id or "").isdigit():
                wanted.setdefault(kind, set()).add(int(event.object_id or 0))
            for key, value in _details(event).items():
                kind = self.KINDS.get(key)
                if kind and key.endswith("_id") and isinstance(value, int):
                    wanted.setdefault(kind, set()).add(value)
        self.names: dict[tuple[str, int], str] = {}
        for kind, ids in wanted.items():
            for row_id, name in _LOOKUPS[kind](ids):
                self.names[(kind, row_id)] = name
        self.departement_codes = {d.code: d.name for d in departements()}

    def of(self, kind: str, row_id: Any) -> str:
        """The name of ``kind`` number ``row_id``, or "n° <id>"."""
        if isinstance(row_id, str) and row_id.isdigit():
            row_id = int(row_id)
        return self.names.get((kind, row_id), f"n° {row_id}")


def _departement_label(name: str, code: str) -> str:
    return f"{name} ({code})"


_LOOKUPS: dict[str, Callable[[set[int]], Iterable[tuple[int, str]]]] = {
    "venue": lambda ids: db.session.execute(
        select(Venue.id, Venue.name).where(Venue.id.in_(ids))).all(),
    "structure": lambda ids: db.session.execute(
        select(Structure.id, Structure.name).where(Structure.id.in_(ids))).all(),
    "programme": lambda ids: db.session.execute(
        select(Programme.id, Programme.name).where(Programme.id.in_(ids))).all(),
    "workshop": lambda ids: db.session.execute(
        select(Workshop.id, Workshop.title).where(Workshop.id.in_(ids))).all(),
    "booklet": lambda ids: (
        (i, f"n° {n}") for i, n in db.session.execute(
            select(Booklet.id, Booklet.number).where(Booklet.id.in_(ids))).all()),
    "user": lambda ids: db.session.execute(
        select(User.id, User.email).where(User.id.in_(ids))).all(),
    "departement": lambda ids: (
        (i, _departement_label(n, c)) for i, n, c in db.session.execute(
            select(Departement.id, Departement.name, Departement.code)
            .where(Departement.id.in_(ids))).all()),
    "statement": lambda ids: (
        (i, f"RL-{c}-{start:%Y-%m}-{i:06d}") for i, c, start in db.session.execute(
            select(Statement.id, Departement.code, Statement.period_start)
            .join(Departement, Departement.id == Statement.departement_id)
            .where(Statement.id.in_(ids))).all()),
}


def _details(event: AuditEvent) -> dict[str, Any]:
    """The event's details as a dict (an unreadable value is shown as it is stored)."""
    try:
        value = json.loads(event.details or "{}")
    except ValueError:
        return {"détails": event.details}
    return value if isinstance(value, dict) else {"détails": value}


def _value(key: str, value: Any, names: _Names) -> str:
    """One detail's value in words: names for ids, euros for cents, oui/non, lists."""
    kind = names.KINDS.get(key)
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if kind and key.endswith("_id"):
        return names.of(kind, value)
    if key == "departement" and isinstance(value, str) and value in names.departement_codes:
        return _departement_label(names.departement_codes[value], value)
    if key.endswith("_cents") and str(value).lstrip("-").isdigit():
        return euros(int(value))
    if key == "beneficiary_id":
        return f"n° {value}"
    if isinstance(value, list):
        shown = ", ".join(_value("", item, names) for item in value[:MAX_ITEMS])
        return shown + (f"… ({len(value)} au total)" if len(value) > MAX_ITEMS else "")
    if isinstance(value, dict):
        return " ; ".join(f"{LABELS.get(k, k)} : {_change(k, v, names)}"
                          for k, v in value.items())
    return CODES.get(str(value)) or _when(str(value))


def _change(key: str, value: Any, names: _Names) -> str:
    """A field of a before/after or a change: ``[old, new]`` reads "old → new"."""
    if isinstance(value, list) and len(value) == 2:
        return f"{_value(key, value[0], names)} → {_value(key, value[1], names)}"
    return _value(key, value, names)


def _when(text: str) -> str:
    """An ISO date or date-time shown the French way; any other text as it is."""
    try:
        if len(text) == 10:
            return date_fr(date.fromisoformat(text))
        if len(text) > 10 and text[10] == "T":
            return datetime_fr(datetime.fromisoformat(text))
    except ValueError:
        pass
    return text


def _sentence(event: AuditEvent, details: dict[str, Any], names: _Names) -> str:
    """The event's sentence, its placeholders filled with names."""
    template = SENTENCES.get(event.action)
    if template is None:
        return UNKNOWN_ACTION.format(action=event.action)
    kind = names.KINDS.get(event.object_type or "")
    if event.object_id is None:
        obj = UNKNOWN_NAME
    elif kind:
        obj = names.of(kind, event.object_id)
    else:
        obj = f"n° {event.object_id}"
    values = {"object": obj}
    for key in ("venue", "structure", "departement", "programme", "workshop"):
        if f"{key}_id" in details:
            values[key] = _value(f"{key}_id", details[f"{key}_id"], names)
        elif key in details:
            values[key] = _value(key, details[key], names)
        else:
            values[key] = obj if kind == key else UNKNOWN_NAME
    return template.format_map(values)


def describe(rows: list[tuple[AuditEvent, str | None]]) -> list[EventLine]:
    """The events of one page (with their actors' e-mails) as sentences and details."""
    names = _Names(event for event, _ in rows)
    lines = []
    for event, email in rows:
        details = _details(event)
        ordered = [k for k in LABELS if k in details] + [k for k in details if k not in LABELS]
        lines.append(EventLine(event, email, _sentence(event, details, names),
                               [(LABELS.get(k, k), _value(k, details[k], names))
                                for k in ordered]))
    return lines

