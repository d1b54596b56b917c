"""The consent texts a beneficiary agrees to, versioned in one place.

A beneficiary stores the version of the text shown when they agreed
(``consent_text_version``); a text, once used, is never edited: a new wording gets a new
version and becomes ``CURRENT_CONSENT_VERSION``, and the old one stays here so that a
subject-access export can still show what each person agreed to.
"""

from __future__ import annotations

CONSENT_TEXTS: dict[str, str] = {
    "2024-01": (
        "La personne accepte que ses nom, prénom, date de naissance et code postal soient "
        "enregistrés pour la gestion de son Pass numérique, puis supprimés à la fin du "
        "programme. Elle peut demander à consulter ou rectifier ces données."
    ),
    # names every fact stored about the person, the optional ones included
    "2026-12": (
        "La personne accepte que ses nom, prénom, date de naissance et code postal, et, si "
        "elle les donne, son numéro de téléphone, son adresse e-mail et le besoin qu’elle "
        "exprime, soient enregistrés pour la gestion de son Pass numérique, ainsi que, le "
        "cas échéant, le motif noté par l’équipe pour lui remettre un chéquier malgré un "
        "doublon probable ou hors des critères d’éligibilité du programme. Ces données "
        "sont supprimées à la fin du programme. Elle peut demander à consulter ou "
        "rectifier ces données."
    ),
    # adds the categories the funder reports people by (docs/reach.md)
    "2026-12-07": (
        "La personne accepte que ses nom, prénom, date de naissance, code postal et "
        "commune, et, si elle les donne, son numéro de téléphone, son adresse e-mail, le "
        "besoin qu’elle exprime, son genre, son statut social (scolarisé, sans emploi, en "
        "emploi, retraité), si elle réside dans un quartier prioritaire ou une commune "
        "France Ruralités Revitalisation et les publics prioritaires du programme dont "
        "elle relève, soient enregistrés pour la gestion de son Pass numérique et pour "
        "des statistiques anonymes, ainsi que, le cas échéant, le motif noté par l’équipe "
        "pour lui remettre un chéquier malgré un doublon probable ou hors des critères "
        "d’éligibilité du programme. Ces données sont supprimées à la fin du programme ; "
        "seuls des totaux anonymes sont conservés. Elle peut demander à consulter ou "
        "rectifier ces données."
    ),
}
CURRENT_CONSENT_VERSION = "2026-12-07"


def consent_text(version: str) -> str | None:
    """The text of consent ``version``, or ``None`` for a version this code never had."""
    return CONSENT_TEXTS.get(version)


def current_consent_text() -> str:
    """The text a person agrees to today."""
    return CONSENT_TEXTS[CURRENT_CONSENT_VERSION]
