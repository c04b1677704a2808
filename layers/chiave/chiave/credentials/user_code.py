"""User codes: 8 random digits and a Luhn check digit, so a typo is caught
before any lookup (Luhn catches every single-digit error and most swaps)."""

from __future__ import annotations

import secrets

BODY_DIGITS = 8


def luhn_digit(body: str) -> str:
    total = 0
    # Double every second digit counting from the right of the full number,
    # i.e. from the rightmost digit of the body.
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def new_user_code() -> str:
    # First digit 1-9: a code never loses a leading zero in a spreadsheet.
    body = str(secrets.randbelow(9 * 10 ** (BODY_DIGITS - 1)) + 10 ** (BODY_DIGITS - 1))
    return body + luhn_digit(body)


def looks_like_user_code(raw: str) -> bool:
    return raw.isascii() and raw.isdigit() and len(raw) == BODY_DIGITS + 1


def is_valid(raw: str) -> bool:
    return looks_like_user_code(raw) and luhn_digit(raw[:-1]) == raw[-1]
