"""Saving and deleting segments (validated, audited). Each use case commits once."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.segments.compiler import InvalidSegment, validate_segment
from crm.segments.models import Segment
from crm.staff.models import StaffUser

#: A definition larger than this is not something the builder makes.
MAX_DEFINITION_BYTES = 20_000


def parse_definition(text: str | bytes | None) -> dict[str, Any]:
    """The JSON text of a definition → the validated definition; ``InvalidSegment`` if it is not JSON or is
    refused by the compiler."""
    if not text:
        raise InvalidSegment(_l("segment: the definition is empty"))
    if len(text) > MAX_DEFINITION_BYTES:
        raise InvalidSegment(_l("segment: the definition is too large"))
    try:
        definition = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise InvalidSegment(_l("segment: the definition is not valid JSON")) from None
    validate_segment(definition)
    return definition


def save_segment(
    session: Session,
    staff: StaffUser,
    segment: Segment | None,
    name: str,
    definition: dict[str, Any],
    ip_address: str | None,
) -> Segment:
    """Create or update a segment after validating the definition; audited; commits."""
    validate_segment(definition)
    created = segment is None
    if segment is None:
        segment = Segment(created_by_id=staff.id)
        session.add(segment)
    segment.name = name.strip()
    segment.definition = definition
    session.flush()
    action = AuditAction.SEGMENT_CREATE if created else AuditAction.SEGMENT_UPDATE
    record(
        session,
        staff,
        action,
        "segment",
        segment.id,
        ip_address,
        json.dumps(definition, ensure_ascii=False),
        commit=False,
    )
    session.commit()
    return segment


def delete_segment(session: Session, staff: StaffUser, segment: Segment, ip_address: str | None) -> None:
    record(session, staff, AuditAction.SEGMENT_DELETE, "segment", segment.id, ip_address, segment.name, commit=False)
    session.delete(segment)
    session.commit()
