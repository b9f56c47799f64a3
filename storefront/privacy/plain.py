"""JSON-ready values for the export: Decimal as text (exact kopecks), times in ISO 8601 UTC, enums as values."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def fields(obj: object, *names: str) -> dict[str, Any]:
    """The named attributes of ``obj``, JSON-ready."""
    return {name: plain(getattr(obj, name)) for name in names}
