"""What every printable document is drawn with, knowing nothing of orders: A4 PDFs in a shipped Cyrillic font
(``pdf.py``), the ГОСТ Р 56042-2014 payment QR code (``payment_qr.py``), rouble amounts in Russian words
(``words.py``). The invoice (``storefront.order``), the closing documents (``storefront.documents``) and quotes
build on it."""
