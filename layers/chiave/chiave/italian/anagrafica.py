"""The anagrafica CSV (SPEC §4; also the ops import format).

UTF-8 (BOM tolerated), `;`-separated, header
`scuola;codice_fiscale;cognome;nome;email;cellulare;ruolo`, optionally
followed by `classe`. Rows that cannot
be loaded are reported with their line number, never silently dropped.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from chiave.domain import Person, Role
from chiave.italian import codice_fiscale, phone

HEADER = ("scuola", "codice_fiscale", "cognome", "nome", "email", "cellulare", "ruolo")
OPTIONAL = ("classe",)
SCHOOL_CODE = re.compile(r"^[A-Z]{4}[A-Z0-9]{6}$")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    # The row's codice fiscale when it could be read (the office finds the person by it).
    codice_fiscale: str = ""


@dataclass(frozen=True)
class Anagrafica:
    people: list[Person]
    errors: list[RowError]  # rows not loaded
    # Rows loaded without a value that could not be used (a number that is
    # not a mobile: the person is loaded, the number dropped).
    notes: list[RowError] = field(default_factory=list)
    # The line each of `people` came from.
    lines: list[int] = field(default_factory=list)

    @property
    def schools(self) -> list[str]:
        return sorted({person.school_id for person in self.people})


def normalise_email(raw: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    if not raw.strip():
        return None
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("indirizzo e-mail non valido") from None
    return checked.normalized.lower()


def _person(row: dict[str, str]) -> tuple[Person, str | None]:
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
    note = None
    try:
        mobile = phone.normalise_mobile(row["cellulare"])
    except phone.NotAMobile as error:
        mobile, note = None, f"{error}: numero non caricato"
    person = Person(
        school_id=school,
        codice_fiscale=codice_fiscale.canonical(row["codice_fiscale"]),
        surname=surname,
        name=name,
        role=role,
        email=email,
        mobile=mobile,
        classe=row.get("classe", "").strip().upper() or None,
    )
    return person, note


def _readable_codice_fiscale(row: dict[str, str]) -> str:
    """A rejected row's codice fiscale, when it is a valid one (the reason lies elsewhere)."""
    raw = row.get("codice_fiscale", "")
    return codice_fiscale.canonical(raw) if codice_fiscale.is_valid(raw) else ""


def parse(text: str) -> Anagrafica:
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    fields = tuple(name.strip().lower() for name in reader.fieldnames or ())
    if fields not in (HEADER, HEADER + OPTIONAL):
        expected = f"{';'.join(HEADER)}[;{';'.join(OPTIONAL)}]"
        return Anagrafica([], [RowError(1, f"intestazione attesa: {expected} (separatore «;»)")])
    people: list[Person] = []
    errors: list[RowError] = []
    notes: list[RowError] = []
    lines: list[int] = []
    seen: set[tuple[str, str]] = set()
    for line, row in enumerate(reader, start=2):
        clean = {key.strip().lower(): (value or "") for key, value in row.items() if key}
        try:
            person, note = _person(clean)
        except ValueError as error:
            errors.append(RowError(line, str(error), _readable_codice_fiscale(clean)))
            continue
        key = (person.school_id, person.codice_fiscale)
        if key in seen:
            errors.append(
                RowError(line, "codice fiscale ripetuto per la stessa scuola", person.codice_fiscale)
            )
            continue
        seen.add(key)
        people.append(person)
        lines.append(line)
        if note:
            notes.append(RowError(line, note))
    return Anagrafica(people, errors, notes, lines)
