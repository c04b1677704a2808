"""The adhesion form (modulo di adesione) as a PDF, attached by notify to the
e-mail that ends an activation awaiting in-person identification.

fpdf2 (with Pillow and fonttools) is in notify's own requirements, not the
layer's: it is imported by `pdf()` only, so no other function loads it and
notify pays for it on the first form of a container, never on its other mail.
The font is DejaVu Sans, shipped with notify (functions/notify/fonts): it has
every letter of Italian and of the Latin, Greek and Cyrillic names a school's
anagrafica holds. The text is Italian first, English beneath in grey.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chiave.domain import AdhesionForm
from chiave.italian import clock

if TYPE_CHECKING:
    from chiave.notify.outbox import Notice, Template
    from chiave.notify.rendering import Attachment

FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
CONTENT_TYPE = "application/pdf"
# The notice's params that carry the form beside `name` and `user_code`.
_FIELDS = ("form_school", "surname", "codice_fiscale", "issued_at")

WHAT_TO_BRING = [
    (
        "questo modulo, da firmare davanti all'operatore della segreteria;",
        "this form, to be signed in front of the school office's staff;",
    ),
    (
        "un tuo documento d'identità valido;",
        "a valid identity document of yours;",
    ),
    (
        "la tessera sanitaria o un altro documento con il tuo codice fiscale.",
        "your health card or another document with your codice fiscale.",
    ),
    (
        "Se non puoi venire tu: la persona che mandi porta la tua delega scritta e firmata, "
        "la copia del tuo documento e il proprio documento d'identità.",
        "If you cannot come: the person you send brings your signed written proxy, a copy of "
        "your document and their own identity document.",
    ),
]


def params(form: AdhesionForm) -> dict[str, str]:
    """What a notice carries of the form (notify draws it from these)."""
    return {
        "form_school": form.school_id,
        "surname": form.surname,
        "codice_fiscale": form.codice_fiscale,
        "issued_at": str(form.issued_at),
        "form_reference": form.reference,
    }


def done_mail(user_code: str, form: AdhesionForm | None) -> tuple[Template, dict[str, str]]:
    """The template and params of the mail that ends an activation: with the
    form, when the account waits for in-person identification."""
    if form is None:
        return "activation_done", {"user_code": user_code}
    return "activation_awaiting_identification", {"user_code": user_code, **params(form)}


def from_notice(notice: Notice) -> AdhesionForm:
    values = notice.params
    missing = [name for name in (*_FIELDS, "name", "user_code") if not values.get(name)]
    if missing:
        raise ValueError(f"the notice lacks the form's {', '.join(missing)}")
    return AdhesionForm(
        school_id=values["form_school"],
        school_name=notice.school_name,
        surname=values["surname"],
        name=values["name"],
        codice_fiscale=values["codice_fiscale"],
        user_code=values["user_code"],
        issued_at=int(values["issued_at"]),
    )


def attachment(notice: Notice, fonts: Path) -> Attachment:
    """The form a notice announces, as its e-mail's attachment."""
    from chiave.notify.rendering import Attachment

    form = from_notice(notice)
    return Attachment(f"modulo-adesione-{form.reference}.pdf", CONTENT_TYPE, pdf(form, fonts))


def pdf(form: AdhesionForm, fonts: Path) -> bytes:
    """The form on one A4 page."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    document = FPDF(format="A4")
    document.set_margins(18, 12, 18)
    document.set_auto_page_break(auto=True, margin=10)
    for style, file in FONT_FILES.items():
        document.add_font("DejaVu", style, fonts / file)
    document.set_lang("it")
    document.set_title(f"Modulo di adesione {form.reference}")
    document.set_author(form.school_name)
    document.set_creator("Chiave")
    document.set_creation_date(clock.rome(form.issued_at))
    document.add_page()
    width = document.epw

    def line(text: str, size: float = 10.5, bold: bool = False, grey: bool = False, gap: float = 0) -> None:
        document.set_font("DejaVu", "B" if bold else "", size)
        document.set_text_color(90 if grey else 0)
        document.multi_cell(width, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if gap:
            document.ln(gap)

    def pair(italian: str, english: str, size: float = 10.5, bold: bool = False, gap: float = 2) -> None:
        line(italian, size, bold)
        line(english, size - 2, grey=True, gap=gap)

    def field(label: str, label_en: str, value: str) -> None:
        document.set_font("DejaVu", "", 9)
        document.set_text_color(90)
        document.cell(62, 6.5, f"{label} ({label_en})", new_x=XPos.RIGHT, new_y=YPos.TOP)
        # A long name is set smaller, then wrapped: never cut.
        size = 12.0
        document.set_font("DejaVu", "B", size)
        while size > 8 and document.get_string_width(value) * size / 12 > width - 64:
            size -= 0.5
        document.set_font("DejaVu", "B", size)
        document.set_text_color(0)
        document.multi_cell(
            width - 62, 6.5, value, border="B", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        document.ln(1)

    def boxes(labels: list[tuple[str, str]], height: float) -> None:
        top = document.get_y()
        each = (width - 6 * (len(labels) - 1)) / len(labels)
        for index, (label, label_en) in enumerate(labels):
            left = document.l_margin + index * (each + 6)
            document.rect(left, top, each, height)
            document.set_xy(left + 2, top + 1.5)
            document.set_font("DejaVu", "", 8.5)
            document.set_text_color(60)
            document.multi_cell(each - 4, 4, f"{label}\n{label_en}", align="L")
        document.set_xy(document.l_margin, top + height + 4)

    pair(form.school_name, f"Codice meccanografico {form.school_id}", size=12, bold=True, gap=3)
    pair(
        "Modulo di adesione al registro elettronico",
        "Adhesion form: school register credentials",
        size=16,
        bold=True,
        gap=4,
    )
    field("Riferimento", "reference", form.reference)
    field("Data", "date", clock.rome(form.issued_at).strftime("%d/%m/%Y"))
    document.ln(2)
    field("Cognome", "surname", form.surname)
    field("Nome", "name", form.name)
    field("Codice fiscale", "tax code", form.codice_fiscale)
    field("Codice utente", "user code", form.user_code)
    document.ln(3)
    pair(
        f"Chiedo l'attivazione delle credenziali del registro elettronico di {form.school_name} "
        "con il codice utente indicato e dichiaro che i dati di questo modulo sono corretti.",
        "I ask for my school register credentials to be activated with the user code above, "
        "and I declare that the details on this form are correct.",
        gap=4,
    )
    pair("Cosa portare in segreteria", "What to bring to the school office", size=11.5, bold=True)
    for italian, english in WHAT_TO_BRING:
        pair(f"• {italian}", f"  {english}", size=10, gap=1)
    document.ln(4)
    boxes([("Luogo e data", "place and date"), ("Firma del richiedente", "signature")], 18)
    pair("Riservato alla segreteria", "For the school office", size=11.5, bold=True)
    boxes(
        [
            ("Documento: tipo e ultime 4 cifre del numero", "document: type and last 4 characters"),
            ("☐ di persona   ☐ persona delegata con delega", "☐ in person   ☐ delegate with proxy"),
        ],
        13,
    )
    boxes([("Operatore e data", "staff member and date"), ("Firma e timbro", "signature and stamp")], 18)
    line(
        f"La segreteria registra l'identificazione in Chiave con il riferimento {form.reference}: "
        "da quel momento le credenziali sono attive.",
        size=8.5,
        grey=True,
    )
    return bytes(document.output())
