"""``GET /communes?code_postal=78000``: the communes of a postal code, for the forms'
commune choice (``static/js/communes.js``). Public reference data, no personal data."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from passnum.communes.reference import communes_for_postal_code, normalise_postal_code

bp = Blueprint("communes", __name__)


@bp.get("/communes")
def lookup() -> tuple[Response, int]:
    """The communes served by ``code_postal``, sorted by name (an empty list for an
    unknown code); 400 with a JSON error for a code that is not five digits."""
    typed = request.args.get("code_postal", "")
    if normalise_postal_code(typed) is None:
        body = {"error": {"code": "invalid_postal_code",
                          "message": "Le code postal doit compter cinq chiffres."}}
        return jsonify(body), 400
    return jsonify([{"insee": c.insee, "name": c.name, "departement": c.departement}
                    for c in communes_for_postal_code(typed)]), 200
