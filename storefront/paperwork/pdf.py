"""A4 PDF documents (invoice, УПД, quote, reconciliation statement) drawn with fpdf2.

fpdf2's built-in fonts are Latin-1 only, so every document is set in DejaVu Sans, shipped beside this module
(``fonts/``, Bitstream Vera licence) rather than taken from the system, which may have no Cyrillic font at all.
A document is built top to bottom with the few blocks all our documents need; the caller passes text that is
already translated and formatted (amounts through ``format_rub``), so this module knows nothing of orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Literal

from fpdf import FPDF
from fpdf.fonts import FontFace

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
Align = Literal["LEFT", "RIGHT", "CENTER"]


@dataclass(frozen=True)
class Column:
    title: str
    #: A share of the text width; the shares of a table's columns are relative to each other.
    width: float
    align: Align = "LEFT"


Orientation = Literal["portrait", "landscape"]


class DocumentPdf:
    """One A4 document, portrait unless told (the УПД's fifteen columns want landscape); ``output()`` gives its
    bytes. Every page has the same orientation."""

    def __init__(self, title: str, *, author: str = "", orientation: Orientation = "portrait") -> None:
        self._pdf = FPDF(orientation=orientation, unit="mm", format="A4")
        margin = 15 if orientation == "portrait" else 10  # landscape: room for wide tables
        self._pdf.set_margins(margin, margin, margin)
        self._pdf.set_auto_page_break(auto=True, margin=margin)
        self._pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self._pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self._pdf.set_title(title)
        self._pdf.set_author(author)
        self._pdf.set_creator("Mostik")
        self._pdf.add_page()
        self._pdf.set_font(FAMILY, size=9)

    def heading(self, text: str, *, size: float = 13) -> None:
        self._pdf.set_font(FAMILY, "B", size)
        self._pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(1.5)
        self._pdf.set_font(FAMILY, size=9)

    def text(self, text: str, *, size: float = 9, bold: bool = False) -> None:
        self._pdf.set_font(FAMILY, "B" if bold else "", size)
        self._pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self._pdf.set_font(FAMILY, size=9)

    def fields(self, pairs: Sequence[tuple[str, str]], *, label_share: float = 0.3) -> None:
        """Label: value lines (requisites, parties) as a borderless two-column table."""
        width = self._pdf.epw
        with self._pdf.table(
            col_widths=(label_share, 1 - label_share),
            width=width,
            first_row_as_headings=False,
            borders_layout="NONE",
            line_height=4.5,
            padding=0.6,
        ) as table:
            for label, value in pairs:
                row = table.row()
                row.cell(label, style=FontFace(emphasis="BOLD"))
                row.cell(value)

    def table(self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, size: float = 9) -> None:
        """A ruled table with a bold heading row; long cells wrap. A smaller ``size`` fits many columns."""
        self._pdf.set_font(FAMILY, size=size)
        with self._pdf.table(
            col_widths=tuple(column.width for column in columns),
            text_align=tuple(column.align for column in columns),
            headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
            line_height=size * 0.5,
            padding=1,
        ) as table:
            heading = table.row()
            for column in columns:
                heading.cell(column.title)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(value)
        self._pdf.set_font(FAMILY, size=9)

    def image(self, png: bytes, *, width: float) -> None:
        self._pdf.image(BytesIO(png), w=width)

    def space(self, height: float = 4) -> None:
        self._pdf.ln(height)

    def output(self) -> bytes:
        return bytes(self._pdf.output())
