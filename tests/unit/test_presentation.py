"""Masks, language negotiation, problem documents and e-mail rendering."""

from __future__ import annotations

import json

import pytest

from chiave.api.messages import CATALOGUE
from chiave.api.problems import negotiate_language, problem
from chiave.notify import rendering
from chiave.notify.outbox import Notice
from chiave.runtime import masking


def test_masks():
    assert masking.mask_email("daniela.rossi@gmail.com") == "d*****i@gmail.com"
    assert masking.mask_email("d@gmail.com") == "d*****@gmail.com"
    assert masking.mask_codice_fiscale("RSSMRA82C52H501K") == "RSS************K"
    assert masking.mask_phone("+393331234567") == "+39*******567"


@pytest.mark.parametrize(
    "header, language",
    [
        (None, "it"),
        ("", "it"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("it-IT,it;q=0.9,en;q=0.8", "it"),
        ("fr-FR,en;q=0.5", "en"),
        ("de", "it"),
        ("en;q=0.2,it;q=0.9", "it"),
        ("en;q=bogus", "it"),
    ],
)
def test_language_negotiation(header, language):
    assert negotiate_language(header) == language


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_problem_has_both_languages(code):
    status, headers, body = problem(code, "it")
    italian = json.loads(body)
    english = json.loads(problem(code, "en")[2])
    assert headers["Content-Type"] == "application/problem+json"
    assert italian["status"] == status == english["status"]
    assert italian["code"] == code
    assert italian["detail"] != english["detail"]


def _notice(template: str, language: str = "it", **params: str) -> Notice:
    return Notice(
        template=template,
        language=language,
        to="maria.rossi@example.it",
        school_name="IC Test",
        reply_to="segreteria@example.it",
        params=params,
    )


def test_italian_mail_comes_first_then_english():
    rendered = rendering.render(
        _notice("activation", name="Maria", link="https://x/attiva#token=T", hours="72")
    )
    assert rendered.subject == "Attivazione delle credenziali del registro elettronico"
    assert rendered.text.index("Gentile Maria") < rendered.text.index("Dear Maria")
    assert '<a href="https://x/attiva#token=T">' in rendered.html


def test_html_escapes_what_it_renders():
    rendered = rendering.render(_notice("activation_done", name="<script>", user_code="817536758"))
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_mime_message_has_both_parts_and_the_school_as_reply_to():
    notice = _notice("password_changed", "en", name="Maria", user_code="817536758")
    raw = rendering.mime_message(notice, rendering.render(notice), "noreply@chiave.example").decode()
    assert "multipart/alternative" in raw
    assert "Reply-To: segreteria@example.it" in raw
    assert "IC Test (Chiave)" in raw


GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)


HOST = "registro.istitutocomprensivo-esempio.edu.it"


def test_an_sms_code_fits_one_gsm7_part_in_every_language():
    from chiave.notify.outbox import Notice
    from chiave.notify.rendering import SMS_MAX_CHARACTERS, render_sms

    for language in ("it", "en"):
        # Given the longest code and a long portal host
        notice = Notice(
            channel="sms",
            template="otp",
            language=language,
            to="+393331234567",
            school_name="Istituto Comprensivo Statale di Esempio",
            reply_to="segreteria@example.it",
            params={
                "code": "12345678",
                "minutes": "10",
                "host": "registro.istitutocomprensivo-esempio.edu.it",
            },
        )
        text = render_sms(notice)
        # Then it is one part of the GSM 7-bit alphabet, ending with the origin-bound line
        assert len(text) <= SMS_MAX_CHARACTERS, (language, len(text))
        assert set(text) <= GSM7_BASIC, set(text) - GSM7_BASIC
        assert text.endswith(f"\n\n@{HOST} #12345678")


def test_every_mail_links_the_privacy_notice_of_its_school_s_pages(monkeypatch):
    # Given the deployment's pages, and a school with a portal of its own
    monkeypatch.setenv("PORTAL_URL", "https://d111.cloudfront.net")
    own = _notice("already_registered", name="Maria", portal_url="https://registro.scuola.it/")
    link = "https://registro.scuola.it/recupera#token=T"
    linked = _notice("reset", name="Maria", minutes="60", user_code="123456789", link=link).model_copy(
        update={"link_base": "https://registro.scuola.it/recupera#token="}
    )
    default = _notice("password_changed", name="Maria", user_code="123456789")
    # Then each mail's footer names the privacy notice of the pages it belongs to
    for notice, url in (
        (own, "https://registro.scuola.it/privacy"),
        (linked, "https://registro.scuola.it/privacy"),
        (default, "https://d111.cloudfront.net/privacy"),
    ):
        rendered = rendering.render(notice)
        assert f"Informativa privacy (privacy notice): {url}" in rendered.text, notice.template
        assert f'<a href="{url}">' in rendered.html, notice.template


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize("rest", ["", "1+1", 'HYPERLINK("https://evil.example")', "cmd|' /C calc'!A0"])
def test_a_spreadsheet_cell_never_starts_a_formula(start, rest):
    # Given a value that a spreadsheet would run
    from chiave.steps import spreadsheet

    value = start + rest
    # When it is written as a cell, Then it is text, the value intact after the apostrophe
    assert spreadsheet.cell(value) == "'" + value
    text = spreadsheet.csv_text(["a"], [[value]])
    assert text.splitlines()[1].lstrip('"').startswith("'")


@pytest.mark.parametrize("value", ["Rossi", "maria.rossi@example.it", "393331234567", "", None, 7])
def test_an_ordinary_cell_is_written_as_it_is(value):
    from chiave.steps import spreadsheet

    assert spreadsheet.cell(value) == ("" if value is None else str(value))


# What a parent reads is in Chiave's voice: "tu", full stops, one spelling of e-mail.
IMPERSONAL = (
    "Rivolgersi",
    "Richiedere",
    "Riprovare",
    "Controllare",
    "occorre",
    "Si prega",
    "Inserire",
    "Inviare",
)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_problem_speaks_to_the_parent_in_one_voice(code):
    message = CATALOGUE[code]
    for detail in (message.detail_it, message.detail_en):
        assert detail.endswith("."), (code, detail)
    assert not [word for word in IMPERSONAL if word in message.detail_it], (code, message.detail_it)
    assert "email" not in message.detail_it.replace("e-mail", ""), (code, message.detail_it)


def _rendered_paragraphs(template: str, language: str) -> list[str]:
    names = (
        "name",
        "hours",
        "minutes",
        "user_code",
        "code",
        "email_hint",
        "phone_hint",
        "cool_off_hours",
        "form_reference",
    )
    params = {name: "x" for name in names} | {"link": "https://portale.example.it/pagina#token=t"}
    notice = Notice(
        template=template,
        language=language,
        to="genitore@example.it",
        school_name="IC Via Roma",
        reply_to="segreteria@example.it",
        params={**params, "portal_url": "https://portale.example.it", "change": "app", "usable_from": "0"},
        school_id="RMIC817009",
    )
    return rendering._paragraphs(notice, language)[1]


@pytest.mark.parametrize("template", sorted(rendering._TEXTS))
def test_every_mail_that_names_password_dimenticata_links_that_page_for_its_school(template):
    for language, names in (("it", "Password dimenticata"), ("en", "Forgot password")):
        for paragraph in _rendered_paragraphs(template, language):
            if names in paragraph and "https://" in paragraph:
                assert "https://portale.example.it/password-dimenticata?scuola=RMIC817009" in paragraph, (
                    template,
                    paragraph,
                )
            assert "sei stato tu" not in paragraph and "email " not in paragraph.replace("e-mail", ""), (
                paragraph
            )
