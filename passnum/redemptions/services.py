"""Check vouchers (and, later, redeem and undo them): one service for web, API and CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from passnum.booklets.models import BookletStatus, Voucher, VoucherStatus
from passnum.booklets.queries import find_voucher, parse_code
from passnum.core.clock import today
from passnum.redemptions.validation import invalid_code, refusal_message, unknown_code


@dataclass(frozen=True)
class VoucherCheck:
    """The public status of a voucher: never any personal data."""

    voucher: Voucher
    reason: str | None
    message: str

    @property
    def is_valid(self) -> bool:
        """True when the voucher can be taken now."""
        return self.reason is None


def refusal_reason(voucher: Voucher, *, on: date) -> str | None:
    """The first reason ``voucher`` cannot be taken on ``on``, or None."""
    booklet = voucher.booklet
    if voucher.status == VoucherStatus.REDEEMED:
        return "already_redeemed"
    if voucher.status == VoucherStatus.REVOKED or booklet.status == BookletStatus.REVOKED:
        return "voucher_revoked"
    if booklet.status == BookletStatus.IN_STOCK:
        return "not_activated"
    if booklet.programme.closed_at is not None:
        return "programme_closed"
    if on < booklet.valid_from:
        return "not_yet_valid"
    if on > booklet.expires_on:
        return "voucher_expired"
    return None


def resolve(code: str, *, actor_id: int | None, channel: str, ip: str | None = None) -> Voucher:
    """Verify a code before any database write and return its voucher.

    Raises ``InvalidInput`` (``invalid_code``) or ``NotFound`` (``unknown_code``), each
    carrying an audit note so the attempt is logged even though nothing else is written.
    """
    try:
        parsed = parse_code(code)
    except ValueError:
        raise invalid_code(actor_id, channel, ip) from None
    voucher = find_voucher(parsed)
    if voucher is None:
        raise unknown_code(actor_id, channel, ip)
    return voucher


def check(code: str, *, actor_id: int | None, channel: str, ip: str | None = None) -> VoucherCheck:
    """Return a voucher's status, writing nothing; forged codes are refused and audited."""
    voucher = resolve(code, actor_id=actor_id, channel=channel, ip=ip)
    reason = refusal_reason(voucher, on=today())
    message = "Chèque valable." if reason is None else refusal_message(reason, voucher)
    return VoucherCheck(voucher, reason, message)
