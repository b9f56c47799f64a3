"""The published legal pages. Thin: find the version, render it."""

from __future__ import annotations

from flask import render_template

from storefront.errors import NotFound
from storefront.extensions import db
from storefront.legal import bp
from storefront.legal.models import DocumentKind, LegalDocument
from storefront.legal.services import current_document, document_version, versions


def _kind(document: str) -> DocumentKind:
    try:
        return DocumentKind(document)
    except ValueError:
        raise NotFound(document) from None


def _render(kind: DocumentKind, shown: LegalDocument | None) -> str:
    if shown is None:
        raise NotFound(kind.value)
    return render_template(
        "legal/page.html",
        document=shown,
        current=current_document(db.session(), kind),
        versions=versions(db.session(), kind),
    )


@bp.get("/<document>")
def page(document: str) -> str:
    kind = _kind(document)
    return _render(kind, current_document(db.session(), kind))


@bp.get("/<document>/v/<int:version>")
def page_version(document: str, version: int) -> str:
    kind = _kind(document)
    return _render(kind, document_version(db.session(), kind, version))
