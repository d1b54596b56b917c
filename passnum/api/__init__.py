"""The JSON API under ``/api/v1``.

Routes live in each domain's ``api.py`` and register on ``bp``; they are imported at the
bottom of this module so that registering the blueprint brings every endpoint.
"""

from flask import Blueprint

from passnum.api.edge import add_api_headers
from passnum.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Cookie sessions are checked by ``api_endpoint`` (X-CSRFToken); bearer calls need none.
csrf.exempt(bp)
bp.after_request(add_api_headers)

from passnum.api import openapi as _openapi  # noqa: E402, F401
from passnum.auth import api as _auth_api  # noqa: E402, F401
from passnum.beneficiaries import api as _beneficiaries_api  # noqa: E402, F401
from passnum.booklets import api as _booklets_api  # noqa: E402, F401
from passnum.dashboard import api as _dashboard_api  # noqa: E402, F401
from passnum.redemptions import api as _redemptions_api  # noqa: E402, F401
from passnum.statements import api as _statements_api  # noqa: E402, F401
from passnum.venues import api as _venues_api  # noqa: E402, F401
