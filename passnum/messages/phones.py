"""Phone numbers for SMS: French mobile numbers in E.164."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

REGION = "FR"
MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def to_e164(raw: str | None) -> str | None:
    """``raw`` ("06 12 34 56 78", "+33 6 12…", "0033612…") as "+33612345678"; None when
    it is not a valid mobile number (a landline cannot receive an SMS)."""
    if not raw or len(raw) > 40:
        return None
    try:
        number = phonenumbers.parse(raw, REGION)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
