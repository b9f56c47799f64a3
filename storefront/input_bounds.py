"""Input bounded where it enters, once for every route: ids in the URL fit the database's integer, and no NUL
character reaches a query (PostgreSQL refuses it in text with an error, which would be a 500).

- ``<int:…>`` in every route is ``BoundedInt``: a number above 2³¹−1 is no row of ours, so the route does not
  match (404), on SQLite and PostgreSQL alike.
- A NUL in the path, the query string or a form field is a 400 before any view runs.
"""

from __future__ import annotations

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
