"""The dashboard's statistics as one typed, immutable object.

``queries.programme_stats`` builds a ``DashboardStats``; the page, ``GET /api/v1/stats``
(through ``presentation.stats_json``), the CSV/XLSX exports and the funder's PDF all read
it. ``figures.FIGURES`` names and defines its headline numbers by ``group.name`` (the
attribute path below). Amounts are integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ProgrammeInfo:
    """The programme the figures are about."""

    id: int
    name: str
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class Period:
    """The period filter (Paris days, inclusive); ``None`` for an open end."""

    start: date | None
    end: date | None


@dataclass(frozen=True)
class BeneficiaryFigures:
    """Beneficiaries reached against the target."""

    reached: int
    target: int


@dataclass(frozen=True)
class BookletFigures:
    """Booklets by state, against the structures' allocations and the quota."""

    issued: int
    handed_out: int
    in_stock: int
    revoked: int
    allocated: int
    quota: int


@dataclass(frozen=True)
class VoucherFigures:
    """The vouchers of the booklets in scope, by state on the day of the figures."""

    total: int
    redeemed: int
    in_circulation: int
    in_stock: int
    expired: int
    revoked: int


@dataclass(frozen=True)
class EuroFigures:
    """Euros redeemed (paid by the département) against the budget."""

    redeemed_cents: int
    vouchers_paid: int
    budget_cents: int


@dataclass(frozen=True)
class MonthFigures:
    """One Paris month (``YYYY-MM``): booklets issued (not revoked), euros redeemed."""

    month: str
    booklets_issued: int
    redeemed_cents: int


@dataclass(frozen=True)
class StructureFigures:
    """One structure's allocation, booklets, beneficiaries and euros."""

    id: int
    name: str
    departement: str
    booklets_allocated: int
    booklets_issued: int
    booklets_revoked: int
    beneficiaries: int
    vouchers_redeemed: int
    redeemed_cents: int


@dataclass(frozen=True)
class VenueFigures:
    """One redeeming venue's redemptions, vouchers and euros."""

    id: int
    name: str
    departement: str
    redemptions: int
    vouchers: int
    redeemed_cents: int


@dataclass(frozen=True)
class ThemeFigures:
    """One workshop theme (``id`` None: redemptions outside workshops)."""

    id: int | None
    name: str
    redemptions: int
    vouchers: int
    redeemed_cents: int


@dataclass(frozen=True)
class Forecast:
    """End-of-programme position at the recent pace (``forecast.project``)."""

    window_start: date
    window_end: date
    months_observed: float
    months_remaining: float
    booklets_in_window: int
    cents_in_window: int
    booklets_current: int
    cents_current: int
    booklets_per_month: float
    cents_per_month: int
    booklets_projected: int
    cents_projected: int
    ends_on: date


@dataclass(frozen=True)
class DashboardStats:
    """Every figure of the dashboard for a programme, a scope and a period.

    ``day`` decided which vouchers are expired and where the forecast starts; the
    forecast ignores the period filter.
    """

    programme: ProgrammeInfo
    period: Period
    day: date
    beneficiaries: BeneficiaryFigures
    booklets: BookletFigures
    vouchers: VoucherFigures
    euros: EuroFigures
    monthly: tuple[MonthFigures, ...]
    structures: tuple[StructureFigures, ...]
    venues: tuple[VenueFigures, ...]
    themes: tuple[ThemeFigures, ...]
    forecast: Forecast
