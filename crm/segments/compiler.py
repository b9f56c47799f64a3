"""Segment definition → one SELECT of buyer ids.

A definition is a group: ``{"op": "and" | "or", "conditions": [condition | group, ...]}`` where a condition
is ``{"field": ..., "operator": ..., "value": ...}``. ``compile_segment`` is the one entry point campaigns use;
an empty group matches every buyer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from storefront.account.models import Buyer
from storefront.errors import ShopError


class InvalidSegment(ShopError):
    """A definition refused, with the part that is wrong in the message."""


def compile_segment(definition: dict[str, Any]) -> Select[tuple[int]]:
    """The buyers a definition selects, as one query (``SELECT buyers.id ... WHERE ...``)."""
    if not isinstance(definition, dict) or definition.get("op") not in ("and", "or"):
        raise InvalidSegment("segment: 'op' must be 'and' or 'or'")
    if definition.get("conditions"):
        raise InvalidSegment("segment: conditions are not supported yet")
    return select(Buyer.id)
