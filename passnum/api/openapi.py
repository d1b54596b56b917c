"""The OpenAPI 3.1 description of ``/api/v1``, served at ``/api/v1/openapi.json``.

Tests compare its paths with the application's routes and validate every API response
of the test suite against these schemas: change both together.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from passnum.api import bp
from passnum.api.schema import ID_MAX, Field
from passnum.booklets.models import RevokeReason
from passnum.core.clock import DATE_MAX, DATE_MIN
from passnum.dashboard.figures import BY_KEY

BOOKLET_STATES = ["in_stock", "handed_out", "started", "finished", "revoked", "expired"]
VOUCHER_STATES = ["issued", "redeemed", "revoked", "expired", "not_activated"]
REVOKE_REASONS = [reason.value for reason in RevokeReason]


def _ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    """A schema of ``kind`` that may also be null."""
    return {"type": [kind, "null"], **extra}


_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array"}


def _field(field: Field) -> dict[str, Any]:
    """The JSON schema of a parsed body field: the same bounds as the parser enforces."""
    kind = _JSON_TYPES[field.kind]
    schema: dict[str, Any] = {"type": [kind, "null"] if field.nullable else kind}
    if field.kind is list:
        schema.update(minItems=1, maxItems=field.max_length)
        if field.items is not None:
            schema["items"] = _field(field.items)
        return schema
    bounds = {"maxLength": field.max_length, "minimum": field.minimum,
              "maximum": field.maximum,
              "pattern": f"^(?:{field.pattern})$" if field.pattern else None}
    schema.update({k: v for k, v in bounds.items() if v is not None})
    return schema


def _request(fields: dict[str, Field], *, required: tuple[str, ...] = (),
             **extra: dict[str, Any]) -> dict[str, Any]:
    """A request body schema built from the parser's fields, plus documentation."""
    needed = [*required, *(n for n, f in fields.items() if f.required and n not in required)]
    return {
        "type": "object",
        "required": needed,
        "additionalProperties": False,
        "properties": {n: {**_field(f), **extra.get(n, {})} for n, f in fields.items()},
    }


ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}

def _counts(*names: str, group: str = "", **extra: dict[str, Any]) -> dict[str, Any]:
    """An object of non-negative integer counts (plus ``extra`` properties); a count that
    is a dashboard figure of ``group`` carries its French label and definition."""
    properties: dict[str, Any] = {n: {"type": "integer", "minimum": 0} for n in names}
    for n in names:
        if figure := BY_KEY.get(f"{group}.{n}"):
            properties[n]["description"] = f"{figure.label} : {figure.definition}"
    properties.update(extra)
    return {"type": "object", "required": list(properties), "additionalProperties": False,
            "properties": properties}


def _stats_schema() -> dict[str, Any]:
    """``GET /api/v1/stats``: the dashboard's figures (counts and cents are integers)."""
    name = {"type": "string"}
    code = {"type": "string", "description": "Code du département."}
    forecast = _counts(
        "booklets_in_window", "cents_in_window", "booklets_current", "cents_current",
        "cents_per_month", "booklets_projected", "cents_projected", group="forecast",
        window_start=DATE, window_end=DATE, ends_on=DATE,
        months_observed={"type": "number", "minimum": 0},
        months_remaining={"type": "number", "minimum": 0},
        booklets_per_month={"type": "number", "minimum": 0},
        method={"type": "string", "description": "Méthode de la projection, en français."},
    )
    return _counts(
        departement={"type": ["string", "null"],
                     "description": "Code du département, null pour tous."},
        programme={"type": "object", "required": ["id", "name", "starts_on", "ends_on"],
                   "additionalProperties": False,
                   "properties": {"id": ID, "name": name, "starts_on": DATE, "ends_on": DATE}},
        period={"type": "object", "required": ["start", "end"], "additionalProperties": False,
                "properties": {"start": _nullable("string", format="date"),
                               "end": _nullable("string", format="date")}},
        day={**DATE, "description": "Jour de référence (expiration, projection)."},
        beneficiaries=_counts("reached", "target", group="beneficiaries"),
        booklets=_counts("issued", "handed_out", "in_stock", "revoked", "allocated", "quota",
                         group="booklets"),
        vouchers=_counts("total", "redeemed", "in_circulation", "in_stock", "expired",
                         "revoked", group="vouchers"),
        euros=_counts("redeemed_cents", "vouchers_paid", "budget_cents", group="euros"),
        monthly={"type": "array", "items": _counts(
            "booklets_issued", "redeemed_cents",
            month={"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"})},
        structures={"type": "array", "items": _counts(
            "booklets_allocated", "booklets_issued", "booklets_revoked", "beneficiaries",
            "vouchers_redeemed", "redeemed_cents", id=ID, name=name, departement=code)},
        venues={"type": "array", "items": _counts(
            "redemptions", "vouchers", "redeemed_cents", id=ID, name=name, departement=code)},
        themes={"type": "array", "items": _counts(
            "redemptions", "vouchers", "redeemed_cents",
            id={**ID, "type": ["integer", "null"]},
            name={"type": "string", "description": "« Sans atelier » hors atelier."})},
        forecast=forecast,
    )


def _statement_schema() -> dict[str, Any]:
    """A reimbursement statement: identity, status and totals in cents."""
    properties: dict[str, Any] = {
        "id": ID,
        "reference": {"type": "string", "pattern": "^RL-[0-9A-Za-z]+-[0-9]{4}-[0-9]{2}-[0-9]{6,}$",
                      "description": "Référence imprimée, ex. RL-78-2024-03-000123."},
        "venue_id": ID,
        "departement": {"type": "string", "description": "Code du département payeur."},
        "period": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "period_start": DATE,
        "period_end": {**DATE, "description": "Premier jour du mois suivant (exclu)."},
        "status": {"type": "string", "enum": ["draft", "validated", "paid", "archived"]},
        "voucher_count": {"type": "integer", "minimum": 0},
        "total_cents": {"type": "integer", "minimum": 0},
        "adjustment_cents": {"type": "integer",
                             "description": "Régularisations reprises (signées)."},
        "amount_due_cents": {"type": "integer",
                             "description": "total_cents + adjustment_cents."},
        "generated_at": _nullable("string", format="date-time"),
        "validated_at": _nullable("string", format="date-time"),
        "paid_on": _nullable("string", format="date"),
        "payment_reference": _nullable("string"),
    }
    return {"type": "object", "required": list(properties), "additionalProperties": False,
            "properties": properties}


def schemas() -> dict[str, Any]:
    """Component schemas; request bodies come from the endpoints' own field specs."""
    # Imported here: the endpoint modules import this package's blueprint.
    from passnum.auth.api import TOKEN_FIELDS
    from passnum.beneficiaries.api import CREATE_FIELDS, OVERRIDE_FIELDS, export_schema
    from passnum.booklets.api import ISSUE_FIELDS, REPLACE_FIELDS, REVOKE_FIELDS
    from passnum.redemptions.api import REDEEM_FIELDS
    from passnum.statements.api import GENERATE_FIELDS

    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "description": "Motif stable (snake_case)."},
                        "message": {"type": "string", "description": "Phrase en français."},
                        "field": {"type": "string", "description": "Champ en cause."},
                        "details": {"type": "object"},
                    },
                }
            },
        },
        "TokenRequest": _request(TOKEN_FIELDS),
        "Token": {
            "type": "object",
            "required": ["token", "expires_at"],
            "additionalProperties": False,
            "properties": {"token": {"type": "string"}, "expires_at": DATETIME},
        },
        "BeneficiaryCreate": _request(
            CREATE_FIELDS,
            required=("first_name", "last_name", "birth_date", "postal_code", "consent"),
            first_name={"minLength": 1},
            last_name={"minLength": 1},
            birth_date={"description": "AAAA-MM-JJ ou JJ/MM/AAAA."},
            consent={"const": True, "description": "Consentement de la personne (obligatoire)."},
            structure_id={"description": "Administrateurs seulement ; ignoré pour les "
                                         "travailleurs sociaux (leur structure)."},
        ),
        "BeneficiaryExport": export_schema(),
        "Beneficiary": {
            "type": "object",
            "required": ["id", "first_name", "last_name", "birth_date", "postal_code", "phone",
                         "email", "need", "structure_id", "consent_at", "created_at"],
            "additionalProperties": False,
            "properties": {
                "id": ID,
                "first_name": {"type": "string"},
                "last_name": {"type": "string"},
                "birth_date": _nullable("string", format="date"),
                "postal_code": {"type": "string"},
                "phone": _nullable("string"),
                "email": _nullable("string"),
                "need": {"type": "string"},
                "structure_id": ID,
                "consent_at": DATETIME,
                "created_at": DATETIME,
            },
        },
        "BookletCreate": _request(
            ISSUE_FIELDS,
            override_reason={"description": "Administrateurs : motif pour émettre malgré "
                                            "un doublon probable (un gestionnaire l'écarte "
                                            "sur la fiche de la personne)."},
        ),
        "BookletRevoke": _request(REVOKE_FIELDS, reason={"enum": REVOKE_REASONS}),
        "DuplicateOverride": _request(OVERRIDE_FIELDS, reason={
            "description": "Pourquoi la personne n'est pas celle du chéquier déjà émis."}),
        "BookletReplace": _request(REPLACE_FIELDS),
        "Voucher": {
            "type": "object",
            "required": ["serial", "manual_code", "url", "value_cents", "status", "expires_on"],
            "additionalProperties": False,
            "properties": {
                "serial": {"type": "string"},
                "manual_code": {"type": "string", "pattern": "^[0-9A-Z]{4}(-[0-9A-Z]{4}){2}$"},
                "url": {"type": "string", "format": "uri"},
                "value_cents": {"type": "integer", "minimum": 1},
                "status": {"type": "string", "enum": VOUCHER_STATES},
                "expires_on": DATE,
            },
        },
        "Booklet": {
            "type": "object",
            "required": ["id", "number", "status", "programme_id", "structure_id", "departement",
                         "beneficiary_id", "valid_from", "expires_on", "issued_at", "revoked_at",
                         "revoke_reason", "replaces_booklet_id", "vouchers"],
            "additionalProperties": False,
            "properties": {
                "id": ID,
                "number": {"type": "string"},
                "status": {"type": "string", "enum": BOOKLET_STATES},
                "programme_id": ID,
                "structure_id": ID,
                "departement": {"type": "string", "description": "Code du département payeur."},
                "beneficiary_id": {**ID, "type": ["integer", "null"]},
                "valid_from": DATE,
                "expires_on": DATE,
                "issued_at": DATETIME,
                "revoked_at": _nullable("string", format="date-time"),
                "revoke_reason": {"type": ["string", "null"], "enum": [*REVOKE_REASONS, None]},
                "replaces_booklet_id": {
                    **ID, "type": ["integer", "null"],
                    "description": "Chéquier perdu ou volé dont celui-ci reprend les chèques."},
                "vouchers": {"type": "array", "items": _ref("Voucher")},
            },
        },
        "RedemptionCreate": _request(
            REDEEM_FIELDS,
            codes={"description": "Liens des QR codes, jetons ou codes manuels : tous sont "
                                  "encaissés, ou aucun."},
            workshop_id={"description": "Atelier du lieu ; son prix en chèques doit "
                                        "correspondre au nombre de codes."},
        ),
        "Redemption": {
            "type": "object",
            "required": ["id", "venue_id", "workshop_id", "redeemed_at", "undone_at",
                         "total_cents", "vouchers"],
            "additionalProperties": False,
            "properties": {
                "id": ID,
                "venue_id": ID,
                "workshop_id": {**ID, "type": ["integer", "null"]},
                "redeemed_at": DATETIME,
                "undone_at": _nullable("string", format="date-time"),
                "total_cents": {"type": "integer", "minimum": 1},
                "vouchers": {"type": "array", "items": {
                    "type": "object", "required": ["serial", "value_cents"],
                    "additionalProperties": False,
                    "properties": {"serial": {"type": "string"},
                                   "value_cents": {"type": "integer", "minimum": 1}},
                }},
            },
        },
        "Stats": _stats_schema(),
        "StatementCreate": _request(
            GENERATE_FIELDS,
            venue_id={"description": "Lieu labellisé (de l'un ou l'autre département)."},
            period={"description": "Mois du relevé, AAAA-MM (heure de Paris) ; commencé."},
            departement={"description": "Code du département payeur ; par défaut celui du "
                                        "gestionnaire, obligatoire pour un administrateur."},
        ),
        "Statement": _statement_schema(),
        "VoucherCheck": {
            "type": "object",
            "required": ["serial", "value_cents", "status", "valid", "reason", "message",
                         "expires_on", "booklet_number"],
            "additionalProperties": False,
            "properties": {
                "serial": {"type": "string"},
                "value_cents": {"type": "integer", "minimum": 1},
                "status": {"type": "string", "enum": VOUCHER_STATES},
                "valid": {"type": "boolean"},
                "reason": {
                    "type": ["string", "null"],
                    "description": "Motif du refus (already_redeemed, voucher_revoked, "
                                   "not_activated, programme_closed, not_yet_valid, "
                                   "voucher_expired…), null si le chèque est valable.",
                },
                "message": {"type": "string"},
                "expires_on": DATE,
                "booklet_number": {"type": "string"},
            },
        },
    }


def _error(description: str) -> dict[str, Any]:
    """An error response in the API's JSON error shape."""
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(description: str, schema: str) -> dict[str, Any]:
    """A JSON success response of component ``schema``."""
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema)}}}


def _body(schema: str) -> dict[str, Any]:
    """A required JSON request body of component ``schema``."""
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


ERRORS = {
    "400": _error("Requête mal formée (corps non JSON, champ de mauvais type…)."),
    "401": _error("Authentification requise."),
    "403": _error("Rôle insuffisant."),
    "404": _error("Introuvable ou hors de votre périmètre."),
    "409": _error("Conflit (doublon, déjà fait…)."),
    "422": _error("Refusé par une règle (allocation épuisée, consentement manquant…)."),
    "429": _error("Trop de tentatives."),
    "default": _error("Autre erreur."),
}


def _responses(ok_status: str, ok: dict[str, Any], *errors: str) -> dict[str, Any]:
    """The success response, the listed error statuses and ``default``."""
    return {ok_status: ok, **{code: ERRORS[code] for code in (*errors, "default")}}


def _path_id(name: str, what: str) -> dict[str, Any]:
    """A database id in the path."""
    return {"name": name, "in": "path", "required": True, "description": f"Identifiant {what}.",
            "schema": ID}


IDEMPOTENCY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Une requête rejouée avec la même clé renvoie la première réponse "
                   "sans rien refaire ; la même clé pour une autre requête est refusée (422). "
                   "La réponse est gardée 48 h (réglable) : passé ce délai, la requête est "
                   "traitée comme nouvelle (un encaissement garde sa clé sans limite).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "^[!-~]+$"},
}
# a POST that only names its object in the path: no body, or an empty JSON object
NO_BODY = {"required": False, "content": {"application/json": {
    "schema": {"type": "object", "additionalProperties": False}}}}
BOOKLET_PDF = {
    "description": "Le chéquier en PDF (A4).",
    "content": {"application/pdf": {
        "schema": {"type": "string", "contentMediaType": "application/pdf"}}},
}
CSRF = {
    "name": "X-CSRFToken", "in": "header", "required": False,
    "description": "Jeton CSRF de la page, exigé avec le cookie de session (pas avec un "
                   "jeton Bearer).",
    "schema": {"type": "string"},
}

PATHS: dict[str, Any] = {
    "/api/v1/tokens": {"post": {
        "operationId": "createToken", "summary": "Obtenir un jeton d'API", "tags": ["auth"],
        "security": [], "requestBody": _body("TokenRequest"),
        "description": "403 venue_not_approved : le label du lieu n'est pas encore "
                       "accordé, son compte ne fonctionne pas encore.",
        "responses": _responses("201", _ok("Jeton créé.", "Token"),
                                "400", "401", "403", "429"),
    }},
    "/api/v1/beneficiaries": {"post": {
        "operationId": "createBeneficiary", "summary": "Enregistrer un bénéficiaire",
        "tags": ["beneficiaries"], "parameters": [IDEMPOTENCY, CSRF],
        "requestBody": _body("BeneficiaryCreate"),
        "responses": _responses("201", _ok("Bénéficiaire enregistré.", "Beneficiary"),
                                "400", "401", "403", "409", "422"),
    }},
    "/api/v1/beneficiaries/{beneficiary_id}": {"get": {
        "operationId": "getBeneficiary", "summary": "Lire un bénéficiaire",
        "tags": ["beneficiaries"],
        "parameters": [_path_id("beneficiary_id", "du bénéficiaire")],
        "responses": _responses("200", _ok("Le bénéficiaire.", "Beneficiary"), "401", "404"),
    }},
    "/api/v1/beneficiaries/{beneficiary_id}/export": {"post": {
        "operationId": "exportBeneficiary",
        "summary": "Exporter les données d'un bénéficiaire (droit d'accès)",
        "description": "Identité, coordonnées, besoin, consentement (date, version, texte), "
                       "structure, chéquiers, chèques et opérations. Travailleurs sociaux de "
                       "la structure, gestionnaires du département, administrateurs ; 404 "
                       "pour tout autre. Chaque export est journalisé (d'où un POST). 422 "
                       "beneficiary_pseudonymised : fiche anonymisée, plus rien à exporter.",
        "tags": ["beneficiaries"],
        "parameters": [_path_id("beneficiary_id", "du bénéficiaire"), IDEMPOTENCY, CSRF],
        "requestBody": NO_BODY,
        "responses": _responses("200", _ok("Les données de la personne.", "BeneficiaryExport"),
                                "401", "404", "422"),
    }},
    "/api/v1/beneficiaries/{beneficiary_id}/duplicate-override": {"post": {
        "operationId": "overrideDuplicate", "summary": "Écarter un doublon probable",
        "description": "Gestionnaires du département et administrateurs : la personne "
                       "n'est pas celle d'un chéquier déjà émis ; sa structure pourra alors "
                       "émettre ou remettre son chéquier. Journalisé.",
        "tags": ["beneficiaries"],
        "parameters": [_path_id("beneficiary_id", "du bénéficiaire"), IDEMPOTENCY, CSRF],
        "requestBody": _body("DuplicateOverride"),
        "responses": _responses("200", _ok("Doublon écarté.", "Beneficiary"),
                                "400", "401", "403", "404"),
    }},
    "/api/v1/booklets": {"post": {
        "operationId": "issueBooklet", "summary": "Émettre le chéquier d'un bénéficiaire",
        "tags": ["booklets"], "parameters": [IDEMPOTENCY, CSRF],
        "requestBody": _body("BookletCreate"),
        "responses": _responses("201", _ok("Chéquier émis.", "Booklet"),
                                "400", "401", "403", "404", "409", "422"),
    }},
    "/api/v1/booklets/{booklet_id}": {"get": {
        "operationId": "getBooklet", "summary": "Lire un chéquier", "tags": ["booklets"],
        "parameters": [_path_id("booklet_id", "du chéquier")],
        "responses": _responses("200", _ok("Le chéquier.", "Booklet"), "401", "404"),
    }},
    "/api/v1/booklets/{booklet_id}/pdf": {"get": {
        "operationId": "getBookletPdf", "summary": "Lire le PDF du chéquier",
        "description": "Une lecture : ne compte pas d'impression, ne change rien.",
        "tags": ["booklets"], "parameters": [_path_id("booklet_id", "du chéquier")],
        "responses": _responses("200", BOOKLET_PDF, "401", "404"),
    }, "post": {
        "operationId": "printBookletPdf", "summary": "Imprimer le chéquier",
        "description": "Le PDF à imprimer ; l'impression est comptée et journalisée.",
        "tags": ["booklets"],
        "parameters": [_path_id("booklet_id", "du chéquier"), IDEMPOTENCY, CSRF],
        "requestBody": NO_BODY,
        "responses": _responses("200", BOOKLET_PDF, "401", "404"),
    }},
    "/api/v1/booklets/{booklet_id}/revoke": {"post": {
        "operationId": "revokeBooklet", "summary": "Déclarer un chéquier perdu, volé ou annulé",
        "tags": ["booklets"],
        "parameters": [_path_id("booklet_id", "du chéquier"), IDEMPOTENCY, CSRF],
        "requestBody": _body("BookletRevoke"),
        "responses": _responses("200", _ok("Chéquier révoqué.", "Booklet"),
                                "400", "401", "403", "404", "409", "422"),
    }},
    "/api/v1/booklets/{booklet_id}/replace": {"post": {
        "operationId": "replaceBooklet",
        "summary": "Remplacer un chéquier perdu ou volé",
        "description": "Le remplaçant reprend exactement les chèques annulés par la "
                       "révocation (mêmes valeurs, même fin de validité), une seule fois, "
                       "sans compter de nouveau dans les quotas. Motifs de refus : "
                       "not_revoked, already_replaced, nothing_to_replace (tous les chèques "
                       "avaient été utilisés), booklet_expired, programme_closed.",
        "tags": ["booklets"],
        "parameters": [_path_id("booklet_id", "du chéquier remplacé"), IDEMPOTENCY, CSRF],
        "requestBody": _body("BookletReplace"),
        "responses": _responses("201", _ok("Chéquier de remplacement émis.", "Booklet"),
                                "400", "401", "403", "404", "409", "422"),
    }},
    "/api/v1/vouchers/check": {"get": {
        "operationId": "checkVoucher", "summary": "Vérifier un chèque sans le modifier",
        "tags": ["vouchers"],
        "parameters": [{
            "name": "code", "in": "query", "required": True,
            "description": "Lien du QR code, jeton seul ou code manuel (K7M2-9QXP-4TJ6).",
            "schema": {"type": "string"},
        }],
        "responses": _responses("200", _ok("État du chèque.", "VoucherCheck"),
                                "400", "401", "404", "429"),
    }},
    "/api/v1/redemptions": {"post": {
        "operationId": "redeemVouchers",
        "summary": "Encaisser des chèques (tous ou aucun), pour un atelier ou non",
        "description": "Refus : invalid_code, unknown_code, duplicate_code (400/404), "
                       "already_redeemed (409), voucher_revoked, voucher_expired, "
                       "not_yet_valid, not_activated, programme_closed, venue_not_active, "
                       "workshop_full, workshop_past, workshop_cancelled, wrong_voucher_count "
                       "(422) ; details.vouchers donne le verdict de chaque code.",
        "tags": ["redemptions"], "parameters": [IDEMPOTENCY, CSRF],
        "requestBody": _body("RedemptionCreate"),
        "responses": _responses("201", _ok("Chèques encaissés.", "Redemption"),
                                "400", "401", "403", "404", "409", "422", "429"),
    }},
    "/api/v1/redemptions/{redemption_id}": {"delete": {
        "operationId": "undoRedemption",
        "summary": "Annuler un encaissement fait par erreur (sous 24 heures)",
        "tags": ["redemptions"],
        "parameters": [_path_id("redemption_id", "de l'encaissement"), CSRF],
        "responses": _responses("200", _ok("Encaissement annulé.", "Redemption"),
                                "401", "403", "404", "409", "422"),
    }},
    "/api/v1/stats": {"get": {
        "operationId": "getStats", "summary": "Chiffres du tableau de bord",
        "description": "Gestionnaires : leur département (par défaut) ; administrateurs : "
                       "un département ou tous (par défaut). Programme ouvert aujourd'hui "
                       "par défaut.",
        "tags": ["dashboard"],
        "parameters": [
            {"name": "departement", "in": "query", "required": False,
             "description": "Code du département (78, 92…).", "schema": {"type": "string"}},
            {"name": "programme", "in": "query", "required": False,
             "description": "Identifiant du programme.", "schema": ID},
            {"name": "start", "in": "query", "required": False,
             "description": "Premier jour de la période (AAAA-MM-JJ, heure de Paris), "
                            f"du {DATE_MIN} au {DATE_MAX}.",
             "schema": DATE},
            {"name": "end", "in": "query", "required": False,
             "description": "Dernier jour de la période (AAAA-MM-JJ, heure de Paris), "
                            f"du {DATE_MIN} au {DATE_MAX}.",
             "schema": DATE},
        ],
        "responses": _responses("200", _ok("Les chiffres.", "Stats"),
                                "400", "401", "403", "404", "422"),
    }},
    "/api/v1/statements": {"post": {
        "operationId": "generateStatement",
        "summary": "Générer (ou mettre à jour) le relevé d'un lieu pour un mois",
        "description": "Gestionnaires (leur département payeur) et administrateurs. Reprend "
                       "les chèques encaissés par le lieu avant la fin du mois et payés par "
                       "le département, non encore relevés, et les régularisations en "
                       "attente. 201 : brouillon créé ; 200 : brouillon existant mis à jour ; "
                       "409 statement_frozen : relevé déjà validé ; 422 nothing_to_state "
                       "(rien à relever, aucun relevé vide n'est créé) ou period_not_started.",
        "tags": ["statements"], "parameters": [IDEMPOTENCY, CSRF],
        "requestBody": _body("StatementCreate"),
        "responses": {
            **_responses("201", _ok("Brouillon créé.", "Statement"),
                         "400", "401", "403", "404", "409", "422"),
            "200": _ok("Brouillon existant mis à jour.", "Statement"),
        },
    }},
    "/api/v1/statements/{statement_id}": {"get": {
        "operationId": "getStatement", "summary": "Lire un relevé", "tags": ["statements"],
        "description": "Gestionnaires du département payeur, administrateurs, agents du lieu.",
        "parameters": [_path_id("statement_id", "du relevé")],
        "responses": _responses("200", _ok("Le relevé.", "Statement"), "401", "404"),
    }},
    "/api/v1/statements/{statement_id}/pdf": {"get": {
        "operationId": "getStatementPdf", "summary": "Télécharger le relevé en PDF",
        "tags": ["statements"],
        "description": "Gestionnaires du département payeur, administrateurs, agents du lieu ; "
                       "404 pour tout autre.",
        "parameters": [_path_id("statement_id", "du relevé")],
        "responses": _responses("200", {
            "description": "Le relevé en PDF (A4) : lignes, régularisations et totaux.",
            "content": {"application/pdf": {
                "schema": {"type": "string", "contentMediaType": "application/pdf"}}},
        }, "401", "404"),
    }},
    "/api/v1/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "Cette description", "tags": ["meta"],
        "security": [],
        "responses": {"200": {"description": "Document OpenAPI 3.1.",
                              "content": {"application/json": {"schema": {"type": "object"}}}}},
    }},
}


def document() -> dict[str, Any]:
    """The OpenAPI document of the JSON API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "passnum API",
            "version": "1.0.0",
            "description": "API du Pass numérique 78-92. Erreurs : "
                           '{"error": {"code": "<motif>", "message": "<phrase>"}}.',
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "Jeton obtenu par POST /api/v1/tokens."},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                               "description": "Session du site ; les POST exigent "
                                              "l'en-tête X-CSRFToken."},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_endpoint():
    """Serve the OpenAPI document (public)."""
    return jsonify(document())
