"""The adhesion form's PDF: one page that holds what the office checks,
whatever letters a name is written in."""

from __future__ import annotations

from pathlib import Path

import pytest

from chiave.domain import AdhesionForm
from chiave.notify import adhesion_form
from chiave.notify.outbox import Notice
from tests.pdf import pdf_pages

FONTS = Path(__file__).resolve().parents[2] / "functions" / "notify" / "fonts"
# As long a name as a school has (the ministry's registry).
SCHOOL_NAME = (
    "Istituto Comprensivo Statale «Giuseppe Garibaldi – Anita de Jesus» di San Giovanni in Persiceto"
)
# 3 December 2026, 10:00 in Rome.
ISSUED_AT = 1796288400

# Names an Italian school's anagrafica holds: accents, apostrophes, and the
# letters of families from the rest of Europe and beyond.
NAMES = [
    ("D'ANNUNZIO", "Niccolò Gabriele"),
    ("Lo Giudice", "Maria Concetta Àurea"),
    ("Żółkiewska", "Łucja"),
    ("Nguyễn", "Thị Hương"),
    ("Çelik", "Ayşe Gül"),
    ("Ştefănescu", "Ionuţ"),
    ("Đorđević", "Dušan"),
    ("Þórsdóttir", "Guðrún"),
    ("Παπαδόπουλος", "Αλέξανδρος"),
    ("Иванова", "Дарья"),
    ("Ben Aïssa", "Yasmine Ñúñez"),
    ("Van der Berg-Øvergård", "Åse Ærø " + "Marie-Thérèse " * 3),
]


def _form(surname: str, name: str) -> AdhesionForm:
    return AdhesionForm(
        school_id="RMIC817009",
        school_name=SCHOOL_NAME,
        surname=surname,
        name=name,
        codice_fiscale="RSSMRA82C52H501K",
        user_code="817536758",
        issued_at=ISSUED_AT,
    )


@pytest.mark.parametrize(("surname", "name"), NAMES)
def test_the_form_is_one_page_that_holds_the_person_and_what_to_bring(surname, name):
    # Given a person's adhesion form
    form = _form(surname, name)
    # When it is drawn
    pages = pdf_pages(adhesion_form.pdf(form, FONTS))
    # Then it is one page whose text holds every field the office checks
    assert len(pages) == 1
    text = " ".join(pages[0].split())
    for expected in (
        SCHOOL_NAME,
        "RMIC817009",
        " ".join(surname.split()),
        " ".join(name.split()),
        "RSSMRA82C52H501K",
        "817536758",
        "ADE-RMIC817009-817536758",
        "03/12/2026",
        "documento d'identità",
        "tessera sanitaria",
        "delega scritta",
        "Firma del richiedente",
        "Riservato alla segreteria",
    ):
        assert expected in text, expected


def test_a_notice_carries_the_form_and_notify_draws_the_same_one():
    # Given the mail a flow queues for an account awaiting identification
    form = _form("Rossi", "Maria")
    template, params = adhesion_form.done_mail(form.user_code, form)
    notice = Notice(
        template=template,
        language="it",
        to="maria.rossi@example.it",
        school_name=form.school_name,
        reply_to="segreteria@example.it",
        params={"name": form.name, **params},
    )
    # Then notify rebuilds the same form from it, and attaches it under its reference
    assert template == "activation_awaiting_identification"
    assert adhesion_form.from_notice(notice) == form
    attachment = adhesion_form.attachment(notice, FONTS)
    assert attachment.filename == "modulo-adesione-ADE-RMIC817009-817536758.pdf"
    assert attachment.content_type == "application/pdf"
    # And without a form the mail is the plain confirmation
    assert adhesion_form.done_mail("817536758", None) == ("activation_done", {"user_code": "817536758"})


@pytest.mark.parametrize("missing", ["form_school", "surname", "codice_fiscale", "issued_at", "user_code"])
def test_a_notice_without_a_field_of_the_form_is_refused_not_drawn_blank(missing):
    form = _form("Rossi", "Maria")
    _template, params = adhesion_form.done_mail(form.user_code, form)
    params = {"name": "Maria", **params}
    del params[missing]
    notice = Notice(
        template="activation_awaiting_identification",
        language="it",
        to="maria.rossi@example.it",
        school_name=form.school_name,
        reply_to="segreteria@example.it",
        params=params,
    )
    with pytest.raises(ValueError, match=missing):
        adhesion_form.from_notice(notice)
