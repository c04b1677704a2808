"""The anagrafica CSV (SPEC §4; also the ops import format).

UTF-8 (BOM tolerated), `;`-separated, header
`scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo`. Rows that cannot
be loaded are reported with their line number, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from chiave import codice_fiscale
from chiave.domain import Person, Role

HEADER = ("scuola", "codice_fiscale", "cognome", "nome", "email", "cellulare", "ruolo")
SCHOOL_CODE = re.compile(r"^[A-Z]{4}[A-Z0-9]{6}$")
# Full E.164 handling (phonenumbers) arrives with the SMS flows.
_MOBILE = re.compile(r"^\+[1-9][0-9]{7,14}$")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True)
class Anagrafica:
    people: list[Person]
    errors: list[RowError]

    @property
    def schools(self) -> list[str]:
        return sorted({person.school_id for person in self.people})


def normalise_mobile(raw: str) -> str | None:
    digits = re.sub(r"[\s\-./()]", "", raw)
    if not digits:
        return None
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif not digits.startswith("+"):
        digits = "+39" + digits  # Italian numbers are written without prefix
    if not _MOBILE.match(digits):
        raise ValueError("numero di cellulare non valido")
    return digits


def normalise_email(raw: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    if not raw.strip():
        return None
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("indirizzo email non valido") from None
    return checked.normalized.lower()


def _person(row: dict[str, str]) -> Person:
    school = row["scuola"].strip().upper()
    if not SCHOOL_CODE.match(school):
        raise ValueError("codice scuola non valido")
    if not codice_fiscale.is_valid(row["codice_fiscale"]):
        raise ValueError("codice fiscale non valido")
    surname, name = row["cognome"].strip(), row["nome"].strip()
    if not surname or not name:
        raise ValueError("cognome e nome sono obbligatori")
    email = normalise_email(row["email"])
    try:
        role = Role(row["ruolo"].strip().lower())
    except ValueError:
        raise ValueError("ruolo non valido (genitore, studente, docente, personale)") from None
    return Person(
        school_id=school,
        codice_fiscale=codice_fiscale.canonical(row["codice_fiscale"]),
        surname=surname,
        name=name,
        role=role,
        email=email,
        mobile=normalise_mobile(row["cellulare"]),
    )


def parse(text: str) -> Anagrafica:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    fields = tuple(name.strip().lower() for name in reader.fieldnames or ())
    if fields != HEADER:
        return Anagrafica([], [RowError(1, f"intestazione attesa: {';'.join(HEADER)}")])
    people: list[Person] = []
    errors: list[RowError] = []
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(reader, start=2):
        clean = {key.strip().lower(): (value or "") for key, value in row.items() if key}
        try:
            person = _person(clean)
        except ValueError as error:
            errors.append(RowError(line, str(error)))
            continue
        key = (person.school_id, person.codice_fiscale)
        if key in seen:
            errors.append(RowError(line, "codice fiscale ripetuto per la stessa scuola"))
            continue
        seen.add(key)
        people.append(person)
    return Anagrafica(people, errors)
