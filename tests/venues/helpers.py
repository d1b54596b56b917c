"""Workshop test helpers: themes, workshops through the service, redemptions as rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from passnum.auth.models import User
from passnum.booklets.models import Voucher, VoucherStatus
from passnum.core.clock import now
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.venues.models import Venue, Workshop, WorkshopTheme
from passnum.venues.services import create_workshop


def make_theme(name: str = "Utiliser son smartphone", *, active: bool = True) -> WorkshopTheme:
    """A workshop theme (committed)."""
    theme = WorkshopTheme(name=name, is_active=active)
    db.session.add(theme)
    db.session.commit()
    return theme


def workshop_values(theme: WorkshopTheme, **over: Any) -> dict[str, Any]:
    """Valid workshop values, starting in two days."""
    values: dict[str, Any] = {
        "theme_id": theme.id, "title": "Premiers pas sur smartphone",
        "description": "Allumer, appeler, envoyer un SMS.",
        "starts_at": (now() + timedelta(days=2)).replace(microsecond=0),
        "duration_minutes": 90, "capacity": 8, "price_vouchers": 2,
    }
    values.update(over)
    return values


def make_workshop(actor: User, venue: Venue, theme: WorkshopTheme, **over: Any) -> Workshop:
    """A workshop created through the service (committed)."""
    with unit_of_work():
        return create_workshop(actor, venue, **workshop_values(theme, **over))


def add_workshop_row(venue: Venue, theme: WorkshopTheme, starts_at: datetime, **over: Any
                     ) -> Workshop:
    """A workshop inserted directly, for dates the service would refuse (the past)."""
    fields: dict[str, Any] = {"title": "Atelier", "duration_minutes": 60, "capacity": 5,
                              "price_vouchers": 1}
    fields.update(over)
    workshop = Workshop(venue_id=venue.id, theme_id=theme.id, starts_at=starts_at, **fields)
    db.session.add(workshop)
    db.session.commit()
    return workshop


def redeem_rows(actor: User, workshop: Workshop, vouchers: list[Voucher],
                at: datetime | None = None) -> Redemption:
    """One person's redemption of ``vouchers`` for ``workshop``, written as rows."""
    at = at or now()
    redemption = Redemption(venue_id=workshop.venue_id, workshop_id=workshop.id,
                            actor_id=actor.id, redeemed_at=at)
    db.session.add(redemption)
    for voucher in vouchers:
        voucher.status, voucher.redeemed_at = VoucherStatus.REDEEMED, at
        db.session.add(RedemptionLine(redemption=redemption, voucher_id=voucher.id,
                                      departement_id=voucher.booklet.departement_id,
                                      value_cents=voucher.value_cents))
    db.session.commit()
    return redemption


def undo_rows(redemption: Redemption) -> None:
    """Mark a redemption and its lines undone, as the undo service would."""
    at = now()
    redemption.undone_at = at
    for line in redemption.lines:
        line.undone_at = at
        line.voucher.status, line.voucher.redeemed_at = VoucherStatus.ISSUED, None
    db.session.commit()
