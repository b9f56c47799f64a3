"""CSV for Russian Excel (UTF-8 with a BOM, «;»), safe against formula injection: the one place that decides
how a cell is written.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by a
spreadsheet (OWASP «CSV injection»): it gets a leading apostrophe, which Excel and LibreOffice show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from flask import Response

#: What a spreadsheet reads as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The text of a cell, with a leading ``'`` when a spreadsheet would take it for a formula; decimals with a
    comma, as Russian Excel reads them."""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """The BOM, then one «;»-separated line per row, every cell through ``safe_cell``; for a streamed response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    yield "\ufeff"
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def csv_download(rows: Iterable[Iterable[object]], filename: str) -> Response:
    """A whole (small) CSV as a download: the same BOM, separator and safe cells as the streamed one."""
    return Response(
        "".join(csv_lines(rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )
