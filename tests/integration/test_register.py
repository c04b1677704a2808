"""register through its handler, against moto."""

from __future__ import annotations

import re

import pytest

from chiave.italian import codice_fiscale

KNOWN = "RSSMRA82C52H501K"  # Maria Rossi, with e-mail
NO_EMAIL = "VRDGLI85L61H501C"  # Giulia Verdi, no e-mail
UNKNOWN = "BNCGNN80A01H501T"  # valid, not in the anagrafica


def test_register_emails_an_activation_link_to_the_person(stack, load_event):
    # Given a person in the anagrafica with an e-mail
    # When they ask for credentials
    response = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    # Then the answer is 202 and an activation link reaches their mailbox
    assert response.status == 202
    emails = stack.deliver()
    assert [e["to"] for e in emails] == ["maria.rossi@example.it"]
    assert re.search(r"https://registro\.example\.it/attiva#token=[A-Za-z0-9_-]{43}\s", emails[0]["text"])
    assert "entro 72 ore" in emails[0]["text"]


def test_register_accepts_lowercase_and_spaced_codes(stack, load_event):
    # Given the person's code typed in lower case with spaces
    response = stack.call(
        "RegisterFunction", load_event("register", body={"codice_fiscale": "rssmra 82c52 h501k"})
    )
    # Then it reaches her
    assert response.status == 202
    assert [e["to"] for e in stack.deliver()] == ["maria.rossi@example.it"]


def test_twins_sharing_a_base_code_stay_two_people(stack, load_event):
    # Given Maria and her twin Marta, to whom the Agency gave an omocode of Maria's code
    from chiave.domain import Person, Role
    from chiave.store import people

    twin = "RSSMRA82C52H5L1V"
    assert codice_fiscale.is_valid(twin) and codice_fiscale.canonical(twin) == twin
    with stack.env():
        people.put_people(
            [Person("RMIC817009", twin, "Rossi", "Marta", Role.GENITORE, email="marta.rossi@example.it")]
        )
    # When each registers with her own code
    for code in (twin, KNOWN):
        response = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": code}))
        assert response.status == 202
    # Then each link reaches its own person
    assert [e["to"] for e in stack.deliver()] == ["marta.rossi@example.it", "maria.rossi@example.it"]
    # And once Maria is active, a reset asked with Marta's code never reaches Maria
    from tests.integration.helpers import confirm, last_token, request_reset

    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    assert confirm(stack, load_event, last_token(stack)).status == 200
    sent_before = len(stack.deliver())
    assert request_reset(stack, load_event, twin).status == 202
    assert len(stack.deliver()) == sent_before


def test_private_mode_answers_the_same_for_known_and_unknown_people(stack, load_event):
    # Given the default (private) disclosure
    answers = []
    for cf in (KNOWN, UNKNOWN, NO_EMAIL):
        # When a known person, an unknown one and one without e-mail register
        response = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
        answers.append((response.status, response.headers, response.raw["body"]))
    # Then status, headers and body are identical
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202
    assert "email_hint" not in answers[0][2]


def test_private_mode_tells_an_already_registered_person_by_mail_only(stack, load_event):
    # Given an account that already has credentials
    from tests.integration.helpers import activate

    activate(stack, load_event, KNOWN)
    # When the person registers again
    response = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    # Then the answer is the usual 202 and the mailbox explains
    assert response.status == 202
    assert "già presenti delle credenziali" in stack.deliver()[-1]["text"]


def test_explicit_mode_says_the_seed_messages_facts_in_chiave_s_voice(stack, load_event):
    # Given a school that chose explicit disclosure
    stack.set_policy(disclosure="explicit", otp_required_for_activation=False)
    # When an unknown person registers
    unknown = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": UNKNOWN}))
    # Then they read Vivoscuola's facts (not in the anagrafica; ask the office), in "tu", with a full stop
    assert unknown.status == 404
    assert unknown.headers["Content-Type"] == "application/problem+json"
    assert unknown.body["code"] == "person_not_found"
    assert unknown.body["detail"] == (
        "Il codice fiscale che hai scritto non è nell'anagrafica della scuola. "
        "Rivolgiti alla segreteria della scuola."
    )
    no_email = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": NO_EMAIL}))
    assert (no_email.status, no_email.body["code"]) == (422, "email_missing")
    assert no_email.body["detail"].startswith("La scuola non ha un tuo indirizzo e-mail.")
    known = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    assert (known.status, known.body["email_hint"]) == (202, "m*****i@example.it")


def test_explicit_mode_says_already_registered(stack, load_event):
    from tests.integration.helpers import activate

    activate(stack, load_event, KNOWN)
    stack.set_policy(disclosure="explicit")
    response = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    assert (response.status, response.body["code"]) == (409, "already_registered")
    # The seed's fact, and the next step: Password dimenticata
    assert response.body["detail"] == (
        "Per questo codice fiscale le credenziali ci sono già. Se hai dimenticato la password, "
        "usa Password dimenticata."
    )


def test_an_invalid_codice_fiscale_is_refused_in_either_mode(stack, load_event):
    for disclosure in ("private", "explicit"):
        stack.set_policy(disclosure=disclosure)
        bad_check = KNOWN[:15] + ("A" if KNOWN[15] != "A" else "B")
        response = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": bad_check}))
        assert (response.status, response.body["code"]) == (422, "invalid_codice_fiscale")
        assert response.body["detail"].startswith("Il codice fiscale non è valido")
    assert stack.queued() == 0


def test_an_unknown_school_is_a_404(stack, load_event):
    event = load_event("register", body={"codice_fiscale": KNOWN}, path_parameters={"school": "MIIC000000"})
    response = stack.call("RegisterFunction", event)
    assert (response.status, response.body["code"]) == (404, "school_not_found")


def test_requests_per_identifier_are_limited_whether_or_not_the_person_exists(stack, load_event):
    # Given the default limit of 5 requests per identifier per hour
    for cf in (KNOWN, UNKNOWN):
        for _ in range(5):
            ok = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
            assert ok.status == 202
        # When a sixth request comes
        refused = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
        # Then it is refused with Retry-After, and nothing more is sent
        assert (refused.status, refused.body["code"]) == (429, "rate_limited")
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert len(stack.deliver()) == 5


def test_requests_per_ip_are_limited_across_identifiers(stack, load_event):
    # Given a school allowing 10 requests per IP per hour
    stack.set_policy(requests_per_ip_per_hour=10)
    people = [KNOWN, UNKNOWN, NO_EMAIL]
    statuses = []
    for attempt in range(11):
        event = load_event("register", body={"codice_fiscale": people[attempt % 3]}, source_ip="203.0.113.9")
        statuses.append(stack.call("RegisterFunction", event).status)
    # Then the eleventh request from that address is refused
    assert statuses == [202] * 10 + [429]
    # And another address is not affected
    other = load_event("register", body={"codice_fiscale": KNOWN}, source_ip="203.0.113.10")
    assert stack.call("RegisterFunction", other).status == 202


def test_the_school_language_chooses_the_mail_language(stack, load_event):
    # Given a school whose language is English
    stack.set_policy(otp_required_for_activation=False, language="en")
    # When a person registers
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    # Then the activation e-mail is in English only
    email = stack.deliver()[-1]
    assert email["subject"] == "Activate your school register credentials"
    assert "Gentile" not in email["text"]


def test_link_lifetimes_follow_the_policy(stack, load_event):
    stack.set_policy(otp_required_for_activation=False, activation_link_lifetime_s=7200)
    stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    assert "entro 2 ore" in stack.deliver()[-1]["text"]


def _operations(stack, function_id, event):
    """The AWS operations one invocation makes, in order."""
    from chiave_local.emulator.calls import recording

    stack.call(function_id, event)  # warm: clients exist afterwards
    with recording() as made:
        stack.call(function_id, event)
    return [operation.split(":")[1] for operation in made]


def test_private_mode_makes_the_same_aws_calls_for_known_and_unknown_people(stack, load_event):
    # Given private disclosure, When a known, an unknown and an unreachable person register
    calls = [
        _operations(stack, "RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
        for cf in (KNOWN, UNKNOWN, NO_EMAIL)
    ]
    # Then each answer cost the same round trips, so timing tells nothing
    assert calls[0] == calls[1] == calls[2] == ["BatchGetItem", "SendMessage", "TransactWriteItems"]
    # And only the known person gets mail; the cover notices are dropped by notify
    assert [email["to"] for email in stack.deliver()] == ["maria.rossi@example.it"] * 2
    assert stack.queued() == 0


def _student_born(born) -> str:
    """A student's valid codice fiscale for a birth date."""
    from chiave.italian.codice_fiscale import MONTH_LETTERS, check_character

    first = f"VRDLCU{born.year % 100:02d}{MONTH_LETTERS[born.month - 1]}{born.day:02d}H501"
    return first + check_character(first)


@pytest.mark.parametrize(("days_to_birthday", "allowed"), [(-1, True), (0, True), (1, False)])
def test_a_student_registers_only_from_the_school_s_minimum_age(stack, load_event, days_to_birthday, allowed):
    from datetime import UTC, date, datetime, timedelta

    from chiave.domain import Person, Role
    from chiave.store import people

    # Given a student who turns 14 in `days_to_birthday` days (the default minimum age)
    today = datetime.now(tz=UTC).date()
    birthday = today + timedelta(days=days_to_birthday)
    cf = _student_born(date(birthday.year - 14, birthday.month, birthday.day))
    with stack.env():
        student = Person("RMIC817009", cf, "Verdi", "Luca", Role.STUDENTE, email="luca.verdi@example.it")
        people.put_people([student])
    stack.set_policy(disclosure="explicit", otp_required_for_activation=False)
    # When the student asks for credentials
    answer = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
    # Then from the birthday on a link is sent; before it the school says why, and sends nothing
    sent = [mail for mail in stack.deliver() if "luca.verdi@example.it" in str(mail["to"])]
    if allowed:
        assert answer.status == 202 and len(sent) == 1
    else:
        assert (answer.status, answer.body["code"]) == (403, "student_too_young") and sent == []


LUCA = "BNCLCU79S05F205Y"  # e-mail, no mobile


@pytest.mark.parametrize("disclosure", ["private", "explicit"])
def test_under_a_due_vie_a_parent_without_a_mobile_gets_no_link_but_is_told_by_mail(
    stack, load_event, disclosure
):
    # Given the default policy: activation needs an SMS code
    stack.set_policy(disclosure=disclosure)
    before = len(stack.deliver())
    # When Luca, who has no mobile on file, and Maria, who has one, register
    luca = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": LUCA}))
    maria = stack.call("RegisterFunction", load_event("register", body={"codice_fiscale": KNOWN}))
    # Then privately both answers are the same; explicitly Luca is told to give the school a mobile
    if disclosure == "private":
        assert (luca.status, luca.raw["body"]) == (maria.status, maria.raw["body"]) == (202, luca.raw["body"])
    else:
        assert (luca.status, luca.body["code"]) == (422, "mobile_missing")
    # And Luca's mail carries no link that could not be completed: it says what to do, and where
    luca_mail, maria_mail = stack.deliver()[before:]
    assert luca_mail["to"] == "luca.bianchi@example.it" and "#token=" not in luca_mail["text"]
    assert "numero di cellulare alla segreteria" in luca_mail["text"]
    assert "/?scuola=RMIC817009" in luca_mail["text"]
    assert "#token=" in maria_mail["text"]


def test_without_a_mobile_the_invitation_skips_and_the_report_calls_naming_it(stack, load_event):
    # Given the default policy, and Luca pending without a mobile
    stack.set_policy()
    # When ops invites the parents and asks for the report
    invited = stack.functions.invoke("InviteFunction", load_event("invite"))
    report = stack.functions.invoke("SchoolReportFunction", load_event("school_report"))
    # Then Luca is skipped as no_mobile, and the call list names him for it
    assert invited["skipped_by_reason"].get("no_mobile") == 1, invited
    reasons = {row["codice_fiscale"]: row["motivo"] for row in report["call_list"]}
    assert reasons[LUCA] == "no_mobile", report


def test_a_parent_without_a_mobile_costs_the_same_calls_as_one_who_gets_a_link(stack, load_event):
    # Given "a due vie", When Luca (no mobile), Maria (a mobile) and nobody register
    stack.set_policy()
    calls = [
        _operations(stack, "RegisterFunction", load_event("register", body={"codice_fiscale": cf}))
        for cf in (LUCA, KNOWN, UNKNOWN)
    ]
    # Then each answer cost the same round trips: whether a link went out tells nothing
    assert calls[0] == calls[1] == calls[2] == ["BatchGetItem", "SendMessage", "TransactWriteItems"]
