"""Workshop forms (the rules on values live in the service)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from wtforms import (
    DateField,
    Field,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from passnum.core.clock import PARIS
from passnum.core.forms import FrenchForm
from passnum.venues.models import Workshop
from passnum.venues.services import (
    CAPACITY_MAX,
    CAPACITY_MIN,
    DESCRIPTION_MAX,
    DURATION_MAX,
    DURATION_MIN,
    PRICE_MAX,
    PRICE_MIN,
    REASON_MAX,
    TITLE_MAX,
)

REQUIRED = "Ce champ est obligatoire."


def _number(label: str, low: int, high: int) -> IntegerField:
    """A whole number field with the service's bounds as input hints."""
    return IntegerField(label, validators=[InputRequired(message=REQUIRED)],
                        render_kw={"min": low, "max": high, "inputmode": "numeric"})


class WorkshopForm(FrenchForm):
    """Create or edit a workshop; date and time are read in Europe/Paris."""

    # only shown to administrators; agents always work on their own venue
    venue_id = SelectField("Lieu", coerce=int, validators=[Optional()])
    theme_id = SelectField("Thème", coerce=int, validators=[InputRequired(message=REQUIRED)])
    title = StringField("Titre (facultatif : le thème par défaut)",
                        validators=[Optional()], render_kw={"maxlength": TITLE_MAX})
    description = TextAreaField("Description (facultatif)", validators=[Optional()],
                                render_kw={"maxlength": DESCRIPTION_MAX})
    start_date = DateField("Date", validators=[InputRequired(message=REQUIRED)])
    start_time = TimeField("Heure de début", validators=[InputRequired(message=REQUIRED)])
    duration_minutes = _number("Durée (en minutes)", DURATION_MIN, DURATION_MAX)
    capacity = _number("Nombre de places", CAPACITY_MIN, CAPACITY_MAX)
    price_vouchers = _number("Prix (en chèques par personne)", PRICE_MIN, PRICE_MAX)

    def starts_at(self) -> datetime:
        """The start as a UTC-aware datetime (date and time typed in Paris time)."""
        local = datetime.combine(self.start_date.data, self.start_time.data, tzinfo=PARIS)
        return local.astimezone(UTC)

    def as_values(self) -> dict[str, Any]:
        """The values as ``create_workshop`` / ``update_workshop`` take them."""
        return {
            "theme_id": self.theme_id.data, "title": self.title.data or "",
            "description": self.description.data or "", "starts_at": self.starts_at(),
            "duration_minutes": self.duration_minutes.data, "capacity": self.capacity.data,
            "price_vouchers": self.price_vouchers.data,
        }

    def field_for(self, name: str | None) -> Field | None:
        """The form field for a service error; the start shows on the date field."""
        return super().field_for("start_date" if name == "starts_at" else name)

    @staticmethod
    def initial(workshop: Workshop) -> dict[str, Any]:
        """Values to pre-fill the edit form with."""
        local = workshop.starts_at.astimezone(PARIS)
        return {
            "theme_id": workshop.theme_id, "title": workshop.title,
            "description": workshop.description, "start_date": local.date(),
            "start_time": local.time().replace(second=0, microsecond=0),
            "duration_minutes": workshop.duration_minutes, "capacity": workshop.capacity,
            "price_vouchers": workshop.price_vouchers,
        }


class CancelWorkshopForm(FrenchForm):
    """Cancel a workshop, with the reason."""

    reason = TextAreaField(
        "Motif de l'annulation",
        validators=[DataRequired(message="Indiquez le motif de l'annulation."),
                    Length(max=REASON_MAX)],
        render_kw={"maxlength": REASON_MAX},
    )
