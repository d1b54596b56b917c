"""The import page's two steps: check a file (the dry run), keeping it on the server,
then import that very file.

Between the two the file waits in the database (``VenueImportFile``: any server of
several answers the second step), for the user who sent it, under the SHA-256 of a
random token that only their page holds (never in a URL or a cookie). It is deleted by
its import, by the user's next check, or after ``LIFETIME``. Services flush, never
commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select

from passnum.auth.models import User
from passnum.auth.scope import ensure_may_import_venues
from passnum.core.clock import now
from passnum.errors import InvalidInput
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.venues.imports import ImportPlan, plan_import, read_rows, run_import
from passnum.venues.models import VenueImportFile

LIFETIME = timedelta(hours=1)
FILENAME_MAX = 200


def _hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_upload(actor: User, departement: Departement, filename: str,
                 data: bytes) -> tuple[ImportPlan, str | None]:
    """The dry run of an uploaded file, and the token that imports it later (None when
    no row would be created: nothing is kept).

    Expired files, and the user's previous one, are deleted. Raises ``InvalidInput``
    (field ``file``) for a file that cannot be read (``import_reading.read_rows``), and
    as ``imports.plan_import`` does.
    """
    ensure_may_import_venues(actor, departement.id)
    db.session.execute(delete(VenueImportFile).where(
        (VenueImportFile.user_id == actor.id) | (VenueImportFile.created_at < now() - LIFETIME)))
    plan = plan_import(actor, departement, read_rows(data, filename))
    if not plan.accepted:
        return plan, None
    token = secrets.token_urlsafe(32)
    db.session.add(VenueImportFile(token_hash=_hash(token), user_id=actor.id,
                                   departement_id=departement.id,
                                   filename=(filename or "lieux.csv")[-FILENAME_MAX:],
                                   content=data))
    db.session.flush()
    return plan, token


def run_upload(actor: User, token: str) -> ImportPlan:
    """Import the file the user checked under ``token`` (``imports.run_import``), then
    forget it.

    Raises ``InvalidInput`` (``import_file_expired``) when no such file is kept for
    this user (another user's, imported already, older than ``LIFETIME``), and as
    ``run_import`` does.
    """
    stored = db.session.scalar(select(VenueImportFile).where(
        VenueImportFile.token_hash == _hash(token or ""),
        VenueImportFile.user_id == actor.id,
        VenueImportFile.created_at >= now() - LIFETIME).with_for_update())
    if stored is None:
        raise InvalidInput("Ce fichier n'est plus disponible (déjà importé, ou vérifié il y a "
                           "plus d'une heure) : chargez-le et vérifiez-le de nouveau.",
                           code="import_file_expired")
    departement = db.session.get(Departement, stored.departement_id)
    assert departement is not None  # a foreign key
    plan = run_import(actor, departement, read_rows(stored.content, stored.filename))
    db.session.delete(stored)
    db.session.flush()
    return plan
