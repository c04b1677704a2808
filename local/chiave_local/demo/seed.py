"""Schools and people for the local stack: the demo school, or SEED/POLICY."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import string
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path

from chiave.api.console import SCHOOL_FIELDS
from chiave.domain import Contact, School
from chiave.italian import anagrafica, codice_fiscale
from chiave.jobs import configure_school
from chiave.policy import Policy, PolicyError, overrides_of, policy_from_overrides
from chiave.runtime.settings import settings
from chiave.store import people
from chiave_local.emulator import moto_shim
from chiave_local.emulator.resources import ACCOUNT_ID

DEMO_SCHOOL = School(
    id="RMIC817009",
    name="Istituto Comprensivo Via Guicciardini 8",
    fiscal_code="97204170589",
    reply_to="rmic817009@istruzione.it",
    portal_url="",
    town="Roma",
    ipa_code="istsc_rmic817009",
    primo_ciclo=True,
    register_url="https://registro.icguicciardini.example",
    controller=Contact(
        "Istituto Comprensivo Via Guicciardini 8, il Dirigente scolastico", "rmic817009@istruzione.it"
    ),
    dpo=Contact("Responsabile della protezione dei dati", "dpo@icguicciardini.example"),
)
# The demo school runs on the default policy (activation needs the SMS code),
# but also offers password sign-in, so the walk-throughs keep working (SPEC §5).
DEMO_POLICY: dict[str, dict[str, object]] = {DEMO_SCHOOL.id: {"sign_in_methods": ["spid", "cie", "password"]}}


class SeedError(ValueError):
    """A seed or policy file that cannot be loaded as given."""


def demo_csv() -> str:
    return resources.files("chiave_local.demo").joinpath("demo_anagrafica.csv").read_text("utf-8")


def load(
    seed_path: Path | None, policy_path: Path | None, portal_url: str
) -> tuple[list[School], anagrafica.Anagrafica]:
    text = seed_path.read_text("utf-8-sig") if seed_path else demo_csv()
    parsed = anagrafica.parse(text)
    if parsed.errors:
        lines = "\n".join(f"  riga {e.line}: {e.message}" for e in parsed.errors)
        raise SeedError(f"anagrafica non caricata:\n{lines}")
    overrides = json.loads(policy_path.read_text("utf-8")) if policy_path else {}
    if not isinstance(overrides, dict):
        raise SeedError("POLICY must be a JSON object: school id -> policy overrides")
    schools = []
    for school_id in parsed.schools:
        base = (
            DEMO_SCHOOL
            if school_id == DEMO_SCHOOL.id
            else School(
                id=school_id,
                name=f"Scuola {school_id}",
                fiscal_code="00000000000",  # a placeholder: the file names no school's own code
                reply_to=f"{school_id.lower()}@istruzione.it",
                portal_url="",
                town="Comune non indicato",
            )
        )
        try:
            # The demo school's own (password sign-in too), under whatever POLICY says.
            policy = policy_from_overrides({**DEMO_POLICY.get(school_id, {}), **overrides.get(school_id, {})})
        except PolicyError as error:
            raise SeedError(f"{school_id}: {error}") from None
        schools.append(replace(base, portal_url=portal_url, policy=policy))
    unknown = set(overrides) - {school.id for school in schools}
    if unknown:
        raise SeedError(f"POLICY names schools not in the anagrafica: {', '.join(sorted(unknown))}")
    # Through the console action an operator runs on AWS: the same checks, trail and public list.
    for school in schools:
        configured = configure_school.run(configuration(school), time.time())
        if not configured["changed"]:
            raise SeedError(f"{school.id}: not configured")
    # Straight into moto's table: a real school's anagrafica loads in seconds.
    moto_shim.load_items(
        settings().table_name, os.environ["AWS_REGION"], ACCOUNT_ID, people.person_records(parsed.people)
    )
    return schools, parsed


def configuration(school: School) -> configure_school.SchoolRequest:
    """The configure action for `school`, as the seed's operator runs it."""
    # The event's fields, read off the school: what the console would be given.
    fields: dict[str, object] = {}
    for name in SCHOOL_FIELDS:
        value = getattr(school, name)
        if isinstance(value, Contact):
            value = dataclasses.asdict(value)
        elif isinstance(value, Policy):
            value = overrides_of(value)
        if value is not None:
            fields[name] = value
    return configure_school.SchoolRequest(
        action="configure",
        operator="make run",
        school_id=school.id,
        reason="the local stack's seed",
        request_id="local-seed",
        fields=fields,
    )


def generated_codes(count: int, prefix: str) -> list[str]:
    """`count` valid codici fiscali of made-up people whose first three letters
    are `prefix`, distinct by name letters, birth month and day (tests, bench)."""
    codes: list[str] = []
    for name in itertools.product(string.ascii_uppercase, repeat=3):
        for month in "ABCDEHLMPRST":
            for day in range(1, 29):
                body = f"{prefix[:3]}{''.join(name)}80{month}{day:02d}H501"
                codes.append(body + codice_fiscale.check_character(body))
                if len(codes) == count:
                    return codes
    return codes


def generated_email(index: int) -> str:
    return f"genitore{index:05d}@example.it"


def generated_csv(school: str, codes: list[str]) -> str:
    """The demo anagrafica plus a parent of `school` for each code, the i-th
    with the e-mail generated_email(i)."""
    rows = [
        f"{school};{code};Rossi;Genitore{i:05d};{generated_email(i)};;genitore"
        for i, code in enumerate(codes)
    ]
    return demo_csv().rstrip("\n") + "\n" + "\n".join(rows) + "\n"


DEMO_CLIENT = "registro-locale"


def register_demo_client(school_ids: list[str], portal_url: str) -> str:
    """The demo register's client of the sign-in, registered as the console
    action does (configure_client); its secret, shown once, as there."""
    from chiave.jobs.configure_client import ClientRequest
    from chiave.jobs.configure_client import run as configure_client

    request = ClientRequest(
        action="configure",
        operator="make run",
        client_id=DEMO_CLIENT,
        reason="Il registro dimostrativo dello stack locale",
        request_id="local-seed",
        fields={
            "name": "Registro elettronico dimostrativo",
            "schools": school_ids,
            "redirect_uris": [f"{portal_url}/_local/registro/callback"],
            "post_logout_redirect_uris": [f"{portal_url}/_local/registro/"],
            "backchannel_logout_uri": f"{portal_url}/_local/registro/backchannel-logout",
            "scopes": ["openid", "profile", "email"],
            "auth_method": "client_secret_basic",
        },
    )
    answer = configure_client(request, time.time())
    secret: str = answer["client_secret"]
    return secret
