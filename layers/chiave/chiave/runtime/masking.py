"""Masks for personal data in logs and hints (SPEC §6)."""

from __future__ import annotations


def mask_email(address: str) -> str:
    """`daniela.rossi@gmail.com` -> `d*****i@gmail.com`, as Vivoscuola shows it."""
    local, _, domain = address.partition("@")
    hidden = local[:1] + "*****" if len(local) <= 2 else local[0] + "*****" + local[-1]
    return f"{hidden}@{domain}" if domain else hidden


def mask_codice_fiscale(code: str) -> str:
    """Keep the first three characters and the check character."""
    if len(code) < 4:
        return "*" * len(code)
    return code[:3] + "*" * (len(code) - 4) + code[-1]


def phone_hint(number: str) -> str:
    """What a page shows of the number an SMS went to: `+39 *** *** **33`."""
    prefix, rest = number[:3], number[3:]
    masked = "*" * max(0, len(rest) - 2) + rest[-2:]
    return " ".join(
        [prefix, *(masked[index : index + 3] for index in range(0, len(masked) - 4, 3)), masked[-4:]]
    )


def mask_phone(number: str) -> str:
    """`+393331234567` -> `+39*******567`."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]
