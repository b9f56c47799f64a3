"""Input bounded where it enters, once for every route: ids in the URL fit the database's integer, and no NUL
character reaches a query (PostgreSQL refuses it in text with an error, which would be a 500).

- ``<int:…>`` in every route is ``BoundedInt``: a number above 2³¹−1 is no row of ours, so the route does not
  match (404), on SQLite and PostgreSQL alike.
- A NUL in the path, the query string or a form field is a 400 before any view runs.
- JSON from outside (segment definitions, payment notifications) is read by ``load_json``: bounded in size and
  depth before it is parsed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

#: The largest id either engine's INTEGER primary key holds on every table (PostgreSQL's int4).
MAX_ID = 2**31 - 1


class BoundedInt(IntegerConverter):
    """Werkzeug's ``int`` converter with an upper bound (``max`` may still be given lower in a rule)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _has_nul(values: Any) -> bool:
    return any("\x00" in value for value in values if isinstance(value, str))


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt

    @app.before_request
    def refuse_nul_characters() -> None:
        if "\x00" in request.path or _has_nul(request.args.values()):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            if _has_nul(request.form.values()):
                abort(400)


class JSONRefused(ValueError):
    """A JSON body refused before or while parsing: too large, nested too deeply, or not JSON (``reason`` says)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "size", "depth" or "syntax"


#: An escape, a quote or a bracket: enough to follow strings and nesting in one pass without backtracking.
_JSON_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def load_json(data: str | bytes, max_bytes: int, max_depth: int) -> Any:
    """The one way JSON from outside is read: at most ``max_bytes`` and ``max_depth`` levels of nesting, checked
    in one linear pass before ``json.loads`` (whose recursion a body of ``[[[[…`` would exhaust). Raises
    ``JSONRefused``; NaN and Infinity are not JSON and are refused too."""
    if len(data) > max_bytes:
        raise JSONRefused("size")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise JSONRefused("syntax") from None
    depth, in_string = 0, False
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()
        if char == '"':
            in_string = not in_string
        elif in_string or len(char) > 1:
            continue
        elif char in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONRefused("depth")
        elif char in "]}":
            depth -= 1
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise JSONRefused("syntax") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
