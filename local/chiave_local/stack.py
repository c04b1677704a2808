"""Start and stop the local stack: moto, the template's resources, the seed,
the queue pollers and the HTTP server."""

from __future__ import annotations

import gc
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from moto.server import ThreadedMotoServer

from chiave.policy import overrides_of
from chiave_local.demo import federation, registro, seed
from chiave_local.emulator import template as tpl
from chiave_local.emulator import worker
from chiave_local.emulator.containers import POOL_SIZE, ContainerFunctions
from chiave_local.emulator.resources import Deployment, deploy
from chiave_local.emulator.runtime import Functions, Invoker, environment, function_environment
from chiave_local.server import LocalStack

REGION = "eu-south-1"  # Milan
SHOWN_PEOPLE = 8


@dataclass
class RunningStack:
    moto: ThreadedMotoServer
    deployment: Deployment
    functions: Invoker
    server: LocalStack
    pollers: list[worker.Runner]
    schools: list[str]
    policies: dict[str, dict[str, object]]  # school -> overrides of the defaults
    people: list[tuple[str, str, str, str]]  # school, cf, name, e-mail
    federation: federation.LocalFederation | None = None  # the local SPID/CIE federation, if started
    serving: bool = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve_forever(self, ready: Callable[[], None] = lambda: None) -> None:
        """Serve until interrupted; `ready` once requests may come: with a local
        federation, after its anchor onboarded Chiave's intermediate (reading its
        configuration from this server), so that a first SPID sign-in finds the chain."""
        self.serving = True
        if self.federation is None:
            ready()
            self.server.serve_forever(poll_interval=0.2)
            return
        loop = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        loop.start()
        self.federation.onboard(f"{self.base_url}/oidc/federation")
        ready()
        while loop.is_alive():
            loop.join(timeout=0.5)  # wakes for a signal (Ctrl-C, SIGTERM)

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stopped.set()
        if self.serving:  # shutdown() waits for a serve_forever loop
            self.server.shutdown()
        self.server.server_close()
        if self.server.demo_register is not None:
            self.server.demo_register.stop()
        if self.federation is not None:
            self.federation.stop()
        if isinstance(self.functions, ContainerFunctions):
            self.functions.stop()
        self.moto.stop()

    def anagrafica_summary(self, shown: int = SHOWN_PEOPLE) -> list[str]:
        """Counts per school, and the first few people (a real anagrafica has thousands)."""
        per_school = Counter(school for school, *_ in self.people)
        with_email = Counter(school for school, _, _, email in self.people if email)
        lines = [f"Anagrafica loaded: {len(self.people)} people in {len(per_school)} school(s)"]
        lines += [
            f"  {school}  {count} people, {with_email[school]} with e-mail"
            for school, count in per_school.items()
        ]
        lines.append(f"First {min(shown, len(self.people))}:")
        lines += [
            f"  {s}  {cf}  {name:<24} {email or '(no e-mail)'}" for s, cf, name, email in self.people[:shown]
        ]
        return lines

    def walkthrough(self) -> str:
        api = f"{self.base_url}/{tpl.api_stage()}"
        school = self.schools[0]
        first = next((p for p in self.people if p[3]), self.people[0])
        lines = [
            "Chiave local stack",
            f"  open in a browser  {self.base_url}/?scuola={school}   (the parents' pages)",
            f"  mailbox        {self.base_url}/_local/mailbox   (every e-mail and SMS, links clickable)",
            f"  API            {api}",
            f"  Swagger UI     {self.base_url}/docs",
            f"  sign-in        {self.base_url}/oidc/.well-known/openid-configuration   (issuer "
            f"{self.base_url}/oidc; demo client {self.server.demo_client['client_id']}, secret "
            f"{self.server.demo_client['client_secret']}, also in /_local/info)",
            f"  demo register  {self.base_url}{registro.PREFIX}/   (the sign-in as a register meets it)",
            f"  federation     {self.base_url}/oidc/federation   (Chiave's intermediate, under "
            f"{self.deployment.refs['TrustAnchor']}; each school's leaf: /oidc/rp/<school>)",
            *(
                [
                    "  SPID and CIE   at the demo register, Entra -> Entra con SPID (or CIE): the local "
                    "provider's test users, e.g. maria.rossi / password (all in /_local/info)"
                ]
                if self.federation is not None
                else []
            ),
            f"  outbox         {self.base_url}/_local/outbox",
            f"  moto           {self.deployment.endpoint_url} ({self.deployment.region})",
            f"  imports        s3://{self.deployment.refs.get('ImportBucket', '-')}"
            "/imports/<school>/<name>.csv (report in imports/<school>/esiti/)",
            "",
            "Schools and their policy overrides (docs/REFERENCE.md defaults otherwise):",
            *[f"  {school}  {json.dumps(self.policies[school]) or '{}'}" for school in self.schools],
            "",
            *self.anagrafica_summary(),
            "",
            "Walk-through:",
            "  # 1. ask for credentials",
            f"  curl -s -X POST {api}/schools/{school}/registrations \\",
            f"       -H 'Content-Type: application/json' -d '{{\"codice_fiscale\": \"{first[1]}\"}}'",
            "  # 2. the activation e-mail's token (the newest e-mail to that address)",
            f'  curl -s \'{self.base_url}/_local/outbox?to={first[3]}&last=1\'   # "token": "..."',
            "  # 3. where the school's policy asks for it (the default): the SMS code to the mobile on file",
            f"  curl -s -X POST {api}/otp/send -H 'Content-Type: application/json' \\",
            '       -d \'{"token": "<token>"}\'',
            f'  curl -s {self.base_url}/_local/outbox        # "sms": [... "#123456"]',
            f"  curl -s -X POST {api}/otp/verify -H 'Content-Type: application/json' \\",
            '       -d \'{"token": "<token>", "code": "123456"}\'',
            "  # 4. choose the password: the answer carries your user code",
            f"  curl -s -X POST {api}/password-resets/confirm -H 'Content-Type: application/json' \\",
            '       -d \'{"token": "<token>", "new_password": "Quaderno-Blu-42"}\'',
            "  # 5. forgot it? ask for a reset by codice fiscale, user code or e-mail",
            f"  curl -s -X POST {api}/schools/{school}/password-resets \\",
            f"       -H 'Content-Type: application/json' -d '{{\"identifier\": \"{first[3]}\"}}'",
            "  # 6. a PIN for the register (by user code or e-mail, and the password)",
            f"  curl -s -X POST {api}/pins -H 'Content-Type: application/json' \\",
            f'       -d \'{{"school": "{school}", "login": "<user code>", "password": "Quaderno-Blu-42"}}\'',
            "  # 7. the register's own checks, SigV4-signed: docs/ARCHITECTURE.md",
        ]
        return "\n".join(lines)


def start(
    port: int,
    seed_path: Path | None = None,
    policy_path: Path | None = None,
    run_pollers: bool = True,
    isolated: bool = True,
    containers: int = POOL_SIZE,
    trust_anchor: str | None = None,
    local_federation: bool = False,
) -> RunningStack:
    """The whole stack on 127.0.0.1. `isolated`: each function in containers
    of its own (chiave_local.emulator.containers); otherwise in this process, where
    `make bench` can watch the AWS calls the clients make."""
    # Anything that talks to AWS here talks to moto, with dummy credentials.
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, moto_port = moto.get_host_and_port()
    endpoint = f"http://{host}:{moto_port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    beside: federation.LocalFederation | None = None
    try:
        deployment = deploy(endpoint, REGION)
        beside = federation.LocalFederation.start() if local_federation and not trust_anchor else None
        if beside is not None:  # the local federation: its anchor, pinned keys and providers' mark types
            deployment.refs["TrustAnchor"] = beside.trust_anchor
            deployment.refs["TrustAnchorJwks"] = json.dumps(beside.pinned["trust_anchor_jwks"])
            deployment.refs["ProviderTrustMarks"] = json.dumps(
                {profile: [mark] for profile, mark in beside.pinned["trust_mark_types"].items()}
            )
        elif trust_anchor:  # an existing federation's (make run TRUST_ANCHOR=...): README says what to pin
            deployment.refs["TrustAnchor"] = trust_anchor
            for parameter, variable in (
                ("TrustAnchorJwks", "TRUST_ANCHOR_JWKS"),
                ("ProviderTrustMarks", "PROVIDER_TRUST_MARKS"),
            ):
                if os.environ.get(variable):
                    deployment.refs[parameter] = os.environ[variable]
        functions: Invoker = ContainerFunctions(deployment, containers) if isolated else Functions(deployment)
        server = LocalStack(("127.0.0.1", port), functions)
        bound_port = server.server_address[1]
        deployment.serve_portal_at(bound_port)
        # The seed configures its schools as the console action does.
        seeding_env = function_environment(functions.specs["ConfigureSchoolFunction"], deployment)
        with environment(seeding_env):
            schools, parsed = seed.load(seed_path, policy_path, f"http://127.0.0.1:{bound_port}")
            demo_secret = seed.register_demo_client(
                [school.id for school in schools], f"http://127.0.0.1:{bound_port}"
            )
        server.demo_client = {"client_id": seed.DEMO_CLIENT, "client_secret": demo_secret}
        base_url = f"http://127.0.0.1:{bound_port}"
        server.demo_register = registro.DemoRegister(f"{base_url}/oidc", base_url, server.demo_client)
        server.local_federation = beside.pinned if beside else {}
    except BaseException:
        moto.stop()
        if beside is not None:
            beside.stop()
        raise
    # The anagrafica just loaded lives as long as the stack: keep the garbage
    # collector from walking 20,000 people's objects on every full pass.
    gc.collect()
    gc.freeze()
    pollers = worker.pollers(functions) if run_pollers else []
    for poller in pollers:
        poller.start()
    return RunningStack(
        moto=moto,
        deployment=deployment,
        functions=functions,
        server=server,
        pollers=pollers,
        schools=[school.id for school in schools],
        policies={school.id: overrides_of(school.policy) for school in schools},
        people=[
            (p.school_id, p.codice_fiscale, f"{p.name} {p.surname}", p.email or "") for p in parsed.people
        ],
        federation=beside,
    )
