"""The README's walk-through, over HTTP against the local stack."""

from __future__ import annotations

import re

from chiave_local.emulator.events import EVENTS

API = "/v1"
SCHOOL = "RMIC817009"
MARIA = "RSSMRA82C52H501K"
LUCA = "BNCLCU79S05F205Y"


def _token(email: dict) -> str:
    found = re.search(r"#token=([A-Za-z0-9_-]{43})", email["text"])
    assert found
    return found.group(1)


def _nth_email_to(stack, address: str, count: int) -> dict:
    """The `count`-th e-mail to `address`."""
    emails = stack.emails_to(address, at_least=count)
    assert len(emails) >= count
    return emails[count - 1]


def test_register_confirm_reset_and_dead_links(local_stack):
    maria = "maria.rossi@example.it"
    sent = len(local_stack.emails_to(maria, at_least=0))
    # Given Maria asks for credentials
    response = local_stack.post(f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": MARIA})
    assert response.status == 202
    # When the activation e-mail arrives
    activation = _nth_email_to(local_stack, maria, sent + 1)
    assert "/attiva#token=" in activation["text"]
    token = _token(activation)
    status = local_stack.post(f"{API}/flows/status", {"token": token})
    assert (status.status, status.json["purpose"]) == (200, "activation")
    assert (status.json["otp_required"], status.json["phone_hint"]) == (True, "+39 *** *** **67")
    # And the demo school's default policy asks for her phone: an SMS code to the number on file
    texts = len(local_stack.sms_to("+393331234567", at_least=0))
    sent_code = local_stack.post(f"{API}/otp/send", {"token": token})
    assert sent_code.status == 202, sent_code.text
    sms = local_stack.sms_to("+393331234567", at_least=texts + 1)[-1]
    code = re.search(r"#(\d{6})$", sms["text"]).group(1)
    verified = local_stack.post(f"{API}/otp/verify", {"token": token, "code": code})
    assert (verified.status, verified.json) == (200, {"verified": True})
    # Then she chooses a password and gets her user code, by response and by mail
    done = local_stack.post(
        f"{API}/password-resets/confirm", {"token": token, "new_password": "Quaderno-Blu-42"}
    )
    assert done.status == 200, done.text
    user_code = done.json["user_code"]
    confirmation = _nth_email_to(local_stack, maria, sent + 2)
    assert user_code in confirmation["text"]
    # And the link cannot be used again
    again = local_stack.post(
        f"{API}/password-resets/confirm", {"token": token, "new_password": "Altra-Pass-2026"}
    )
    assert (again.status, again.json["code"]) == (410, "token_used")
    assert again.headers["Content-Type"] == "application/problem+json"

    # Given she forgot it: a reset by each identifier
    reset_tokens = []
    for number, identifier in enumerate((MARIA, user_code, "maria.rossi@example.it"), start=1):
        asked = local_stack.post(f"{API}/schools/{SCHOOL}/password-resets", {"identifier": identifier})
        assert asked.status == 202
        email = _nth_email_to(local_stack, maria, sent + 2 + number)
        assert "/recupera#token=" in email["text"]
        reset_tokens.append(_token(email))
    # When the last link is used
    reset = local_stack.post(
        f"{API}/password-resets/confirm", {"token": reset_tokens[-1], "new_password": "Nuova-Chiave-2026"}
    )
    assert reset.json == {"user_code": user_code, "status": "active"}
    # Then the older links are dead, and a notice without secrets went out
    for old in reset_tokens[:-1]:
        dead = local_stack.post(
            f"{API}/password-resets/confirm", {"token": old, "new_password": "Ancora-Una-2026"}
        )
        assert dead.status == 410
    notice = _nth_email_to(local_stack, maria, sent + 6)
    assert notice["subject"] == "La password è stata cambiata"
    assert "Nuova-Chiave-2026" not in notice["text"] + notice["html"]


def test_private_mode_is_identical_over_http(local_stack):
    known = local_stack.post(f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": LUCA})
    unknown = local_stack.post(
        f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": "BNCGNN80A01H501T"}
    )
    assert (known.status, known.text) == (unknown.status, unknown.text) == (202, known.text)
    ignore = {"Date"}
    assert {k: v for k, v in known.headers.items() if k not in ignore} == {
        k: v for k, v in unknown.headers.items() if k not in ignore
    }


def test_bad_input_over_http_is_a_4xx_problem(local_stack):
    cases = [
        local_stack.post(f"{API}/schools/{SCHOOL}/registrations", raw=b'{"codice_fiscale": '),
        local_stack.post(f"{API}/schools/{SCHOOL}/registrations", raw=b"\xff\xfe\x00"),
        local_stack.post(f"{API}/schools/{SCHOOL}/registrations", raw=b"[" * 4000),
        local_stack.post(
            f"{API}/schools/{SCHOOL}/registrations", raw=b'{"codice_fiscale": "' + b"A" * 20000 + b'"}'
        ),
        local_stack.post(f"{API}/schools/..%2F..%2Fetc/registrations", {"codice_fiscale": MARIA}),
        local_stack.post(
            f"{API}/schools/{SCHOOL}/registrations", {"codice_fiscale": "RSSMRA82C52H501\u0000"}
        ),
        local_stack.post(f"{API}/password-resets/confirm", {"token": "\ud800", "new_password": "x"}),
    ]
    for response in cases:
        assert 400 <= response.status < 500, response.text
        assert response.headers["Content-Type"] == "application/problem+json"


def test_local_helpers(local_stack):
    info = local_stack.request("GET", "/_local/info").json
    assert info["aws_endpoint_url"].startswith("http://127.0.0.1:")
    assert set(info["resources"]) >= {"Table", "OutboxQueue", "OutboxDeadLetterQueue"}
    invoked = local_stack.post(
        "/_local/invoke/FlowStatusFunction",
        {
            "resource": "/flows/status",
            "path": "/flows/status",
            "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"},
            "body": '{"token": "nope"}',
            "requestContext": {"requestId": "r1", "identity": {"sourceIp": "127.0.0.1"}},
        },
    )
    assert invoked.status == 200 and invoked.json["statusCode"] == 400
    docs = local_stack.request("GET", "/docs")
    assert docs.status == 200 and "swagger" in docs.text.lower()
    assert local_stack.request("GET", "/docs/openapi.json").json["servers"] == [{"url": "/v1"}]
    assert local_stack.request("GET", "/openapi.json").json["paths"]
    nowhere = local_stack.request("GET", "/v1/nowhere")
    assert (nowhere.status, nowhere.headers["Content-Type"]) == (404, "application/problem+json")
    assert nowhere.json["code"] == "not_found"
    wrong_method = local_stack.request("GET", "/v1/password-resets/confirm")
    assert wrong_method.status == 404
    # Every page an e-mail links to answers, with the portal's security headers
    for page in (
        "/",
        "/attiva",
        "/recupera",
        "/conferma-email",
        "/password-dimenticata",
        "/pin",
        "/modifica",
        "/codice-temporaneo",
    ):
        answer = local_stack.request("GET", page)
        assert answer.status == 200 and 'src="/assets/chiave.js"' in answer.text, page
        assert answer.headers["Referrer-Policy"] == "no-referrer", page
    # The outbox: one e-mail's newest link token, without guesswork (Maria's activation link,
    # or, once she has credentials, a reset link)
    before = len(local_stack.emails_to("maria.rossi@example.it", at_least=0))
    local_stack.post(f"{API}/schools/RMIC817009/registrations", {"codice_fiscale": MARIA})
    if "#token=" not in local_stack.emails_to("maria.rossi@example.it", at_least=before + 1)[-1]["text"]:
        local_stack.post(f"{API}/schools/RMIC817009/password-resets", {"identifier": MARIA})
        local_stack.emails_to("maria.rossi@example.it", at_least=before + 2)
    emails = local_stack.request("GET", "/_local/outbox").json["emails"]
    linked = [mail for mail in emails if "#token=" in mail["text"]]
    assert linked and all(f"#token={mail['token']}" in mail["text"] for mail in linked)
    to = linked[-1]["to"]
    newest = local_stack.request("GET", f"/_local/outbox?to={to}&last=1").json["emails"]
    assert newest == [mail for mail in emails if mail["to"] == to][-1:]
    # A sample that needs a live link gets the newest one, and is told so
    sample = (EVENTS / "flow_status.json").read_bytes()
    filled = local_stack.request("POST", "/_local/invoke/FlowStatusFunction", raw=sample)
    assert filled.headers["X-Chiave-Local-Token"].endswith(linked[-1]["to"])
    assert filled.json["statusCode"] == 200
    # And the notify sample (its commit never landed) sends nothing
    before = len(local_stack.request("GET", "/_local/outbox").json["emails"])
    notified = local_stack.request(
        "POST", "/_local/invoke/NotifyFunction", raw=(EVENTS / "notify.json").read_bytes()
    )
    assert notified.status == 200 and notified.json == {"batchItemFailures": []}
    assert len(local_stack.request("GET", "/_local/outbox").json["emails"]) == before
    # The mailbox page shows them, newest first, links clickable
    mailbox = local_stack.request("GET", "/_local/mailbox")
    assert mailbox.status == 200 and '<a href="http' in mailbox.text and to in mailbox.text
