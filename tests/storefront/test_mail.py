"""``build_message`` (email.mime, RFC 2047 for Russian text) as a mail client reads it after the real SMTP server."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.mime.text import MIMEText

import pytest
from flask import Flask

from storefront.mail import MailConnection, MailSettings, build_message
from tests.fixtures.mail import Mailbox

LONG_SUBJECT = "Покупатель, скидки недели на всё — обувь, сумки и аксессуары до 70 % только до воскресенья"


def _settings(app: Flask, sender: str) -> MailSettings:
    return MailSettings(server="127.0.0.1", port=int(app.config["MAIL_PORT"]), sender=sender, timeout=10)


def test_russian_message_arrives_as_written(app: Flask, mailbox: Mailbox) -> None:
    settings = _settings(app, "Мостик <news@mostik.local>")
    message = build_message(
        settings,
        "buyer@example.ru",
        LONG_SUBJECT,
        "Здравствуйте, Анна!\nСсылка: https://shop.example.ru/c/l/abc",
        "<p>Здравствуйте, <b>Анна</b>!</p>",
        {
            "List-Unsubscribe": "<https://shop.example.ru/c/u/token>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        message_id="<order-1@mostik.local>",
    )
    raw = message.as_bytes()
    with MailConnection(settings) as connection:
        connection.send(message)

    [received] = mailbox.messages
    assert received["Subject"] == LONG_SUBJECT
    assert received["From"].addresses[0].display_name == "Мостик"
    assert received["From"].addresses[0].addr_spec == "news@mostik.local"
    assert received["To"] == "buyer@example.ru"
    assert received["Message-ID"] == "<order-1@mostik.local>"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.get_content_type() == "multipart/alternative"
    assert received.get_body(("plain",)).get_content().startswith("Здравствуйте, Анна!\n")
    assert "<b>Анна</b>" in received.get_body(("html",)).get_content()
    # Only 7-bit on the wire, and header lines folded (RFC 5322 2.1.1: at most 78 characters, 998 in any case).
    assert raw.isascii()
    head = raw.split(b"\n\n", 1)[0]
    assert max(len(line) for line in head.splitlines()) <= 78
    # RFC 2047 section 2: an encoded word is at most 75 characters.
    assert max(len(word) for word in re.findall(rb"=\?utf-8\?b\?[^?]*\?=", head)) <= 75
    assert not received.defects


def test_plain_message_without_html(app: Flask, mailbox: Mailbox) -> None:
    settings = _settings(app, "shop@mostik.local")
    with MailConnection(settings) as connection:
        connection.send(build_message(settings, "buyer@example.ru", "Order 12", "Спасибо за заказ"))
    [received] = mailbox.messages
    assert received.get_content_type() == "text/plain"
    assert received.get_content().strip() == "Спасибо за заказ"
    assert received["Subject"] == "Order 12"


def test_an_address_that_needs_smtputf8_takes_emailmessage(app: Flask) -> None:
    message = build_message(_settings(app, "shop@mostik.local"), "анна@почта.рф", "Заказ", "Текст", "<p>Текст</p>")
    assert isinstance(message, EmailMessage)
    assert message["To"] == "анна@почта.рф"
    assert message.get_body(("html",)).get_content().strip() == "<p>Текст</p>"


@pytest.mark.parametrize("body", ["", "x", "a" * 57, "Привет, мир!\n" * 40, "я" * 200 + "\r\nконец"])
def test_each_part_is_exactly_what_mimetext_makes(body: str) -> None:
    """The parts are built without MIMEText's charset machinery (for speed) but must come out byte for byte the same:
    UTF-8 in base64, lines of 76."""
    settings = MailSettings(server="127.0.0.1", port=25, sender="Мостик <news@mostik.local>", timeout=10)
    message = build_message(settings, "buyer@example.ru", "Тема", body, body or "<p></p>")
    plain, html = message.get_payload()
    assert plain.as_bytes() == MIMEText(body, "plain", "utf-8").as_bytes()
    assert html.as_bytes() == MIMEText(body or "<p></p>", "html", "utf-8").as_bytes()
