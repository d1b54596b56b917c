"""JSON API: the indicators (``GET /api/v1/indicators``), the *Indicateurs* page's
numbers: people reached by category, priority publics, the funnel."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from flask_login import current_user
from pydantic import Field

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import api_endpoint
from passnum.api.schema import Count, Id, ResponseModel
from passnum.dashboard.api import StatsPeriod, StatsProgramme, StatsQuery, programme_for
from passnum.dashboard.indicators import FUNNEL_STAGES, Indicators, programme_indicators
from passnum.dashboard.queries import departement_scope

Share = Annotated[float, Field(ge=0, le=1, description="Part des personnes atteintes (0 à 1).")]


def stage(key: str) -> Any:
    """A funnel stage: its French label and definition."""
    label, definition = FUNNEL_STAGES[key]
    return Field(description=f"{label} : {definition}")


class IndicatorCount(ResponseModel):
    code: str = Field(description="Code de la valeur (vide : non communiqué).")
    label: str
    people: Count
    share: Share


class IndicatorCategory(ResponseModel):
    key: str = Field(description="age_band, gender, social_status, priority_area, "
                                 "priority_public, departement ou commune.")
    title: str
    counts: list[IndicatorCount]


class Priority(ResponseModel):
    people: Count = Field(description="Personnes d'au moins un public prioritaire.")
    share: Share
    target_percent: int | None = Field(description="Objectif de la convention (%).")


class FunnelRow(ResponseModel):
    id: Id | None = Field(description="Structure ou lieu ; null pour le total.")
    name: str
    departement: str
    issued: Count | None = stage("issued")
    handed_out: Count | None = stage("handed_out")
    first_used: Count = stage("first_used")
    fully_used: Count = stage("fully_used")
    expired: Count = stage("expired")
    median_days_to_first_use: float | None = stage("median_days_to_first_use")


class IndicatorsAnswer(ResponseModel):
    """``GET /api/v1/indicators``."""

    departement: str | None = Field(description="Code du département, null pour tous.")
    programme: StatsProgramme
    period: StatsPeriod
    day: date = Field(description="Jour de référence (chéquiers expirés).")
    reached: Count = Field(description="Personnes distinctes qui ont reçu un chéquier "
                                       "émis dans la période.")
    categories: list[IndicatorCategory]
    priority: Priority
    funnel: FunnelRow = Field(description="Parcours de tous les chéquiers du périmètre.")
    structures: list[FunnelRow] = Field(description="Par structure émettrice.")
    venues: list[FunnelRow] = Field(description="Par lieu du premier chèque utilisé.")


def indicators_answer(found: Indicators) -> IndicatorsAnswer:
    """The answer for ``programme_indicators``' result."""

    def row(r: object) -> dict[str, Any]:
        return dict(vars(r))

    return IndicatorsAnswer.model_validate({
        "departement": found.departement,
        "programme": vars(found.programme), "period": vars(found.period), "day": found.day,
        "reached": found.reached,
        "categories": [{"key": c.key, "title": c.title,
                        "counts": [vars(count) for count in c.counts]}
                       for c in found.categories],
        "priority": {"people": found.priority_people, "share": found.priority_share,
                     "target_percent": found.priority_target_percent},
        "funnel": row(found.funnel), "structures": [row(r) for r in found.structures],
        "venues": [row(r) for r in found.venues]})


@bp.get("/indicators")
@api_endpoint
@contract(Operation(
    "getIndicators", "Indicateurs : personnes atteintes et parcours des chéquiers",
    "dashboard", query=StatsQuery,
    description="Personnes atteintes par tranche d'âge, genre, statut social, commune, "
                "département, QPV/FRR et public prioritaire ; part des publics prioritaires "
                "face à l'objectif ; parcours des chéquiers par structure et par lieu. "
                "Gestionnaires : leur département ; administrateurs : un département ou "
                "tous. Période par défaut : celle du programme.",
    ok={200: Reply("Les indicateurs.", IndicatorsAnswer)},
    errors=(400, 401, 403, 404, 422)))
def indicators_endpoint(query: StatsQuery) -> IndicatorsAnswer:
    """The indicators of a programme for a département or all (route policy: managers
    and administrators; scope: ``departement_scope``)."""
    departement = departement_scope(current_user, query.departement)
    programme = programme_for(query.programme)
    found = programme_indicators(
        programme.id, departement_id=departement.id if departement else None,
        start=query.start or programme.starts_on, end=query.end or programme.ends_on)
    return indicators_answer(found)
