"""Mobile numbers: E.164, as the anagrafica gives them to SMS.

Parsing (phonenumberslite) happens where numbers are loaded, never on a
request path: a flow carries the number in E.164, already known to be a
mobile, and send-otp only checks its form and the school's prefixes."""

from __future__ import annotations

import re

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


class NotAMobile(ValueError):
    """A number that is not a valid mobile number."""


def normalise_mobile(raw: str) -> str | None:
    """E.164 of a mobile number as schools write it (`333 111 2233`, `0039…`,
    `+39 333…`: Italian unless it says otherwise); None when empty."""
    import phonenumbers  # loaded only where the anagrafica is

    text = raw.strip()
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "IT")
    except phonenumbers.NumberParseException:
        raise NotAMobile("numero di cellulare non valido") from None
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in mobile_types:
        raise NotAMobile("numero non valido o non di cellulare")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def may_receive_sms(number: str, allowed_prefixes: tuple[str, ...] | list[str]) -> bool:
    """In E.164 and under one of the school's prefixes (SPEC §5)."""
    return bool(E164.match(number)) and any(number.startswith(prefix) for prefix in allowed_prefixes)
