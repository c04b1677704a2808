"""The school report, from the console (the school-report function): how a
school's people stand on the way to their credentials, and whom the
secretary must call.

The funnel counts the people matching the report (a role, if given):
invited (an invitation was sent), delivered (SES delivered it), bounced
(their address bounced or complained), activated (they have credentials,
however they got them), expired (invited, and the link ran out unused).
The call list names everyone still without credentials whom e-mail cannot
reach: no address, an address that bounced, or an invitation that expired
unused. The CSV is written next to the imports
(`reports/{school}/{date}-{request}.csv`) for the secretary to open in a
spreadsheet; it holds the school's own anagrafica, never a password, a
token or a code."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from chiave.domain import AccountStatus, Role, School
from chiave.errors import SchoolNotFound
from chiave.runtime.observability import logger
from chiave.runtime.settings import settings
from chiave.steps import spreadsheet
from chiave.steps.links import lacks_mobile_for_activation
from chiave.store import people, schools
from chiave.store.imports import write_report
from chiave.store.people import Enrolled

FUNNEL = ("invited", "delivered", "bounced", "activated", "expired")
# Why the secretary must call, as the CSV says it.
CALL_REASONS = {
    "no_email": "nessun indirizzo e-mail: chiedere l'indirizzo alla famiglia",
    "no_mobile": "nessun cellulare per il codice SMS dell'attivazione: chiedere il numero alla famiglia",
    "email_bounced": "l'indirizzo e-mail non riceve posta: chiedere un indirizzo valido",
    "link_expired": "il link di attivazione è scaduto senza essere usato: richiamare e reinvitare",
}
COLUMNS = ("codice_fiscale", "cognome", "nome", "ruolo", "classe", "cellulare", "motivo")
# The call list the console answer shows; the CSV has all of it.
CALLS_IN_ANSWER = 200


@dataclass(frozen=True)
class ReportRequest:
    operator: str
    school_id: str
    role: Role | None
    reason: str
    request_id: str
    action: str = "school_report"


def stages(school: School, someone: Enrolled, now: float) -> set[str]:
    """The funnel's stages this person has reached."""
    person, reached = someone.person, set()
    if someone.invited_at is not None:
        reached.add("invited")
        if someone.delivered_at is not None:
            reached.add("delivered")
        expires = someone.invited_at + school.policy.activation_link_lifetime_s
        if person.status is AccountStatus.PENDING and expires <= now:
            reached.add("expired")
    if someone.undeliverable:
        reached.add("bounced")
    if person.has_credentials:
        reached.add("activated")
    return reached


def call_reason(school: School, someone: Enrolled, reached: set[str]) -> str | None:
    """Why the secretary must call this person; None: no need."""
    if someone.person.status is not AccountStatus.PENDING:
        return None
    if someone.undeliverable:
        return "email_bounced"
    if not someone.person.email:
        return "no_email"
    if lacks_mobile_for_activation(school, someone.person):
        return "no_mobile"
    if "expired" in reached:
        return "link_expired"
    return None


def report(request: ReportRequest, now: float) -> dict[str, object]:
    school = schools.get_school(request.school_id)
    if school is None:
        raise SchoolNotFound()
    funnel, total, calls = Counter[str](), 0, []
    for someone in people.roster(school.id):
        person = someone.person
        if request.role is not None and person.role is not request.role:
            continue
        total += 1
        reached = stages(school, someone, now)
        funnel.update(reached)
        why = call_reason(school, someone, reached)
        if why is not None:
            calls.append(
                {
                    "codice_fiscale": person.codice_fiscale,
                    "cognome": person.surname,
                    "nome": person.name,
                    "ruolo": person.role.value,
                    "classe": person.classe or "",
                    "cellulare": person.mobile or "",
                    "motivo": why,
                }
            )
    calls.sort(key=lambda row: (row["classe"], row["cognome"], row["nome"]))
    day = datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m-%d")
    key = f"reports/{school.id}/{day}-{request.request_id[:8]}.csv"
    write_report(settings().report_bucket, key, _csv(calls))
    answer: dict[str, object] = {
        "role": request.role.value if request.role else None,
        "people": total,
        "funnel": {stage: funnel[stage] for stage in FUNNEL},
        "to_call": len(calls),
        "call_list": calls[:CALLS_IN_ANSWER],
        "report": f"s3://{settings().report_bucket}/{key}",
    }
    logger.info(
        "school report written",
        extra={"school": school.id, "people": total, "to_call": len(calls), "funnel": answer["funnel"]},
    )
    return answer


def _csv(calls: list[dict[str, str]]) -> str:
    return spreadsheet.csv_text(
        COLUMNS, ([row[column] for column in COLUMNS[:-1]] + [CALL_REASONS[row["motivo"]]] for row in calls)
    )
