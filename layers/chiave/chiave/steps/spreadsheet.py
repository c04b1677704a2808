"""The CSV files Chiave writes for a school office (the import's report, the
school report's call list), made safe to open in a spreadsheet.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a
formula to Excel and LibreOffice: a name or an e-mail from an anagrafica
could run one on the secretary's machine (CSV injection). As OWASP advises,
such a cell is written with a leading apostrophe, which makes it text; the
writer quotes any cell holding the separator, a quote or a line break."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """`;`-separated, as Italian spreadsheets open it, every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow([cell(name) for name in header])
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()
