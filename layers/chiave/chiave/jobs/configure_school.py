"""configure_school: a school as the deployment's operator configures it,
from the AWS console (`/_local/invoke/ConfigureSchoolFunction` locally;
docs/OPS.md "Onboarding a school").

- `configure`: creates a school, or changes the fields the event gives
  (the others keep their values). A new school needs its name, town, codice
  fiscale and reply-to address; `primo_ciclo` follows its code unless given.
  Policy overrides merge into the school's (null: back to the default) and
  are checked against SPEC §5's bounds: one out of bounds is refused and
  named, and nothing changes.
- `disable` / `enable`: a disabled school's pages and API say the service
  is closed; nothing of it is deleted.
- `list`: every school, enabled or not.

Each change lands with its audit item (the operator, the invocation id
CloudTrail ties to the IAM caller, the reason, each field's old and new
value), and republishes the public list of schools and the school's public
profile (chiave.store.directory). They are published before the change
commits and put back if it fails, so a failed action changes nothing that
anyone reads."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from chiave.domain import Contact, School, TrustMark
from chiave.errors import InvalidSchoolConfiguration, SchoolNotFound
from chiave.federation.statements import trust_mark_problem
from chiave.italian.meccanografico import is_primo_ciclo
from chiave.policy import PolicyError, overrides_of, policy_from_overrides
from chiave.runtime import faults
from chiave.runtime.observability import count_outcome, logger
from chiave.runtime.settings import portal_url
from chiave.store import audit, directory, schools

SchoolAction = Literal["configure", "list", "disable", "enable"]
# What a new school cannot do without.
REQUIRED = ("name", "town", "fiscal_code", "reply_to")


@dataclass(frozen=True)
class SchoolRequest:
    action: SchoolAction
    operator: str
    school_id: str
    reason: str
    # The Lambda invocation's id: CloudTrail's data event names its IAM caller.
    request_id: str
    # The fields the event gives (configure), by name; a contact as {name, email}.
    fields: dict[str, Any]


def run(request: SchoolRequest, now: float) -> dict[str, Any]:
    if request.action == "list":
        return {"schools": [_view(school) for school in sorted(schools.all_schools(), key=lambda s: s.id)]}
    current = schools.get_school(request.school_id)
    if request.action == "configure":
        configured = _configured(request.school_id, current, request.fields, now)
    elif current is None:
        raise SchoolNotFound()
    else:
        configured = replace(current, enabled=request.action == "enable")
    changes = _changes(current, configured)
    if changes:
        _save(request, current, configured, changes, now)
    logger.info(
        "school configured",
        extra={"school": request.school_id, "action": request.action, "changed": sorted(changes)},
    )
    count_outcome("configure_school", f"{request.action}_{'changed' if changes else 'unchanged'}")
    return {"changed": sorted(changes), "configuration": _view(configured)}


def _configured(school_id: str, current: School | None, fields: dict[str, Any], now: float) -> School:
    """The school with the event's fields applied; InvalidSchoolConfiguration names what is wrong."""
    problems = []
    if current is None:
        problems += [
            {"field": name, "message": "obbligatorio per una nuova scuola"}
            for name in REQUIRED
            if not fields.get(name)
        ]
    base = current or School(
        id=school_id,
        name="",
        fiscal_code="",
        reply_to="",
        portal_url="",
        primo_ciclo=is_primo_ciclo(school_id),
    )
    given = {name: value for name, value in fields.items() if name != "policy"}
    for role in ("controller", "dpo"):
        if given.get(role) is not None:
            given[role] = Contact(**given[role])
    if "trust_marks" in given:
        marks = tuple(TrustMark(**mark) for mark in given["trust_marks"] or [])
        origin = portal_url()
        problems += [
            {"field": "trust_marks", "message": problem}
            for mark in marks
            if (problem := trust_mark_problem(origin, school_id, mark, now))
        ]
        given["trust_marks"] = marks
    if given.get("primo_ciclo", False) is None:
        given["primo_ciclo"] = is_primo_ciclo(school_id)  # back to what the code says
    policy = base.policy
    if "policy" in fields:
        # null: every override dropped, the defaults again; a key set to null: that one.
        given_policy = fields["policy"]
        merged = {} if given_policy is None else overrides_of(base.policy) | given_policy
        try:
            policy = policy_from_overrides({key: value for key, value in merged.items() if value is not None})
        except PolicyError as error:
            problems.append({"field": "policy", "message": str(error)})
    if problems:
        count_outcome("configure_school", "refused")
        raise InvalidSchoolConfiguration(problems=problems)
    return replace(base, **given, policy=policy)


def _changes(current: School | None, configured: School) -> dict[str, dict[str, Any]]:
    """Each field that differs: its old and new value, as the table keeps them."""
    return audit.changes(schools.stored_form(current) if current else {}, schools.stored_form(configured))


def _save(
    request: SchoolRequest,
    current: School | None,
    configured: School,
    changes: dict[str, dict[str, Any]],
    now: float,
) -> None:
    others = [school for school in schools.all_schools() if school.id != configured.id]
    record = audit.configuration_entry(
        "school",
        configured.id,
        f"school_{request.action}d" if request.action != "configure" else "school_configured",
        request.operator,
        request.request_id,
        request.reason,
        now,
        changes,
    )
    directory.publish_profile(configured)
    try:
        directory.publish([*others, configured])
        schools.save(configured, current is None, record)
    except BaseException:
        # Put the list and the profile back as they were: the change did not happen.
        try:
            directory.publish([*others, *([current] if current else [])])
            if current is None:
                directory.withdraw_profile(configured.id)
            else:
                directory.publish_profile(current)
        except faults.AWS_FAILURES:
            logger.warning("public list ahead of the table until the action runs again")
        raise


def _view(school: School) -> dict[str, Any]:
    """A school as the console shows it: its stored form, and its code."""
    return {"school": school.id, **schools.stored_form(school)}
