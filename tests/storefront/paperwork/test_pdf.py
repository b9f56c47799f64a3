"""The PDF drawing every document uses: Cyrillic text survives into the file, as an accountant's software reads it."""

from __future__ import annotations

from io import BytesIO

import segno
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from storefront.paperwork.pdf import Column, DocumentPdf


def extracted_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_a_document_keeps_its_russian_text_tables_and_fields() -> None:
    document = DocumentPdf("Счёт № 1", author="ООО «Мостик»")
    document.heading("Счёт на оплату № 1 от 6 декабря 2026 г.")
    document.fields([("Получатель", "ООО «Мостик»"), ("ИНН", "7707083893")])
    document.table(
        [Column("Товар", 4), Column("Кол-во", 1, "RIGHT"), Column("Сумма", 2, "RIGHT")],
        [["Чехол для iPhone 15, силикон, чёрный", "120", "36 000,00 ₽"]] * 60,
    )
    document.text("Итого к оплате: 2 160 000,00 ₽", bold=True)

    pdf = document.output()

    assert pdf.startswith(b"%PDF-")
    text = extracted_text(pdf)
    assert "Счёт на оплату № 1" in text
    assert "7707083893" in text
    assert "Чехол для iPhone 15" in text
    assert "Итого к оплате" in text
    assert len(PdfReader(BytesIO(pdf)).pages) > 1, "a long table must flow onto the next page"
    assert PdfReader(BytesIO(pdf)).metadata.title == "Счёт № 1"


def test_an_image_is_placed_and_reads_back() -> None:
    payload = "ST00012|Name=ООО «Мостик»|Sum=100"
    png = BytesIO()
    segno.make(payload, error="m", encoding="utf-8").save(png, kind="png", scale=6, border=4)
    document = DocumentPdf("QR")
    document.image(png.getvalue(), width=40)

    pdf = PdfReader(BytesIO(document.output()))
    images = pdf.pages[0].images
    assert len(images) == 1
    decoded = zxingcpp.read_barcodes(Image.open(BytesIO(images[0].data)))
    assert [code.text for code in decoded] == [payload]
