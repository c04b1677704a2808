"""Italian codice fiscale: normalisation and check characters (SPEC §6).

Omocodia: when two people would share a code (twins born the same day in the
same town), the Agenzia delle Entrate gives the second one a code with digits
swapped (from the right) for the letters LMNPQRSTUV. That code is *another
person's* code: it is never folded onto its base form. The code as issued,
upper-cased and without spaces, is the key.

A person without a definitive code may hold the 11-digit provisional one
(codice fiscale numerico), whose last digit is a check digit.
"""

from __future__ import annotations

import re
from datetime import date

# Positions (0-based) that hold digits in a plain code and may hold
# omocodia letters instead (validation only: nothing is folded).
OMOCODIA_POSITIONS = (6, 7, 9, 10, 12, 13, 14)
OMOCODIA_LETTERS = "LMNPQRSTUV"
_TO_DIGIT = {letter: str(digit) for digit, letter in enumerate(OMOCODIA_LETTERS)}

_SHAPE = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)

# Odd positions (1st, 3rd...) weigh by this table; a digit weighs as the
# letter of the same rank (0 as A, 1 as B...).
_ODD_LETTER_VALUES = (
    1,
    0,
    5,
    7,
    9,
    13,
    15,
    17,
    19,
    21,
    2,
    4,
    18,
    20,
    11,
    3,
    6,
    8,
    12,
    14,
    16,
    10,
    22,
    25,
    24,
    23,
)
_ODD_VALUES = {
    **{chr(ord("A") + rank): value for rank, value in enumerate(_ODD_LETTER_VALUES)},
    **{str(digit): _ODD_LETTER_VALUES[digit] for digit in range(10)},
}


def _even_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A")


def check_character(first_fifteen: str) -> str:
    """The control character of a code's first fifteen characters."""
    total = sum(
        _ODD_VALUES[char] if index % 2 == 0 else _even_value(char) for index, char in enumerate(first_fifteen)
    )
    return chr(ord("A") + total % 26)


def provisional_check_digit(first_ten: str) -> str:
    """The check digit of an 11-digit provisional code (as for a partita IVA)."""
    total = 0
    for index, char in enumerate(first_ten):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def normalise(raw: str) -> str:
    """Uppercase and drop spaces, as a parent may type it.

    Only ASCII is upper-cased: `ß`, `ſ` or `ı` would otherwise turn into the
    ASCII letters of somebody else's code ("SS", "S", "I")."""
    compact = "".join(raw.split())
    return compact.upper() if compact.isascii() else compact


def is_valid(raw: str) -> bool:
    code = normalise(raw)
    if len(code) == 11 and code.isdigit():
        return provisional_check_digit(code[:10]) == code[10]
    if not _SHAPE.match(code):
        return False
    day = int(_TO_DIGIT.get(code[9], code[9]) + _TO_DIGIT.get(code[10], code[10]))
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return False
    return check_character(code[:15]) == code[15]


def canonical(raw: str) -> str:
    """The key of a valid code: the code as issued, normalised. An omocode
    keeps its letters: it names a different person from its base code.

    Raises ValueError for an invalid code: callers validate first.
    """
    code = normalise(raw)
    if not is_valid(code):
        raise ValueError("invalid codice fiscale")
    return code


def is_omocode(raw: str) -> bool:
    code = normalise(raw)
    return any(code[position] in _TO_DIGIT for position in OMOCODIA_POSITIONS)


MONTH_LETTERS = "ABCDEHLMPRST"


def birth_date(raw: str, today: date) -> date | None:
    """The birth date a 16-character code carries (omocodia letters read as
    their digits; a woman's day + 40); None for a provisional numeric code,
    which carries none. A two-digit year is taken in the last hundred years."""
    code = normalise(raw)
    if len(code) != 16:
        return None
    year, month, day = (
        int("".join(_TO_DIGIT.get(char, char) for char in code[6:8])),
        MONTH_LETTERS.index(code[8]) + 1,
        int("".join(_TO_DIGIT.get(char, char) for char in code[9:11])) % 40,
    )
    century = 2000 if 2000 + year <= today.year else 1900
    try:
        return date(century + year, month, day)
    except ValueError:  # a day the month does not have: no date to trust
        return None


def age(raw: str, today: date) -> int | None:
    born = birth_date(raw, today)
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
