"""Why a voucher cannot be taken: one stable code and one French sentence per reason."""

from __future__ import annotations

from passnum.booklets.models import REVOKE_REASON_LABELS, RevokeReason, Voucher
from passnum.core.formatting import date_fr, datetime_fr
from passnum.errors import AuditNote, InvalidInput, NotFound

INVALID_CODE_MESSAGE = (
    "Code non reconnu : ce chèque est falsifié, mal recopié ou incomplet. "
    "Vérifiez le code saisi."
)


def invalid_code(actor_id: int | None, channel: str, ip: str | None) -> InvalidInput:
    """The refusal for a forged, altered, truncated or mistyped code (audited)."""
    return InvalidInput(
        INVALID_CODE_MESSAGE,
        code="invalid_code",
        audit=AuditNote("voucher.check_refused", None, None,
                        {"reason": "invalid_code", "channel": channel}, actor_id, ip),
    )


def unknown_code(actor_id: int | None, channel: str, ip: str | None) -> NotFound:
    """The refusal for a well-formed manual code that designates no voucher (audited)."""
    return NotFound(
        "Aucun chèque ne correspond à ce code. Vérifiez le code saisi.",
        code="unknown_code",
        audit=AuditNote("voucher.check_refused", None, None,
                        {"reason": "unknown_code", "channel": channel}, actor_id, ip),
    )


def refusal_message(reason: str, voucher: Voucher, *, venue_name: str | None = None) -> str:
    """French sentence for a refusal ``reason`` about ``voucher``."""
    booklet = voucher.booklet
    if reason == "already_redeemed":
        when = datetime_fr(voucher.redeemed_at).replace(" ", " à ")
        where = f" par « {venue_name} »" if venue_name else ""
        return f"Chèque déjà encaissé le {when}{where}."
    if reason == "voucher_revoked":
        label = REVOKE_REASON_LABELS[RevokeReason(booklet.revoke_reason or "cancelled")]
        return (f"Chèque annulé : son chéquier a été déclaré « {label.lower()} » "
                f"le {date_fr(booklet.revoked_at.date() if booklet.revoked_at else None)}.")
    if reason == "voucher_expired":
        return f"Chèque expiré : il était valable jusqu'au {date_fr(booklet.expires_on)}."
    if reason == "not_yet_valid":
        return f"Chèque pas encore valable : il le sera à partir du {date_fr(booklet.valid_from)}."
    if reason == "not_activated":
        return "Ce chéquier n'a pas encore été remis à son bénéficiaire : chèque inutilisable."
    if reason == "programme_closed":
        return "Le programme de ce chèque est clos : il ne peut plus être encaissé."
    return "Chèque refusé."
