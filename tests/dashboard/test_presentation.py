"""The dashboard's French text and the JSON form of its statistics (no database)."""

from __future__ import annotations

import json
from datetime import date

from passnum.dashboard.forecast import project
from passnum.dashboard.presentation import (
    fill_months,
    forecast_method,
    month_label,
    month_name,
    months_fr,
    period_text,
    stats_json,
)
from passnum.dashboard.stats import (
    BeneficiaryFigures,
    BookletFigures,
    DashboardStats,
    EuroFigures,
    MonthFigures,
    Period,
    ProgrammeInfo,
    StructureFigures,
    ThemeFigures,
    VenueFigures,
    VoucherFigures,
)

MONTHS = (MonthFigures("2024-11", 3, 40_00), MonthFigures("2025-02", 5, 120_50))


def _stats() -> DashboardStats:
    programme = ProgrammeInfo(4, "Pass 2025", date(2024, 1, 1), date(2026, 5, 17))
    return DashboardStats(
        programme=programme, period=Period(date(2024, 11, 1), None), day=date(2025, 5, 17),
        beneficiaries=BeneficiaryFigures(7, 100), booklets=BookletFigures(8, 5, 3, 1, 20, 30),
        vouchers=VoucherFigures(90, 12, 40, 30, 5, 3), euros=EuroFigures(160_50, 12, 10_000_00),
        monthly=MONTHS,
        structures=(StructureFigures(2, "CCAS", "78", 20, 8, 1, 7, 12, 160_50),),
        venues=(VenueFigures(3, "Médiathèque", "78", 4, 12, 160_50),),
        themes=(ThemeFigures(None, "Sans atelier", 4, 12, 160_50),),
        forecast=project(MONTHS, starts_on=programme.starts_on, ends_on=programme.ends_on,
                         day=date(2025, 5, 17)),
    )


def test_method_sentence():
    fc = project((MonthFigures("2025-02", 10, 200_00), MonthFigures("2025-04", 31, 451_00)),
                 starts_on=date(2024, 1, 1), ends_on=date(2025, 11, 2), day=date(2025, 5, 17))
    assert forecast_method(fc) == (
        "Projection au rythme moyen observé du 01/02/2025 au 30/04/2025 (3 mois)\u00a0: "
        "13,7 chéquiers et 217,00\u00a0€ encaissés par mois, prolongé sur les 5,6 mois "
        "restant jusqu'à la fin du programme le 02/11/2025 et ajouté aux chiffres actuels.")
    assert months_fr(2.4) == "2,4 mois"


def test_period_text_for_open_and_closed_periods():
    assert period_text(Period(None, None)) == ""
    assert period_text(Period(date(2025, 1, 1), date(2025, 6, 30))) == (
        ", période du 01/01/2025 au 30/06/2025")
    assert period_text(Period(date(2025, 1, 1), None)) == ", période à partir du 01/01/2025"
    assert period_text(Period(None, date(2025, 6, 30))) == ", période jusqu'au 30/06/2025"


def test_fill_months_adds_the_empty_months_between():
    assert [m.month for m in fill_months(MONTHS)] == ["2024-11", "2024-12", "2025-01",
                                                      "2025-02"]
    assert fill_months(MONTHS)[1] == MonthFigures("2024-12", 0, 0)
    assert fill_months(()) == []


def test_json_form_keeps_the_api_s_names_order_and_iso_dates():
    stats = _stats()
    body = stats_json(stats)
    assert list(body) == ["programme", "period", "day", "beneficiaries", "booklets",
                          "vouchers", "euros", "monthly", "structures", "venues", "themes",
                          "forecast"]
    assert body["programme"] == {"id": 4, "name": "Pass 2025", "starts_on": "2024-01-01",
                                 "ends_on": "2026-05-17"}
    assert body["period"] == {"start": "2024-11-01", "end": None}
    assert body["day"] == "2025-05-17"
    assert body["vouchers"] == {"total": 90, "redeemed": 12, "in_circulation": 40,
                                "in_stock": 30, "expired": 5, "revoked": 3}
    assert body["euros"] == {"redeemed_cents": 160_50, "vouchers_paid": 12,
                             "budget_cents": 10_000_00}
    assert body["monthly"] == [{"month": "2024-11", "booklets_issued": 3,
                                "redeemed_cents": 40_00},
                               {"month": "2025-02", "booklets_issued": 5,
                                "redeemed_cents": 120_50}]
    assert body["themes"] == [{"id": None, "name": "Sans atelier", "redemptions": 4,
                               "vouchers": 12, "redeemed_cents": 160_50}]
    forecast = body["forecast"]
    assert list(forecast)[-2:] == ["ends_on", "method"]
    assert forecast["window_start"] == "2025-02-01" and forecast["ends_on"] == "2026-05-17"
    assert forecast["method"] == forecast_method(stats.forecast)
    assert isinstance(forecast["months_observed"], float)
    json.dumps(body)  # plain JSON values only


def test_month_names():
    assert month_name("2025-01") == "janvier 2025" and month_name("2024-12") == "décembre 2024"
    assert month_label("2025-02") == "févr. 25" and month_label("2025-08") == "août 25"
