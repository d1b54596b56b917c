"""The caller of an API request, read in one statement per database.

``user_for_token_hash`` runs before every API request: the user owning a live token
of an active account, with the venue a venue agent's calls need. On PostgreSQL it runs
straight on the driver (``core.db.fetch``), where SQLAlchemy's execution layer and ORM
loading would cost more than the statement; the row then becomes the session's
objects here, and nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, literal_column, or_, select
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.util import identity_key

from passnum.auth.models import ApiToken, User
from passnum.core.db import UTCDateTime, fetch
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue

M = TypeVar("M")

_USERS, _TOKENS, _VENUES = User.__table__, ApiToken.__table__, Venue.__table__
# What an API request reads of its caller and the caller's venue: scope and state. Any
# other attribute is loaded on first access (the object is known as partly loaded).
_USER_COLUMNS = ("id", "email", "role", "departement_id", "structure_id", "venue_id",
                 "is_active_account", "is_venue_lead")
_VENUE_COLUMNS = ("id", "slug", "name", "departement_id", "label_status")
# Built once and read with Core: it runs before every API request.
_USER_BY_TOKEN = (
    select(*(_USERS.c[name] for name in _USER_COLUMNS),
           *(_VENUES.c[name] for name in _VENUE_COLUMNS))
    .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
                 .outerjoin(_VENUES, _VENUES.c.id == _USERS.c.venue_id))
    .where(_TOKENS.c.token_hash == bindparam("digest"), _TOKENS.c.revoked_at.is_(None),
           _TOKENS.c.expires_at > bindparam("at", type_=UTCDateTime()),
           _USERS.c.is_active_account.is_(True),
           # an agent's token works only once the venue's label was approved
           or_(_VENUES.c.label_status.is_(None),
               _VENUES.c.label_status != literal_column(f"'{LabelStatus.PENDING.value}'")))
)


def user_for_token_hash(digest: str, *, at: datetime) -> User | None:
    """The active user owning the live token of hash ``digest`` (unexpired at ``at``),
    with its venue loaded, or None. One statement."""
    found = fetch(_USER_BY_TOKEN, {"digest": digest, "at": at})
    if not found:
        return None
    row = found[0]
    width = len(_USER_COLUMNS)
    values: dict[str, Any] = dict(zip(_USER_COLUMNS, row[:width], strict=True))
    if values["venue_id"] is not None:
        # the user holds its venue: the session's identity map keeps an object only while
        # something refers to it, and a venue nobody held would be read again
        values["venue"] = _as_loaded(Venue, dict(zip(_VENUE_COLUMNS, row[width:], strict=True)))
    return _as_loaded(User, values)


def _as_loaded(model: type[M], values: dict[str, Any]) -> M:
    """The session's object for the row ``values`` (some columns of ``model``): a new
    one known as loaded (attributes not given load on first access), or the one already
    in the session (a request's session starts empty), those attributes read again.

    A new object's values go straight into its state, as the ORM's own loading does: no
    attribute events, no history to reset (several times cheaper than the constructor).
    """
    known = db.session.identity_map.get(identity_key(model, values["id"]))
    if known is not None:
        db.session.expire(known, [name for name in values if name != "id"])
        return known
    instance = class_mapper(model).class_manager.new_instance()
    instance_state(instance).dict.update(values)
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance
