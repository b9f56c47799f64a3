"""Demand without supply: searches that found nothing or little, counted per Moscow day.

A search is counted under its *demand key*: the meaningful words (``understand.query_words``) in
their likeliest normal form, so «Чехлы для айфона» and «чехол айфон» are one line. Nothing else is
kept: no buyer, no IP, and a query that looks like an e-mail address or a phone number is not
counted at all.

One upsert per search (``INSERT … ON CONFLICT (day, query) DO UPDATE SET searches = searches + 1``),
atomic on both engines, so concurrent requests never lose a count or fail on the unique key. The
search view runs it after the response has been sent (``Response.call_on_close``), in its own
transaction: the buyer never waits for it, and a failure to count never fails a search.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storefront.moscow import to_moscow
from storefront.search.models import SearchDemand
from storefront.search.normalise import normal_form
from storefront.search.understand import query_words

MAX_KEY_CHARS = 200
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_PHONE = re.compile(r"(?:\+?\d[\s()\-]*){10,}")


def demand_key(query: str) -> str | None:
    """The normalised words a search is counted under; None when it is not counted (nothing left, or
    what looks like personal data)."""
    if _EMAIL.search(query) or _PHONE.search(query):
        return None
    key = " ".join(normal_form(word) for word in query_words(query))
    return key[:MAX_KEY_CHARS] or None


def should_count(results: int, few: int) -> bool:
    """A search is demand without supply when it found at most ``few`` products (0: only none)."""
    return results <= few


def count_search(session: Session, key: str, results: int, now: datetime) -> None:
    """Count one search of ``key`` that found ``results`` products. One statement; the caller commits."""
    table = SearchDemand.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(
        day=to_moscow(now).date(),
        query=key,
        searches=1,
        empty_searches=1 if results == 0 else 0,
        last_results=results,
        first_seen_at=now,
        last_seen_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.day, table.c.query],
        set_={
            "searches": table.c.searches + 1,
            "empty_searches": table.c.empty_searches + statement.excluded.empty_searches,
            "last_results": statement.excluded.last_results,
            "last_seen_at": statement.excluded.last_seen_at,
        },
    )
    session.execute(statement)
