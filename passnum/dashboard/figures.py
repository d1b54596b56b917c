"""Every figure of the dashboard, defined once: key, French label, French definition,
and the SQL condition that decides which booklets (and so which vouchers) it counts.

The dashboard page, ``GET /api/v1/stats``, the CSV/XLSX exports, the funder's PDF and the
programme's closing report all take their labels, definitions and voucher states from
here; ``queries.programme_stats`` (into ``stats.DashboardStats``) and
``booklets.expiry.closing_report`` compute them with the conditions below.

Voucher states partition the vouchers of the booklets in scope on a day: redeemed, in
circulation, in stock, expired, revoked. An unused voucher takes its booklet's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_

from passnum.booklets.models import Booklet, BookletStatus
from passnum.dashboard.stats import DashboardStats


@dataclass(frozen=True)
class Figure:
    """One figure: where it sits in ``DashboardStats``, how it is named and what it
    means (both in French), and whether it is an amount in cents."""

    key: str  # "group.name": attributes of DashboardStats, keys of its JSON form
    label: str
    definition: str
    is_money: bool = False

    @property
    def dom_key(self) -> str:
        """The figure's key in the page's ``data-figure`` attributes."""
        return self.key.replace(".", "_")

    def value(self, stats: DashboardStats | Mapping[str, Any]) -> int:
        """The figure in ``stats``, or in their JSON form (``presentation.stats_json``,
        the body of ``GET /api/v1/stats``)."""
        group, name = self.key.split(".")
        if isinstance(stats, Mapping):
            return int(stats[group][name])
        return int(getattr(getattr(stats, group), name))


# --- The booklet conditions behind voucher states ---------------------------------------

def booklet_live() -> ColumnElement[bool]:
    """A booklet not revoked (handed out or in stock)."""
    return Booklet.status != BookletStatus.REVOKED


def booklet_in_circulation(day: date) -> ColumnElement[bool]:
    """Handed out (or issued to a named beneficiary), not revoked, not expired on ``day``."""
    return and_(Booklet.status == BookletStatus.HANDED_OUT, Booklet.expires_on >= day)


def booklet_in_stock(day: date) -> ColumnElement[bool]:
    """Printed for a structure's stock, given to nobody yet, not expired on ``day``."""
    return and_(Booklet.status == BookletStatus.IN_STOCK, Booklet.expires_on >= day)


def booklet_expired(day: date) -> ColumnElement[bool]:
    """Not revoked and past its ``expires_on`` on ``day`` (in stock or handed out)."""
    return and_(booklet_live(), Booklet.expires_on < day)


def booklet_revoked() -> ColumnElement[bool]:
    """Revoked (lost, stolen or cancelled): its unused vouchers are revoked."""
    return Booklet.status == BookletStatus.REVOKED


VOUCHER_STATES: dict[str, Any] = {
    "in_circulation": booklet_in_circulation,
    "in_stock": booklet_in_stock,
    "expired": booklet_expired,
}
"""Unused vouchers' states decided by their booklet on a day (revoked apart)."""


FIGURES: tuple[Figure, ...] = (
    Figure("beneficiaries.reached", "Bénéficiaires atteints",
           "Personnes distinctes qui ont reçu un chéquier du programme (révoqué ou non), "
           "émis dans la période."),
    Figure("beneficiaries.target", "Objectif de bénéficiaires",
           "Nombre de personnes que le programme vise, pour le département ou en tout."),
    Figure("booklets.issued", "Chéquiers émis",
           "Chéquiers non révoqués émis dans la période : remis à une personne ou imprimés "
           "pour le stock d'une structure."),
    Figure("booklets.handed_out", "Chéquiers remis aux bénéficiaires",
           "Chéquiers émis au nom d'une personne ou remis à une personne depuis le stock, "
           "non révoqués."),
    Figure("booklets.in_stock", "Chéquiers en stock",
           "Chéquiers imprimés pour le stock d'une structure et remis à personne."),
    Figure("booklets.revoked", "Chéquiers révoqués",
           "Chéquiers déclarés perdus, volés ou annulés ; comptés à part des chéquiers émis."),
    Figure("booklets.allocated", "Chéquiers alloués aux structures",
           "Somme des allocations de chéquiers des structures pour le programme."),
    Figure("booklets.quota", "Quota de chéquiers",
           "Nombre de chéquiers que le programme accorde au département ou en tout."),
    Figure("vouchers.redeemed", "Chèques encaissés",
           "Chèques utilisés dans un lieu (encaissements annulés exclus)."),
    Figure("vouchers.in_circulation", "Chèques en circulation",
           "Chèques non utilisés de chéquiers remis à une personne (ou émis à son nom), "
           "ni révoqués ni expirés : ils peuvent encore être encaissés."),
    Figure("vouchers.in_stock", "Chèques en stock",
           "Chèques non utilisés de chéquiers encore dans le stock d'une structure, "
           "non expirés : remis à personne, ils ne sont pas en circulation."),
    Figure("vouchers.expired", "Chèques expirés",
           "Chèques non utilisés d'un chéquier non révoqué dont la date d'échéance est "
           "passée ; leur valeur retourne à la subvention."),
    Figure("vouchers.revoked", "Chèques révoqués",
           "Chèques non utilisés d'un chéquier révoqué ; ceux d'un chéquier remplacé "
           "passent, de même valeur, au chéquier de remplacement."),
    Figure("euros.redeemed_cents", "Montant encaissé",
           "Valeur des chèques encaissés dans la période, payée par le département.",
           is_money=True),
    Figure("euros.budget_cents", "Budget",
           "Enveloppe du programme pour le département ou en tout.", is_money=True),
    Figure("forecast.booklets_projected", "Chéquiers projetés en fin de programme",
           "Chéquiers émis aujourd'hui plus le rythme des trois derniers mois complets "
           "prolongé jusqu'à la fin du programme."),
    Figure("forecast.cents_projected", "Montant projeté en fin de programme",
           "Montant encaissé aujourd'hui plus le rythme des trois derniers mois complets "
           "prolongé jusqu'à la fin du programme.", is_money=True),
)

BY_KEY: dict[str, Figure] = {figure.key: figure for figure in FIGURES}


def figure(key: str) -> Figure:
    """The figure of ``key`` (``group.name``); ``KeyError`` for an unknown one."""
    return BY_KEY[key]
