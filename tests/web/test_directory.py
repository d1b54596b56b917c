"""The public venue directory printed on booklet covers."""

from datetime import timedelta

from passnum.core.clock import now
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Workshop, WorkshopTheme
from tests.factories import make_departement, make_venue


def test_directory_lists_active_venues_and_upcoming_workshops(client, app):
    dep = make_departement("78")
    active = make_venue(dep)
    suspended = make_venue(dep, status=LabelStatus.SUSPENDED)
    theme = WorkshopTheme(name="Utiliser son smartphone")
    db.session.add_all([
        Workshop(venue=active, theme=theme, title="Smartphone débutant",
                 starts_at=now() + timedelta(days=2), duration_minutes=90, capacity=8),
        Workshop(venue=active, theme=theme, title="Atelier passé",
                 starts_at=now() - timedelta(days=2), duration_minutes=90, capacity=8),
        Workshop(venue=active, theme=theme, title="Atelier annulé", cancelled_at=now(),
                 starts_at=now() + timedelta(days=3), duration_minutes=90, capacity=8),
    ])
    db.session.commit()
    page = client.get("/lieux")
    assert page.status_code == 200
    assert active.name in page.text and suspended.name not in page.text
    assert "Smartphone débutant" in page.text
    assert "Atelier passé" not in page.text and "Atelier annulé" not in page.text
