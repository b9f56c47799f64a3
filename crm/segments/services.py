"""Saving and deleting segments (validated). Flushes; the view records the audit entry and commits once."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from crm.segments.compiler import MAX_DEPTH, InvalidSegment, validate_segment
from crm.segments.models import Segment
from storefront.input_bounds import JSONRefused, load_json

#: A definition larger than this is not something the builder makes.
MAX_DEFINITION_BYTES = 20_000
#: Brackets deep: groups nest ``MAX_DEPTH`` deep (a group and its list are two levels), then a condition and its value.
MAX_JSON_DEPTH = 2 * MAX_DEPTH + 2


def parse_definition(text: str | bytes | None) -> dict[str, Any]:
    """The JSON text of a definition → the validated definition; ``InvalidSegment`` if it is not JSON or is
    refused by the compiler."""
    if not text:
        raise InvalidSegment(_l("segment: the definition is empty"))
    try:
        definition = load_json(text, MAX_DEFINITION_BYTES, MAX_JSON_DEPTH)
    except JSONRefused as refused:
        if refused.reason == "size":
            raise InvalidSegment(_l("segment: the definition is too large")) from None
        if refused.reason == "depth":
            raise InvalidSegment(_l("segment: the definition is nested too deeply")) from None
        raise InvalidSegment(_l("segment: the definition is not valid JSON")) from None
    validate_segment(definition)
    return definition


def save_segment(
    session: Session, segment: Segment | None, name: str, definition: dict[str, Any], created_by_id: int
) -> Segment:
    """Create (by ``created_by_id``) or update a segment after validating the definition. Flushes; the caller
    records the audit entry and commits."""
    validate_segment(definition)
    if segment is None:
        segment = Segment(created_by_id=created_by_id)
        session.add(segment)
    segment.name = name.strip()
    segment.definition = definition
    session.flush()
    return segment


def delete_segment(session: Session, segment: Segment) -> None:
    """Flushes; the caller records the audit entry and commits."""
    session.delete(segment)
    session.flush()
