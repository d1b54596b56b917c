"""Workshop and venue qualification forms (the rules on values live in the services)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import url_for
from flask_wtf.file import FileField, FileRequired
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    BooleanField,
    EmailField,
    Field,
    Form,
    HiddenField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from passnum.communes.reference import commune_choices
from passnum.core.clock import PARIS
from passnum.core.forms import FrenchForm, IsoDateField, WholeNumberField, required_data
from passnum.errors import InvalidInput
from passnum.venues.labels import PASSWORD_MIN
from passnum.venues.labels import REASON_MAX as LABEL_REASON_MAX
from passnum.venues.models import Workshop
from passnum.venues.profile_checks import TEXTS, URL_MAX
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
from passnum.venues.validation import check_iban, check_phone, check_postal_code, check_siret
from passnum.venues.vocabulary import MEDIATION_SERVICES, PROFILE_LISTS

SUMMARY_MAX = TEXTS["summary"][1]

REQUIRED = "Ce champ est obligatoire."


def CodesField(label: str, words: dict[str, str]) -> SelectMultipleField:  # noqa: N802
    """A group of checkboxes, one per code of a vocabulary (the template draws them in a
    fieldset); unknown codes are left to the service, which names them in French."""
    return SelectMultipleField(label, choices=[SelectChoice(code, word) for code, word
                                               in words.items()], validate_choice=False)


def _number(label: str, low: int, high: int) -> WholeNumberField:
    """A whole number field with the service's bounds as input hints."""
    return WholeNumberField(label, validators=[InputRequired(message=REQUIRED)],
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
    start_date = IsoDateField("Date", validators=[InputRequired(message=REQUIRED)])
    start_time = TimeField("Heure de début", validators=[InputRequired(message=REQUIRED)])
    duration_minutes = _number("Durée (en minutes)", DURATION_MIN, DURATION_MAX)
    capacity = _number("Nombre de places", CAPACITY_MIN, CAPACITY_MAX)
    price_vouchers = _number("Prix (en chèques par personne)", PRICE_MIN, PRICE_MAX)

    def starts_at(self) -> datetime:
        """The start as a UTC-aware datetime (date and time typed in Paris time)."""
        local = datetime.combine(required_data(self.start_date.data),
                                 required_data(self.start_time.data), tzinfo=PARIS)
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


# --- venue qualification --------------------------------------------------------------


def _checked_by(check: Callable[[str], str]) -> Callable[[Form, Field], None]:
    """A WTForms validator running a ``validation.check_*`` function on the field."""

    def validator(_form: Form, field: Field) -> None:
        try:
            check(field.data)
        except InvalidInput as err:
            raise ValidationError(err.message) from err

    return validator


def _text(label: str, limit: int, *, required: bool = True, area: bool = False) -> Field:
    """A text field with its length limit (and a French "required" message)."""
    first = DataRequired(message=REQUIRED) if required else Optional()
    kind = TextAreaField if area else StringField
    return kind(label, validators=[first, Length(max=limit)], render_kw={"maxlength": limit})


def _postal_code_field() -> StringField:
    """A required French postal code, checked as the services check it."""
    return StringField("Code postal", validators=[
        DataRequired(message=REQUIRED), _checked_by(check_postal_code)],
        render_kw={"inputmode": "numeric", "autocomplete": "postal-code", "maxlength": 10})


def _siret_field() -> StringField:
    """A required SIRET, checked as the services check it."""
    return StringField("Numéro SIRET (14 chiffres)", validators=[
        DataRequired(message=REQUIRED), _checked_by(check_siret)],
        render_kw={"inputmode": "numeric", "maxlength": 20})


def _iban_field() -> StringField:
    """A required IBAN, checked as the services check it."""
    return StringField("IBAN du compte à créditer", validators=[
        DataRequired(message=REQUIRED), _checked_by(check_iban)],
        render_kw={"maxlength": 50, "autocomplete": "off"})


def _coordinate(label: str) -> StringField:
    """An optional coordinate in decimal degrees (comma or point)."""
    return StringField(label, validators=[Optional()],
                       render_kw={"inputmode": "decimal", "maxlength": 20,
                                  "autocomplete": "off"})


class ApplicationForm(FrenchForm):
    """A venue's application for the label (public); the service re-checks everything."""

    name = _text("Nom du lieu", 160)
    address = _text("Adresse", 300)
    postal_code = _postal_code_field()
    commune_insee = SelectField("Commune", validators=[Optional()], validate_choice=False)
    departement_id = SelectField("Département", coerce=int,
                                 validators=[InputRequired(message=REQUIRED)])
    siret = _siret_field()
    legal_representative = _text("Représentant légal (nom et qualité)", 120)
    iban = _iban_field()
    mediation_services = CodesField("Services proposés", MEDIATION_SERVICES)
    summary = _text("Présentation courte du lieu (facultatif)", SUMMARY_MAX, required=False,
                    area=True)
    phone = StringField("Téléphone du lieu (facultatif)",
                        validators=[Optional(), _checked_by(check_phone)],
                        render_kw={"type": "tel", "autocomplete": "tel", "maxlength": 20})
    applicant_name = _text("Vos nom et prénom", 120)
    email = EmailField("Votre adresse e-mail (identifiant de connexion)", validators=[
        DataRequired(message=REQUIRED), Length(max=254)],
        render_kw={"autocomplete": "email"})
    password = PasswordField(f"Mot de passe (au moins {PASSWORD_MIN} caractères)", validators=[
        DataRequired(message=REQUIRED), Length(min=PASSWORD_MIN, max=200)],
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN})
    charter = BooleanField("J'ai lu la charte des lieux labellisés et je l'accepte au nom "
                           "du lieu.", validators=[DataRequired(
                               message="Vous devez accepter la charte des lieux labellisés.")])

    def as_values(self) -> dict[str, Any]:
        """The values as ``apply_for_label`` takes them."""
        names = ("name", "address", "postal_code", "commune_insee", "departement_id", "siret",
                 "legal_representative", "iban", "mediation_services", "summary", "phone",
                 "applicant_name", "email", "password")
        values = {name: self[name].data for name in names}
        return {**values, "phone": values["phone"] or "", "summary": values["summary"] or "",
                "mediation_services": values["mediation_services"] or [],
                "charter_accepted": bool(
            self.charter.data)}


class LocationForm(FrenchForm):
    """Where a venue is: postal code, commune among the code's, optional coordinates."""

    postal_code = _postal_code_field()
    commune_insee = SelectField("Commune", validators=[Optional()], validate_choice=False)
    latitude = _coordinate("Latitude (facultatif, en degrés décimaux)")
    longitude = _coordinate("Longitude (facultatif, en degrés décimaux)")

    def as_values(self) -> dict[str, Any]:
        """The values as ``set_venue_location`` takes them."""
        return {"postal_code": self.postal_code.data or "",
                "commune_insee": self.commune_insee.data or "",
                "latitude": self.latitude.data or "", "longitude": self.longitude.data or ""}


COMMUNE_STATUS_ID = "commune-status"


def offer_communes(form: ApplicationForm | LocationForm | ProfileForm) -> None:
    """Give the form's commune field the communes of the postal code it holds (the
    choice without JavaScript; the only one chosen), and the data attributes
    ``static/js/communes.js`` reads to update them as the postal code is typed."""
    choices = commune_choices(form.postal_code.data or "")
    form.commune_insee.choices = [("", "Choisissez la commune"), *choices]
    if not form.commune_insee.data and len(choices) == 1:
        form.commune_insee.data = choices[0][0]  # as the service would choose
    form.commune_insee.render_kw = {
        "data-commune-for": form.postal_code.id, "data-commune-url": url_for("communes.lookup"),
        "data-commune-status": COMMUNE_STATUS_ID, "autocomplete": "off"}


class LabelDecisionForm(FrenchForm):
    """A manager's decision on a label, with the reason shown to the venue."""

    reason = TextAreaField("Motif (affiché au lieu)", validators=[
        DataRequired(message="Indiquez le motif de la décision : il sera affiché au lieu."),
        Length(max=LABEL_REASON_MAX)], render_kw={"maxlength": LABEL_REASON_MAX, "rows": 3})


class AddAgentForm(FrenchForm):
    """The lead agent adds an agent account to the venue."""

    full_name = _text("Nom et prénom de l'agent", 120)
    email = EmailField("Adresse e-mail", validators=[DataRequired(message=REQUIRED),
                                                     Length(max=254)])
    password = PasswordField(f"Mot de passe initial (au moins {PASSWORD_MIN} caractères)",
                             validators=[DataRequired(message=REQUIRED),
                                         Length(min=PASSWORD_MIN, max=200)],
                             render_kw={"autocomplete": "new-password",
                                        "minlength": PASSWORD_MIN})


class AgentToggleForm(FrenchForm):
    """Deactivate or reactivate an agent account (a button: CSRF only)."""


class BookingForm(FrenchForm):
    """Choose the person's first workshop among those offered (radio buttons)."""

    workshop = RadioField("Atelier", coerce=int,
                          validators=[DataRequired(message="Choisissez un atelier.")])


# --- the public profile -----------------------------------------------------------------


def _optional(label: str, limit: int, **render: Any) -> StringField:
    """An optional one-line text; its rules are the profile's (``profile_checks``)."""
    return StringField(label, validators=[Optional()],
                       render_kw={"maxlength": limit, **render})


class ProfileForm(FrenchForm):
    """A venue's public profile (the service checks every value: ``profile.check_profile``;
    the form only carries them)."""

    address = StringField("Adresse (numéro et rue)", validators=[Optional()],
                          render_kw={"maxlength": TEXTS["address"][1],
                                     "autocomplete": "street-address"})
    address_complement = _optional("Complément d'adresse (facultatif)",
                                   TEXTS["address_complement"][1])
    postal_code = StringField("Code postal", validators=[Optional()], render_kw={
        "inputmode": "numeric", "autocomplete": "postal-code", "maxlength": 10})
    commune_insee = SelectField("Commune", validators=[Optional()], validate_choice=False)
    latitude = _coordinate("Latitude (facultatif, en degrés décimaux)")
    longitude = _coordinate("Longitude (facultatif, en degrés décimaux)")
    phone = _optional("Téléphone (facultatif)", 20, type="tel", autocomplete="tel")
    email = _optional("Adresse e-mail de contact (facultatif)", 254, type="email",
                      autocomplete="email")
    website = _optional("Site internet (facultatif)", URL_MAX, type="url")
    booking_url = _optional("Prise de rendez-vous en ligne (facultatif)", URL_MAX, type="url")
    acceslibre_url = _optional("Fiche Acceslibre (facultatif)", URL_MAX, type="url")
    summary = TextAreaField("Présentation courte (facultatif)", validators=[Optional()],
                            render_kw={"maxlength": SUMMARY_MAX, "rows": 3})
    description = TextAreaField("Présentation détaillée (facultatif)",
                                validators=[Optional()],
                                render_kw={"maxlength": TEXTS["description"][1], "rows": 6})
    opening_hours = _optional("Horaires d'ouverture (facultatif)", 500, autocomplete="off",
                              spellcheck="false")
    typologies = CodesField("Typologie du lieu", PROFILE_LISTS["typologies"][1])
    mediation_services = CodesField("Services proposés", PROFILE_LISTS["mediation_services"][1])
    specific_publics = CodesField("Publics spécifiquement accueillis",
                                  PROFILE_LISTS["specific_publics"][1])
    specific_support = CodesField("Prise en charge spécifique",
                                  PROFILE_LISTS["specific_support"][1])
    access_modes = CodesField("Modalités d'accès", PROFILE_LISTS["access_modes"][1])
    support_modes = CodesField("Modalités d'accompagnement",
                               PROFILE_LISTS["support_modes"][1])
    national_programmes = CodesField("Dispositifs nationaux",
                                     PROFILE_LISTS["national_programmes"][1])
    labels = CodesField("Formations et labels", PROFILE_LISTS["labels"][1])
    other_labels = _optional("Autres formations et labels (facultatif)",
                             TEXTS["other_labels"][1])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The coordinates carry ``data-map-pick`` for a map picker, if one is loaded."""
        super().__init__(*args, **kwargs)
        for name in ("latitude", "longitude"):
            self[name].render_kw = {**(self[name].render_kw or {}), "data-map-pick": name}

    def values(self) -> dict[str, Any]:
        """The typed values, by ``ProfileInput`` field name (lists as ticked)."""
        names = ("address", "address_complement", "postal_code", "commune_insee",
                 "latitude", "longitude", "phone", "email", "website", "booking_url",
                 "acceslibre_url", "summary", "description", "opening_hours",
                 "other_labels")
        values: dict[str, Any] = {name: self[name].data or "" for name in names}
        for name in PROFILE_LISTS:
            values[name] = list(self[name].data or [])
        return values


class RefuseProfileForm(FrenchForm):
    """A manager refuses a proposed profile, with the reason shown to the venue."""

    reason = TextAreaField("Motif du refus (affiché au lieu)", validators=[
        DataRequired(message="Indiquez le motif du refus : il sera affiché au lieu."),
        Length(max=LABEL_REASON_MAX)], render_kw={"maxlength": LABEL_REASON_MAX, "rows": 3})


class VenueImportForm(FrenchForm):
    """A file of venues to check (the dry run); administrators choose its département,
    a manager's is their own."""

    file = FileField("Fichier des lieux (CSV ou JSON)", validators=[
        FileRequired(message="Choisissez le fichier des lieux à vérifier.")],
        render_kw={"accept": ".csv,.json,text/csv,application/json"})
    departement_id = SelectField("Département des lieux", coerce=int, validate_choice=False,
                                 validators=[Optional()])


class VenueImportRunForm(FrenchForm):
    """Import the file that the dry run kept (its token, from the page only)."""

    token = HiddenField(validators=[DataRequired()])


class CompleteApplicationForm(FrenchForm):
    """A manager completes a pending application (an imported venue's): what the venue
    sent them, and its signature of the charter."""

    siret = _siret_field()
    legal_representative = _text("Représentant légal (nom et qualité)", 120)
    iban = _iban_field()
    charter = BooleanField("Le lieu a signé la charte des lieux labellisés.")
