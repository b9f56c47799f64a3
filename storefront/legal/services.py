"""Reading and publishing legal documents. A publish adds the next version; published rows never change."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storefront.db import utcnow
from storefront.errors import MessageError
from storefront.legal.models import DocumentKind, LegalDocument

MAX_BODY_LENGTH = 100_000
DATA = Path(__file__).resolve().parent / "data"
#: The built-in first versions: Russian texts with the seller's details filled in (``{seller.inn}`` …).
DEFAULT_TITLES = {
    DocumentKind.PRIVACY: "Политика обработки персональных данных",
    DocumentKind.OFFER: "Публичная оферта",
}


def current_document(session: Session, kind: DocumentKind) -> LegalDocument | None:
    """The latest published version, or None before the first publish."""
    return session.scalars(
        select(LegalDocument).where(LegalDocument.kind == kind).order_by(LegalDocument.version.desc()).limit(1)
    ).first()


def document_version(session: Session, kind: DocumentKind, version: int) -> LegalDocument | None:
    return session.scalars(
        select(LegalDocument).where(LegalDocument.kind == kind, LegalDocument.version == version)
    ).first()


def versions(session: Session, kind: DocumentKind) -> list[LegalDocument]:
    """Every published version, newest first."""
    return list(
        session.scalars(select(LegalDocument).where(LegalDocument.kind == kind).order_by(LegalDocument.version.desc()))
    )


def normalise_body(body: str) -> str:
    """Unix line ends, no trailing spaces, at most one blank line between paragraphs."""
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def publish_document(
    session: Session, kind: DocumentKind, title: str, body: str, published_by: str, now: datetime | None = None
) -> LegalDocument:
    """Publish the next version of ``kind``. Refuses an empty text, an unchanged one, and a publish that lost a
    race for the same version number (``MessageError``; the caller rolls back). Flushes; the caller commits."""
    title, body = title.strip(), normalise_body(body)
    if not title or not body:
        raise MessageError(_l("Enter the title and the text."))
    if len(body) > MAX_BODY_LENGTH:
        raise MessageError(_l("The text is too long: at most %(num)s characters.", num=MAX_BODY_LENGTH))
    current = current_document(session, kind)
    if current is not None and current.title == title and current.body == body:
        raise MessageError(_l("Nothing has changed since the current version."))
    latest = session.scalar(select(func.max(LegalDocument.version)).where(LegalDocument.kind == kind)) or 0
    document = LegalDocument(
        kind=kind,
        version=latest + 1,
        title=title[:200],
        body=body,
        published_at=now or utcnow(),
        published_by=published_by[:254],
    )
    session.add(document)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise MessageError(_l("Someone published a new version just now. Reload the page and check it.")) from None
    return document


def default_text(kind: DocumentKind, seller: object) -> str:
    """The built-in text of ``kind`` with the seller's details (a ``storefront.seller.Seller``)."""
    return (DATA / f"{kind.value}.txt").read_text(encoding="utf-8").format(seller=seller)


def publish_defaults(session: Session, seller: object, now: datetime | None = None) -> int:
    """Publish the built-in first version of every document that has none yet; returns how many. Flushes."""
    published = 0
    for kind in DocumentKind:
        if current_document(session, kind) is None:
            publish_document(session, kind, DEFAULT_TITLES[kind], default_text(kind, seller), "", now)
            published += 1
    return published
