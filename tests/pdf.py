"""What a PDF says: its pages' text (pypdf), for the adhesion form's tests."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-"), "not a PDF"
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def pdf_text(data: bytes) -> str:
    return "\n".join(pdf_pages(data))
