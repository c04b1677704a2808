"""anagrafica import: a school's CSV (SPEC §4, optional `classe` column)
dropped at `imports/{school}/{name}.csv` in the import bucket.

Every row is validated (codice fiscale, e-mail with email-validator, mobile
with phonenumberslite, role, the school of the path); people are upserted
in batches **without touching account fields** (password, user code,
status, PIN, counters); nobody is deleted (a person missing from the file
is reported, not removed); and a per-row report (accepted / changed /
unchanged / rejected, the reason in Italian) is written next to the file,
at `imports/{school}/esiti/{name}.esito.csv`. The same file again changes
nothing. A file that cannot be read as a whole (wrong separator or header,
not UTF-8, no rows, too large) changes nothing and its report says why.

Contacts: the school's last value of each contact is kept beside it. A
contact the holder proved themselves (chiave.flows.contacts) wins over an
unchanged school value; a value the school changed since its last import
replaces it, and the report says so. A new e-mail clears an
"undeliverable" mark (the mark names the address that bounced). A person
erased on request and listed again comes back as a new pending person (the
school is the controller): a new user code at activation, the old one
reserved for ever, and the report says so. A file that replaces an active
account's e-mail tells the address it replaces, and for the school's
`factor_change_cool_off_s` a reset still goes there (Person.reset_address)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from chiave.domain import Person, School
from chiave.italian import anagrafica
from chiave.notify import outbox
from chiave.runtime import masking
from chiave.runtime.observability import count_outcome, logger
from chiave.steps import spreadsheet
from chiave.store import imports as store
from chiave.store import schools

# A school's anagrafica is a few thousand rows; 50,000 is a large institute.
MAX_BYTES = 20 * 1024 * 1024
ANAGRAFICA_FIELDS = ("surname", "name", "role", "classe")


@dataclass(frozen=True)
class Outcome:
    line: int
    codice_fiscale: str
    result: str  # accepted, changed, unchanged, rejected, missing
    detail: str = ""


@dataclass
class Report:
    school_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None

    def counts(self) -> dict[str, int]:
        counted = Counter(outcome.result for outcome in self.outcomes)
        return {
            name: counted.get(name, 0) for name in ("accepted", "changed", "unchanged", "rejected", "missing")
        }

    def csv(self) -> str:
        rows: list[list[object]] = [["", "", "file rifiutato", self.error]] if self.error else []
        rows += [
            [outcome.line or "", outcome.codice_fiscale, _ITALIAN[outcome.result], outcome.detail]
            for outcome in self.outcomes
        ]
        return spreadsheet.csv_text(["riga", "codice_fiscale", "esito", "dettaglio"], rows)


_ITALIAN = {
    "accepted": "inserita",
    "changed": "aggiornata",
    "unchanged": "invariata",
    "rejected": "scartata",
    "missing": "non presente nel file (non rimossa)",
}


def report_key(key: str) -> str:
    folder, _, name = key.rpartition("/")
    return f"{folder}/esiti/{name.removesuffix('.csv')}.esito.csv"


def is_report(key: str) -> bool:
    return "/esiti/" in key


def school_of(key: str) -> str | None:
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "imports" or not parts[2].endswith(".csv"):
        return None
    school = parts[1].upper()
    return school if anagrafica.SCHOOL_CODE.match(school) else None


def run_import(bucket: str, key: str, now: float) -> dict[str, object]:
    """Import one uploaded file and write its report; the summary."""
    school_id = school_of(key)
    report = Report(school_id or "")
    if school_id is None:
        report.error = "percorso non valido: imports/{codice meccanografico}/{nome}.csv"
    else:
        report = _import(bucket, key, school_id, now)
    store.write_report(bucket, report_key(key), report.csv())
    summary = {"school": report.school_id, "file": key, "report": report_key(key), **report.counts()}
    if report.error:
        summary["error"] = report.error
    logger.info("anagrafica imported", extra=summary)
    count_outcome("import", "refused" if report.error else "imported")
    return summary


def _import(bucket: str, key: str, school_id: str, now: float) -> Report:
    report = Report(school_id)
    text, report.error = _read(bucket, key)
    if text is None:
        return report
    parsed = anagrafica.parse(text)
    if parsed.errors and parsed.errors[0].line == 1:
        report.error = parsed.errors[0].message
        return report
    if not parsed.people and not parsed.errors:
        report.error = "il file non contiene righe"
        return report
    school = schools.get_school(school_id)
    if school is None:
        report.error = f"scuola {school_id} non configurata: configurarla prima di caricarne l'anagrafica"
        return report
    existing = store.school_people(school_id)
    erased = store.erased(school_id)
    notes = {note.line: note.message for note in parsed.notes}
    new_people: list[Person] = []
    for line, person in zip(parsed.lines, parsed.people, strict=True):
        cf = person.codice_fiscale
        if person.school_id != school_id:
            detail = f"scuola {person.school_id} diversa da quella del percorso ({school_id})"
            report.outcomes.append(Outcome(line, cf, "rejected", detail))
            continue
        current = existing.pop(cf, None)
        if current is None:
            new_people.append(person)
            back = store.was_erased(erased, school_id, cf)
            report.outcomes.append(Outcome(line, cf, "accepted", _COME_BACK if back else notes.get(line, "")))
            continue
        change = store.plan_update(current, person, now)
        detail = "; ".join(filter(None, [*change.notes, notes.get(line, "")]))
        if change.empty:
            report.outcomes.append(Outcome(line, cf, "unchanged", detail))
        elif _apply(school, person, change, now):
            report.outcomes.append(Outcome(line, cf, "changed", detail))
        else:
            report.outcomes.append(Outcome(line, cf, "rejected", "persona cancellata durante l'importazione"))
    store.put_new(new_people)
    report.outcomes += [
        Outcome(error.line, error.codice_fiscale, "rejected", error.message) for error in parsed.errors
    ]
    report.outcomes += [Outcome(0, cf, "missing") for cf in sorted(existing)]
    report.outcomes.sort(key=lambda outcome: (outcome.line == 0, outcome.line))
    return report


def _apply(school: School, row: Person, change: store.Change, now: float) -> bool:
    """The row's change; when it replaces an active account's e-mail, with the
    notice to the address it replaces, committed together (docs/OUTBOX.md)."""
    if change.replaced_email is None:
        return store.apply_update(school.id, row.codice_fiscale, change)
    new_email = change.sets.get("email")
    notice = outbox.to_holder(
        school,
        replace(row, email=change.replaced_email),
        "email_changed_by_school",
        email_hint=masking.mask_email(new_email) if new_email else "",
        hours=str(school.policy.factor_change_cool_off_s // 3600),
    )
    message = outbox.queue([notice])
    return store.apply_update(school.id, row.codice_fiscale, change, message.commit_id, now)


_COME_BACK = "persona reinserita dopo la cancellazione: nuova persona, nuovo codice utente all'attivazione"


def _read(bucket: str, key: str) -> tuple[str | None, str | None]:
    """The file's text, or why it cannot be imported as a whole."""
    size = store.object_size(bucket, key)
    if size is None:
        return None, "file non trovato: caricarlo di nuovo"
    if size > MAX_BYTES:
        megabytes = MAX_BYTES // (1024 * 1024)
        return None, f"file troppo grande ({size // (1024 * 1024)} MB; al massimo {megabytes} MB)"
    try:
        return store.read_object(bucket, key).decode("utf-8"), None
    except UnicodeDecodeError:
        return None, "il file non è in codifica UTF-8: salvarlo come «CSV UTF-8»"
