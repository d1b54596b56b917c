"""JSON API: the dashboard's numbers (``GET /api/v1/stats``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask_login import current_user
from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import api_endpoint
from passnum.api.schema import ABSENT, ID_MAX, ID_SCHEMA, Count, Id, QueryModel, ResponseModel
from passnum.core.clock import DATE_MAX, DATE_MIN, InvalidDate, parse_iso_date
from passnum.dashboard.figures import BY_KEY
from passnum.dashboard.presentation import stats_json
from passnum.dashboard.queries import departement_scope, programme_stats
from passnum.dashboard.stats import DashboardStats
from passnum.errors import InvalidInput, NotFound
from passnum.extensions import db
from passnum.programmes.models import Departement, Programme
from passnum.programmes.queries import open_programme


def _day(name: str) -> BeforeValidator:
    """Read a ``YYYY-MM-DD`` parameter (empty: none); raise ``InvalidInput`` when malformed."""

    def parse(raw: Any) -> date | None:
        if raw is None or raw == "":
            return None
        try:
            return parse_iso_date(raw)
        except InvalidDate as err:
            raise InvalidInput(f"« {name} » : {err}", field=name) from None

    return BeforeValidator(parse)


def _programme_id(raw: Any) -> int | None:
    """A programme id (empty: the one open today); raise ``InvalidInput`` otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= ID_MAX:
        raise InvalidInput("Identifiant de programme invalide.", field="programme")
    return int(raw)


DATE_SCHEMA = {"type": "string", "format": "date"}
PERIOD_DAY = ("(AAAA-MM-JJ, heure de Paris), " f"du {DATE_MIN} au {DATE_MAX}.")


class StatsQuery(QueryModel):
    """The département, programme and period of the figures."""

    departement: str = Field(ABSENT, description="Code du département (78, 92…).")
    programme: Annotated[int | None, BeforeValidator(_programme_id),
                         WithJsonSchema(ID_SCHEMA)] = Field(
        None, description="Identifiant du programme.")
    start: Annotated[date | None, _day("start"), WithJsonSchema(DATE_SCHEMA)] = Field(
        None, description=f"Premier jour de la période {PERIOD_DAY}")
    end: Annotated[date | None, _day("end"), WithJsonSchema(DATE_SCHEMA)] = Field(
        None, description=f"Dernier jour de la période {PERIOD_DAY}")

    @model_validator(mode="after")
    def _ordered(self) -> StatsQuery:
        """The period starts before it ends."""
        if self.start and self.end and self.start > self.end:
            raise InvalidInput("La date de début doit précéder la date de fin.", field="start")
        return self


def figure(key: str) -> Any:
    """A count that is a dashboard figure: its French label and definition."""
    found = BY_KEY.get(key)
    return Field(description=f"{found.label} : {found.definition}" if found else None)


Number = Annotated[float, Field(ge=0)]
Code = Annotated[str, Field(description="Code du département.")]


class StatsProgramme(ResponseModel):
    id: Id
    name: str
    starts_on: date
    ends_on: date


class StatsPeriod(ResponseModel):
    start: date | None
    end: date | None


class BeneficiaryFigures(ResponseModel):
    reached: Count = figure("beneficiaries.reached")
    target: Count = figure("beneficiaries.target")


class BookletFigures(ResponseModel):
    issued: Count = figure("booklets.issued")
    handed_out: Count = figure("booklets.handed_out")
    in_stock: Count = figure("booklets.in_stock")
    revoked: Count = figure("booklets.revoked")
    allocated: Count = figure("booklets.allocated")
    quota: Count = figure("booklets.quota")


class VoucherFigures(ResponseModel):
    total: Count = figure("vouchers.total")
    redeemed: Count = figure("vouchers.redeemed")
    in_circulation: Count = figure("vouchers.in_circulation")
    in_stock: Count = figure("vouchers.in_stock")
    expired: Count = figure("vouchers.expired")
    revoked: Count = figure("vouchers.revoked")


class EuroFigures(ResponseModel):
    redeemed_cents: Count = figure("euros.redeemed_cents")
    vouchers_paid: Count = figure("euros.vouchers_paid")
    budget_cents: Count = figure("euros.budget_cents")


class MonthFigures(ResponseModel):
    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$")
    booklets_issued: Count
    redeemed_cents: Count


class StructureFigures(ResponseModel):
    id: Id
    name: str
    departement: Code
    booklets_allocated: Count
    booklets_issued: Count
    booklets_revoked: Count
    beneficiaries: Count
    vouchers_redeemed: Count
    redeemed_cents: Count


class VenueFigures(ResponseModel):
    id: Id
    name: str
    departement: Code
    redemptions: Count
    vouchers: Count
    redeemed_cents: Count


class ThemeFigures(ResponseModel):
    id: Id | None
    name: str = Field(description="« Sans atelier » hors atelier.")
    redemptions: Count
    vouchers: Count
    redeemed_cents: Count


class Forecast(ResponseModel):
    booklets_in_window: Count = figure("forecast.booklets_in_window")
    cents_in_window: Count = figure("forecast.cents_in_window")
    booklets_current: Count = figure("forecast.booklets_current")
    cents_current: Count = figure("forecast.cents_current")
    cents_per_month: Count = figure("forecast.cents_per_month")
    booklets_projected: Count = figure("forecast.booklets_projected")
    cents_projected: Count = figure("forecast.cents_projected")
    window_start: date
    window_end: date
    ends_on: date
    months_observed: Number
    months_remaining: Number
    booklets_per_month: Number
    method: str = Field(description="Méthode de la projection, en français.")


class Stats(ResponseModel):
    """``GET /api/v1/stats``: the dashboard's figures (counts and cents are integers)."""

    departement: str | None = Field(description="Code du département, null pour tous.")
    programme: StatsProgramme
    period: StatsPeriod
    day: date = Field(description="Jour de référence (expiration, projection).")
    beneficiaries: BeneficiaryFigures
    booklets: BookletFigures
    vouchers: VoucherFigures
    euros: EuroFigures
    monthly: list[MonthFigures]
    structures: list[StructureFigures]
    venues: list[VenueFigures]
    themes: list[ThemeFigures]
    forecast: Forecast


def stats_answer(departement: Departement | None, stats: DashboardStats) -> Stats:
    """The answer for ``programme_stats``' figures of ``departement`` (None: all)."""
    return Stats.model_validate({"departement": departement and departement.code,
                                 **stats_json(stats)})


def programme_for(programme_id: int | None) -> Programme:
    """The programme asked for, or the one open today."""
    if programme_id is None:
        return open_programme()
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("Programme introuvable.", code="not_found")
    return programme


@bp.get("/stats")
@api_endpoint
@contract(Operation(
    "getStats", "Chiffres du tableau de bord", "dashboard", query=StatsQuery,
    description="Gestionnaires : leur département (par défaut) ; administrateurs : un "
                "département ou tous (par défaut). Programme ouvert aujourd'hui par défaut.",
    ok={200: Reply("Les chiffres.", Stats)}, errors=(400, 401, 403, 404, 422)))
def stats_endpoint(query: StatsQuery) -> Stats:
    """Counts and euros of a programme as on the dashboard, for a département or all
    (the route policy admits managers and administrators; the scope is checked by
    ``departement_scope``)."""
    departement = departement_scope(current_user, query.departement)
    programme = programme_for(query.programme)
    stats = programme_stats(programme.id, departement_id=departement.id if departement else None,
                            start=query.start, end=query.end)
    return stats_answer(departement, stats)
