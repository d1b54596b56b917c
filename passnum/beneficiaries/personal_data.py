"""Where personal data lives: every column of every table, and what the purge does to it.

One reviewed list, read by the purge (``retention``: which columns it blanks and which
rows it deletes with a person) and by the tests (every column of the schema is listed
here, the purge does exactly what is written on real data, every column about a
beneficiary appears in their subject-access export). A new column that is not listed
fails the tests until someone decides its fate here.

Treatments:

- ``not_personal``: holds nothing about a person (ids, amounts, states, secrets, texts
  about venues or statements);
- ``staff``: personal data of staff or of a venue's contact (e-mails, names, addresses):
  outside the beneficiaries' purge, it lives as long as the account or the venue
  (the retention rule of docs/product.md is about beneficiaries);
- ``kept``: about a beneficiary, kept after the purge because the figures or the proof
  of lawful holding need it (postal code, consent, booklets and vouchers);
- ``pseudonymised``: replaced by a marker that names no one (first and last name);
- ``blanked``: set to NULL (or empty when the column cannot be NULL);
- ``deleted_row``: the rows linked to the person are deleted with them;
- ``set_by_purge``: not personal, written by the purge itself (when it ran).

A beneficiary's column names where the export shows it (``export``: a dotted path,
``[]`` for each item of a list) or, when it only copies other columns, what it is
derived from (``derived_from``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Treatment(StrEnum):
    """What the purge does to a column (see the module's docstring)."""

    NOT_PERSONAL = "not_personal"
    STAFF = "staff"
    KEPT = "kept"
    PSEUDONYMISED = "pseudonymised"
    BLANKED = "blanked"
    DELETED_ROW = "deleted_row"
    SET_BY_PURGE = "set_by_purge"


ABOUT_A_BENEFICIARY = frozenset({Treatment.KEPT, Treatment.PSEUDONYMISED, Treatment.BLANKED,
                                 Treatment.DELETED_ROW})


@dataclass(frozen=True)
class Rule:
    """One column's treatment, where the export shows it, and why."""

    treatment: Treatment
    export: str | None = None
    derived_from: str | None = None
    why: str = ""


NOT_PERSONAL = Rule(Treatment.NOT_PERSONAL)
STAFF = Rule(Treatment.STAFF)


def _kept(export: str, why: str = "") -> Rule:
    return Rule(Treatment.KEPT, export=export, why=why)


def _blanked(export: str | None = None, *, derived_from: str | None = None) -> Rule:
    return Rule(Treatment.BLANKED, export=export, derived_from=derived_from)


# The column that links a table's rows to one beneficiary: the purge blanks and deletes
# by it (only tables holding a ``blanked`` or ``deleted_row`` column need one).
PERSON_LINKS: dict[str, str] = {
    "beneficiaries": "id",
    "booklets": "beneficiary_id",
    "idempotent_responses": "beneficiary_id",
    "beneficiary_priority_publics": "beneficiary_id",
    "workshop_bookings": "beneficiary_id",
    "outbox_messages": "beneficiary_id",
}

COLUMNS: dict[str, dict[str, Rule]] = {
    "beneficiaries": {
        "id": _kept("beneficiary.id", "the record's number, named in the audit log"),
        "structure_id": _kept("structure.id"),
        "first_name": Rule(Treatment.PSEUDONYMISED, export="beneficiary.first_name"),
        "last_name": Rule(Treatment.PSEUDONYMISED, export="beneficiary.last_name"),
        "birth_date": _blanked("beneficiary.birth_date"),
        "priority_public_ids": _blanked(derived_from="beneficiary_priority_publics"),
        "postal_code": _kept("beneficiary.postal_code",
                             "a commune shared by thousands: statistics by commune"),
        "phone": _blanked("beneficiary.phone"),
        "email": _blanked("beneficiary.email"),
        "need": _blanked("beneficiary.need"),
        "identity_key": _blanked(derived_from="first_name, last_name, birth_date"),
        "consent_at": _kept("consent.given_at", "proof the data was lawfully held"),
        "consent_text_version": _kept("consent.text_version",
                                      "proof the data was lawfully held"),
        "duplicate_override_reason": _blanked("beneficiary.duplicate_override_reason"),
        "eligibility_override_reason": _blanked("beneficiary.eligibility_override_reason"),
        # the reporting categories (docs/reach.md): blanked, the purge first adds the
        # person to the kept aggregates
        "gender": _blanked("beneficiary.gender"),
        "social_status": _blanked("beneficiary.social_status"),
        "commune_insee": _blanked("beneficiary.commune_insee"),
        "priority_area": _blanked("beneficiary.priority_area"),
        "messages_consent_at": _kept("consent.messages_given_at",
                                     "proof the messages were lawfully sent"),
        "messages_stop_code": Rule(Treatment.NOT_PERSONAL,
                                   why="a bearer secret, not a fact; kept, the purged "
                                       "person's stop link answers as any other's"),
        "created_by_id": NOT_PERSONAL,
        "created_at": _kept("beneficiary.created_at"),
        "pseudonymised_at": Rule(Treatment.SET_BY_PURGE),
    },
    "booklets": {
        "id": NOT_PERSONAL,
        "number": _kept("booklets[].number", "statements and the audit log name it"),
        "programme_id": _kept("booklets[].programme", "dashboard figures"),
        "structure_id": NOT_PERSONAL,
        "departement_id": NOT_PERSONAL,
        "beneficiary_id": _kept("beneficiary.id", "people reached, per programme"),
        "status": _kept("booklets[].status", "dashboard figures"),
        "valid_from": _kept("booklets[].valid_from", "dashboard figures"),
        "expires_on": _kept("booklets[].expires_on", "dashboard figures"),
        "issued_at": _kept("booklets[].issued_at", "dashboard figures"),
        "issued_by_id": NOT_PERSONAL,
        "handed_out_at": _kept("booklets[].handed_out_at", "dashboard figures"),
        "printed_count": NOT_PERSONAL,
        "revoked_at": _kept("booklets[].revoked_at", "dashboard figures"),
        "revoke_reason": _kept("booklets[].revoke_reason", "one of lost, stolen, cancelled"),
        "revoke_note": _blanked("booklets[].revoke_note"),
        "replaces_booklet_id": NOT_PERSONAL,
        "duplicate_override_reason": _blanked("booklets[].duplicate_override_reason"),
        "vouchers_total": NOT_PERSONAL,
        "vouchers_redeemed": NOT_PERSONAL,
        # copies of the first live redemption's time and venue, for the funnel
        "first_used_at": Rule(Treatment.KEPT, derived_from="vouchers.redeemed_at",
                              why="the indicators' funnel"),
        "first_used_venue_id": Rule(Treatment.KEPT, derived_from="redemptions.venue_id",
                                    why="the indicators' funnel"),
        # the day it reached its holder and their age that day, for the indicators
        "reached_on": Rule(Treatment.KEPT, derived_from="handed_out_at, issued_at",
                           why="the indicators' funnel and age bands"),
        "holder_age": _blanked(derived_from="beneficiary.birth_date"),
    },
    # anonymous totals the purge keeps of the people it pseudonymises (numbers of
    # people per category value, structure and month): about no one
    "reach_tallies": {
        "programme_id": NOT_PERSONAL, "structure_id": NOT_PERSONAL,
        "departement_id": NOT_PERSONAL, "month": NOT_PERSONAL, "dimension": NOT_PERSONAL,
        "value": NOT_PERSONAL, "people": NOT_PERSONAL,
    },
    "vouchers": {
        "id": NOT_PERSONAL,
        "booklet_id": NOT_PERSONAL,
        "position": NOT_PERSONAL,
        "serial": _kept("booklets[].vouchers[].serial", "statements name it"),
        "manual_code": Rule(Treatment.NOT_PERSONAL, why="a bearer secret, not a fact"),
        "value_cents": _kept("booklets[].vouchers[].value_cents", "reimbursements"),
        "status": _kept("booklets[].vouchers[].status", "reimbursements"),
        "redeemed_at": _kept("booklets[].vouchers[].redeemed_at", "reimbursements"),
        "revoked_at": NOT_PERSONAL,
        "replaces_voucher_id": NOT_PERSONAL,
    },
    "redemptions": {
        "id": NOT_PERSONAL, "venue_id": NOT_PERSONAL, "workshop_id": NOT_PERSONAL,
        "actor_id": NOT_PERSONAL, "idempotency_key": NOT_PERSONAL,
        "redeemed_at": NOT_PERSONAL, "undone_at": NOT_PERSONAL, "undone_by_id": NOT_PERSONAL,
    },
    "redemption_lines": {
        "id": NOT_PERSONAL, "redemption_id": NOT_PERSONAL, "voucher_id": NOT_PERSONAL,
        "departement_id": NOT_PERSONAL, "value_cents": NOT_PERSONAL, "undone_at": NOT_PERSONAL,
        "statement_id": NOT_PERSONAL, "created_at": NOT_PERSONAL,
    },
    "venue_month_tallies": {
        "programme_id": NOT_PERSONAL, "departement_id": NOT_PERSONAL, "month": NOT_PERSONAL,
        "venue_id": NOT_PERSONAL, "theme_key": NOT_PERSONAL, "redemptions": NOT_PERSONAL,
        "vouchers": NOT_PERSONAL, "cents": NOT_PERSONAL,
    },
    "structure_month_tallies": {
        "programme_id": NOT_PERSONAL, "month": NOT_PERSONAL, "structure_id": NOT_PERSONAL,
        "departement_id": NOT_PERSONAL, "vouchers": NOT_PERSONAL, "cents": NOT_PERSONAL,
    },
    "idempotent_responses": {
        "id": NOT_PERSONAL, "user_id": NOT_PERSONAL, "key": NOT_PERSONAL,
        "method": NOT_PERSONAL, "path": NOT_PERSONAL, "request_hash": NOT_PERSONAL,
        "status": NOT_PERSONAL,
        # a copy of an API answer (a whole beneficiary record for POST /beneficiaries):
        # deleted with the person, and by every purge once older than its lifetime
        "body": Rule(Treatment.DELETED_ROW, derived_from="beneficiaries, booklets"),
        "beneficiary_id": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
    },
    "beneficiary_priority_publics": {
        "beneficiary_id": NOT_PERSONAL,
        "priority_public_id": Rule(Treatment.DELETED_ROW,
                                   export="beneficiary.priority_publics[].code"),
    },
    "workshop_bookings": {
        "id": NOT_PERSONAL, "beneficiary_id": NOT_PERSONAL, "booklet_id": NOT_PERSONAL,
        "booked_by_id": NOT_PERSONAL,
        "workshop_id": Rule(Treatment.DELETED_ROW, export="bookings[].workshop"),
        "booked_at": Rule(Treatment.DELETED_ROW, export="bookings[].booked_at"),
        "cancelled_at": Rule(Treatment.DELETED_ROW, export="bookings[].cancelled_at"),
        "attended_at": Rule(Treatment.DELETED_ROW, export="bookings[].attended_at"),
    },
    "audit_events": {
        "id": NOT_PERSONAL, "seq": NOT_PERSONAL, "created_at": NOT_PERSONAL,
        "actor_id": NOT_PERSONAL, "action": NOT_PERSONAL, "object_type": NOT_PERSONAL,
        "object_id": NOT_PERSONAL,
        # ids, numbers and reason codes only: no writer puts names or free text there
        # (tests/beneficiaries/test_personal_data.py checks it), so the append-only log
        # never needs rewriting by the purge
        "details": Rule(Treatment.NOT_PERSONAL, why="ids and codes only"),
        "ip": Rule(Treatment.STAFF, why="the acting account's address"),
        "prev_hash": NOT_PERSONAL, "hash": NOT_PERSONAL,
    },
    # messages to a person (or to a staff account, by ``user_id``): deleted with the
    # person; what was sent to them, and when, is in their export
    "outbox_messages": {
        "id": NOT_PERSONAL,
        "channel": Rule(Treatment.DELETED_ROW, export="messages[].channel"),
        "recipient": Rule(Treatment.DELETED_ROW, derived_from="beneficiaries.email, phone"),
        "subject": Rule(Treatment.DELETED_ROW, derived_from="beneficiaries, booklets"),
        "body": Rule(Treatment.DELETED_ROW, derived_from="beneficiaries, booklets"),
        "event_key": NOT_PERSONAL,
        "kind": Rule(Treatment.DELETED_ROW, export="messages[].kind"),
        "beneficiary_id": NOT_PERSONAL, "user_id": NOT_PERSONAL,
        "status": Rule(Treatment.DELETED_ROW, export="messages[].status"),
        "attempts": NOT_PERSONAL, "next_attempt_at": NOT_PERSONAL,
        # a mail server's refusal may quote the address
        "last_error": Rule(Treatment.DELETED_ROW, derived_from="recipient"),
        "created_at": Rule(Treatment.DELETED_ROW, export="messages[].created_at"),
        "sent_at": Rule(Treatment.DELETED_ROW, export="messages[].sent_at"),
    },
    "audit_head": {"id": NOT_PERSONAL, "last_seq": NOT_PERSONAL, "last_hash": NOT_PERSONAL},
    "users": {
        "id": NOT_PERSONAL, "email": STAFF, "full_name": STAFF,
        "password_hash": NOT_PERSONAL, "role": NOT_PERSONAL, "departement_id": NOT_PERSONAL,
        "structure_id": NOT_PERSONAL, "venue_id": NOT_PERSONAL,
        "is_active_account": NOT_PERSONAL, "is_venue_lead": NOT_PERSONAL,
        "last_login_at": STAFF, "totp_secret": NOT_PERSONAL, "totp_enabled_at": NOT_PERSONAL,
        "totp_last_step": NOT_PERSONAL, "session_version": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
    },
    "api_tokens": {
        "id": NOT_PERSONAL, "user_id": NOT_PERSONAL, "token_hash": NOT_PERSONAL,
        "created_at": NOT_PERSONAL, "expires_at": NOT_PERSONAL, "revoked_at": NOT_PERSONAL,
    },
    "departements": {"id": NOT_PERSONAL, "code": NOT_PERSONAL, "name": NOT_PERSONAL},
    "programmes": {
        "id": NOT_PERSONAL, "name": NOT_PERSONAL, "starts_on": NOT_PERSONAL,
        "ends_on": NOT_PERSONAL, "target_beneficiaries": NOT_PERSONAL,
        "budget_cents": NOT_PERSONAL, "vouchers_per_booklet": NOT_PERSONAL,
        "voucher_value_cents": NOT_PERSONAL, "validity_months": NOT_PERSONAL,
        "closed_at": NOT_PERSONAL, "created_at": NOT_PERSONAL,
        "eligible_postal_codes": NOT_PERSONAL, "minimum_age": NOT_PERSONAL,
        "priority_target_percent": NOT_PERSONAL,
    },
    "programme_quotas": {
        "id": NOT_PERSONAL, "programme_id": NOT_PERSONAL, "departement_id": NOT_PERSONAL,
        "target_beneficiaries": NOT_PERSONAL, "budget_cents": NOT_PERSONAL,
        "booklet_quota": NOT_PERSONAL, "booklets_issued": NOT_PERSONAL,
    },
    "structures": {
        "id": NOT_PERSONAL, "name": NOT_PERSONAL, "kind": NOT_PERSONAL,
        "departement_id": NOT_PERSONAL, "address": NOT_PERSONAL, "postal_code": NOT_PERSONAL,
        "commune": NOT_PERSONAL, "is_active": NOT_PERSONAL, "created_at": NOT_PERSONAL,
    },
    "allocations": {
        "id": NOT_PERSONAL, "programme_id": NOT_PERSONAL, "structure_id": NOT_PERSONAL,
        "booklets_allocated": NOT_PERSONAL, "booklets_issued": NOT_PERSONAL,
        "updated_at": NOT_PERSONAL,
    },
    "venues": {
        "id": NOT_PERSONAL, "slug": NOT_PERSONAL, "name": NOT_PERSONAL,
        "departement_id": NOT_PERSONAL, "address": STAFF, "postal_code": NOT_PERSONAL,
        "commune": NOT_PERSONAL, "siret": STAFF, "iban": STAFF,
        "legal_representative": STAFF, "phone": STAFF,
        "label_status": NOT_PERSONAL, "label_reason": NOT_PERSONAL,
        "label_changed_at": NOT_PERSONAL, "charter_accepted_at": NOT_PERSONAL,
        "created_at": NOT_PERSONAL, "commune_insee": NOT_PERSONAL,
        "latitude": NOT_PERSONAL, "longitude": NOT_PERSONAL,
        # the public profile: a place's published details, no one's personal data
        **dict.fromkeys((
            "address_complement", "opening_hours", "email", "website", "booking_url",
            "acceslibre_url", "summary", "description", "typologies", "mediation_services",
            "specific_publics", "specific_support", "national_programmes", "labels",
            "other_labels", "access_modes", "support_modes", "profile_updated_at"),
            NOT_PERSONAL),
        # where an imported venue comes from (docs/venue-import.md)
        "import_ref": NOT_PERSONAL, "import_source": NOT_PERSONAL,
    },
    # a file of venues between its dry run and its import (deleted within the hour):
    # the venues' published profiles and contacts, the staff's upload
    "venue_import_files": {
        "id": NOT_PERSONAL, "token_hash": NOT_PERSONAL, "user_id": NOT_PERSONAL,
        "departement_id": NOT_PERSONAL, "filename": STAFF,
        "content": Rule(Treatment.STAFF, why="venues' contacts, as the national map "
                                             "publishes them"),
        "created_at": NOT_PERSONAL,
    },
    # a venue's proposed public profile, its submitter and the manager who decided
    "venue_profile_changes": {
        "id": NOT_PERSONAL, "venue_id": NOT_PERSONAL, "values": NOT_PERSONAL,
        "status": NOT_PERSONAL, "submitted_by_id": NOT_PERSONAL,
        "submitted_at": NOT_PERSONAL, "decided_by_id": NOT_PERSONAL,
        "decided_at": NOT_PERSONAL, "reason": NOT_PERSONAL,
    },
    "venue_label_changes": {
        "id": NOT_PERSONAL, "venue_id": NOT_PERSONAL, "from_status": NOT_PERSONAL,
        "to_status": NOT_PERSONAL, "reason": NOT_PERSONAL, "actor_id": NOT_PERSONAL,
        "changed_at": NOT_PERSONAL,
    },
    "priority_publics": {
        "id": NOT_PERSONAL, "programme_id": NOT_PERSONAL, "code": NOT_PERSONAL,
        "label": NOT_PERSONAL, "position": NOT_PERSONAL, "is_active": NOT_PERSONAL,
    },
    "workshop_themes": {"id": NOT_PERSONAL, "name": NOT_PERSONAL, "is_active": NOT_PERSONAL},
    "workshops": {
        "id": NOT_PERSONAL, "venue_id": NOT_PERSONAL, "theme_id": NOT_PERSONAL,
        "title": NOT_PERSONAL, "description": NOT_PERSONAL, "starts_at": NOT_PERSONAL,
        "duration_minutes": NOT_PERSONAL, "capacity": NOT_PERSONAL,
        "price_vouchers": NOT_PERSONAL, "cancelled_at": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
    },
    "statements": {
        "id": NOT_PERSONAL, "venue_id": NOT_PERSONAL, "departement_id": NOT_PERSONAL,
        "period_start": NOT_PERSONAL, "period_end": NOT_PERSONAL, "status": NOT_PERSONAL,
        "total_cents": NOT_PERSONAL, "voucher_count": NOT_PERSONAL,
        "adjustment_cents": NOT_PERSONAL, "validated_at": NOT_PERSONAL,
        "validated_by_id": NOT_PERSONAL, "paid_on": NOT_PERSONAL,
        "payment_reference": NOT_PERSONAL, "archived_at": NOT_PERSONAL,
        "created_at": NOT_PERSONAL, "generated_at": NOT_PERSONAL,
        "paid_recorded_by_id": NOT_PERSONAL, "archived_by_id": NOT_PERSONAL,
    },
    "statement_adjustments": {
        "id": NOT_PERSONAL, "venue_id": NOT_PERSONAL, "departement_id": NOT_PERSONAL,
        "corrects_statement_id": NOT_PERSONAL, "statement_id": NOT_PERSONAL,
        "amount_cents": NOT_PERSONAL, "reason": NOT_PERSONAL, "created_by_id": NOT_PERSONAL,
        "created_at": NOT_PERSONAL,
    },
}


def columns_treated(table: str, treatment: Treatment) -> list[str]:
    """The columns of ``table`` that the purge treats as ``treatment``, in listed order."""
    return [name for name, rule in COLUMNS[table].items() if rule.treatment == treatment]


def tables_deleted_with_a_person() -> list[str]:
    """Tables whose rows linked to a purged person are deleted with them."""
    return [table for table in COLUMNS if columns_treated(table, Treatment.DELETED_ROW)]


def tables_blanked_with_a_person() -> list[str]:
    """Tables (other than the person's own) holding columns blanked with the person."""
    return [table for table in COLUMNS if table != "beneficiaries"
            and columns_treated(table, Treatment.BLANKED)]
