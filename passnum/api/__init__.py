"""The JSON API under ``/api/v1``."""

from flask import Blueprint

from passnum.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
