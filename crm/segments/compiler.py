"""Segment definition → one SELECT of buyer ids.

A definition is a group: ``{"op": "and" | "or", "conditions": [condition | group, ...]}`` where a condition
is ``{"field": ..., "operator": ..., "value": ...}``. ``compile_segment`` is the one entry point campaigns use;
an empty group matches every buyer. The fields, their operators and SQL are in ``crm.segments.fields``.

Validation refuses, with a Russian message naming the part («условие 2.1: …»): a malformed group, an unknown
field, an operator the field does not take, a value of the wrong type or out of range, groups nested deeper than
``MAX_DEPTH`` and more than ``MAX_CONDITIONS`` conditions in all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, or_, select, true

from crm.segments.fields import FIELDS, LIST_OPERATORS, MAX_LIST, NO_VALUE_OPERATORS, OPERATORS, BadValue, Sources
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.errors import MessageError

#: The root group is depth 1; a group inside it depth 2, and so on.
MAX_DEPTH = 3
MAX_CONDITIONS = 30


class InvalidSegment(MessageError):
    """A definition refused, with the part that is wrong in the message (a lazy, translated string)."""


def compile_segment(definition: dict[str, Any], now: datetime | None = None) -> Select[int]:
    """The buyers a definition selects, as one query (``SELECT buyers.id ... WHERE ...``). ``now`` fixes the
    clock for the time-relative fields (days since the last order, 12-month spend)."""
    sources = Sources(now or utcnow())
    counter = [0]
    where = _group(definition, sources, path="", depth=1, counter=counter)
    query = select(Buyer.id)
    for name, joined in sources.joins.items():
        query = query.outerjoin(joined, sources.on_clause(name, joined))
    return query.where(where)


def validate_segment(definition: Any) -> None:
    """Raise ``InvalidSegment`` if the definition would be refused (nothing is compiled for the caller)."""
    compile_segment(definition)


def _name(path: str) -> Any:
    return _l("condition %(path)s", path=path) if path else _l("segment")


def _group(group: Any, sources: Sources, path: str, depth: int, counter: list[int]) -> ColumnElement[bool]:
    where = _name(path)
    if not isinstance(group, dict) or group.get("op") not in ("and", "or"):
        raise InvalidSegment(_l("%(where)s: a group needs «op»: «and» or «or»", where=where))
    if depth > MAX_DEPTH:
        raise InvalidSegment(_l("%(where)s: groups may be nested at most %(n)s deep", where=where, n=MAX_DEPTH))
    conditions = group.get("conditions", [])
    if not isinstance(conditions, list):
        raise InvalidSegment(_l("%(where)s: «conditions» must be a list", where=where))
    unknown = set(group) - {"op", "conditions"}
    if unknown:
        raise InvalidSegment(_l("%(where)s: unknown key «%(key)s»", where=where, key=sorted(unknown)[0]))
    parts = []
    for index, item in enumerate(conditions, start=1):
        child = f"{path}.{index}" if path else str(index)
        if isinstance(item, dict) and "conditions" in item:
            parts.append(_group(item, sources, child, depth + 1, counter))
        else:
            counter[0] += 1
            if counter[0] > MAX_CONDITIONS:
                raise InvalidSegment(_l("a segment may have at most %(n)s conditions", n=MAX_CONDITIONS))
            parts.append(_condition(item, sources, child))
    if not parts:
        return true()
    return and_(*parts) if group["op"] == "and" else or_(*parts)


def _condition(item: Any, sources: Sources, path: str) -> ColumnElement[bool]:
    where = _name(path)
    if not isinstance(item, dict) or not isinstance(item.get("field"), str):
        raise InvalidSegment(_l("%(where)s: a condition needs «field», «operator» and «value»", where=where))
    field = FIELDS.get(item["field"])
    if field is None:
        raise InvalidSegment(_l("%(where)s: unknown field «%(field)s»", where=where, field=item["field"][:40]))
    op = item.get("operator")
    if not isinstance(op, str):  # a list or a dict is not hashable: «in OPERATORS» would raise TypeError
        raise InvalidSegment(_l("%(where)s: «operator» must be the name of an operator", where=where))
    if op not in field.operators:
        if op in OPERATORS:
            raise InvalidSegment(
                _l(
                    "%(where)s: field «%(field)s» does not support the operator «%(op)s»",
                    where=where,
                    field=field.label,
                    op=OPERATORS[op],
                )
            )
        raise InvalidSegment(
            _l(
                "%(where)s: field «%(field)s»: unknown operator «%(op)s»",
                where=where,
                field=field.label,
                op=str(op)[:20],
            )
        )
    value = item.get("value")
    try:
        checked = _check_value(field.check, op, value)
    except BadValue as error:
        raise InvalidSegment(
            _l(
                "%(where)s: field «%(field)s», operator «%(op)s»: expected %(expected)s",
                where=where,
                field=field.label,
                op=OPERATORS[op],
                expected=error.args[0],
            )
        ) from None
    return field.condition(op, checked, sources)


def _check_value(check: Any, op: str, value: Any) -> Any:
    if op in NO_VALUE_OPERATORS:
        if value not in (None, "", []):
            raise BadValue(_l("no value"))
        return None
    if op in LIST_OPERATORS:
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
            raise BadValue(_l("a list of 1 to %(n)s values", n=MAX_LIST))
        return sorted({check(each) for each in value})
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise BadValue(_l("two values: from and to"))
        low, high = check(value[0]), check(value[1])
        if low > high:
            raise BadValue(_l("«from» not greater than «to»"))
        return [low, high]
    return check(value)
