"""Outgoing mail over SMTP (``MAIL_SERVER``/``MAIL_PORT``): the one module that talks to a mail server.

The shop's own e-mail goes through the outbox (``storefront.outbox``), campaigns through their recipient rows
(``crm.campaigns.sending``); both send over ``MailConnection``.
"""

from __future__ import annotations

import base64
import functools
import smtplib
from dataclasses import dataclass
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import formataddr, make_msgid, parseaddr


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: dict[str, object]) -> MailSettings:
        return cls(
            server=str(config["MAIL_SERVER"]),
            port=int(str(config["MAIL_PORT"])),
            sender=str(config["MAIL_SENDER"]),
            timeout=float(str(config["MAIL_TIMEOUT"])),
        )


def build_message(
    settings: MailSettings,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> Message:
    """A text (and HTML) message, built with the standard library's ``email.mime`` classes, as Django does.

    Why not ``EmailMessage``: it parses every header it is given and folds it again when sent, which made building
    and flattening most of a campaign message's cost (a campaign sends tens of thousands). ``email.mime`` writes
    headers as given, RFC 2047-encoding only non-ASCII text, 5–10× cheaper. An address that needs SMTPUTF8 (a
    non-ASCII mailbox or domain) still takes ``EmailMessage``: smtplib sends that one with SMTPUTF8.
    """
    sender, recipient = _sender_address(settings.sender), _address(to)
    if sender is None or recipient is None:
        return _international_message(settings, to, subject, text, html, headers, message_id)
    message: Message = _text_part(text, "plain")
    if html:
        message = MIMEMultipart("alternative", _subparts=[message, _text_part(html, "html")])
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = _encoded("Subject", subject)
    message["Message-ID"] = message_id or make_msgid(domain="mostik.local")
    for name, value in (headers or {}).items():
        message[name] = _encoded(name, value)
    return message


def _text_part(body: str, subtype: str) -> Message:
    """What ``MIMEText(body, subtype, "utf-8")`` makes (UTF-8 in base64, lines of 76), without its charset
    machinery re-parsing the Content-Type it has just written: that was half the cost of building a message."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return part


@functools.lru_cache(maxsize=1024)  # a campaign's subject and headers repeat from one recipient to the next
def _encoded(name: str, value: str) -> str:
    """Non-ASCII header text as RFC 2047 encoded words of at most 75 characters, folded after the header's name."""
    return value if value.isascii() else Header(value, "utf-8", maxlinelen=76, header_name=name).encode()


def _address(value: str) -> str | None:
    """«Мостик <news@mostik.local>» with the display name RFC 2047-encoded; a bare address as it is; None for an
    address that needs SMTPUTF8 (a non-ASCII mailbox or domain)."""
    name, address = parseaddr(value)
    if not address.isascii():
        return None
    return formataddr((name, address), charset="utf-8") if name else address


#: The sender's address is the same in every message: parsed and encoded once.
_sender_address = functools.lru_cache(maxsize=8)(_address)


def _international_message(
    settings: MailSettings,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    headers: dict[str, str] | None,
    message_id: str | None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mostik.local")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


class MailServerUnavailable(OSError):
    """No connection to the mail server could be opened: nothing of the message was sent."""


def reply_code(error: Exception) -> int | None:
    """The SMTP reply code a refusal carried (the highest, for refused recipients); None for a lost connection.
    4xx: refused for now, try later; 5xx: refused for good."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [int(code) for code, _ in error.recipients.values()]
        return max(codes) if codes else None
    if isinstance(error, smtplib.SMTPResponseException):
        return int(error.smtp_code)
    return None


class MailConnection:
    """One SMTP connection reused for many messages (campaign batches); opened on the first send.

    ``send`` raises: ``smtplib.SMTPRecipientsRefused`` / ``SMTPResponseException`` for a refused message,
    ``MailServerUnavailable`` when no connection could be opened (nothing was sent), ``OSError`` /
    ``SMTPServerDisconnected`` when the connection is lost during the message.
    """

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: Message) -> None:
        if self._smtp is None:
            try:
                self._smtp = smtplib.SMTP(self.settings.server, self.settings.port, timeout=self.settings.timeout)
            except (OSError, smtplib.SMTPException) as error:
                raise MailServerUnavailable(f"{type(error).__name__}: {error}") from error
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            raise
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:  # the server is closing the connection
                self._smtp = None
            raise

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None

    def __enter__(self) -> MailConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
