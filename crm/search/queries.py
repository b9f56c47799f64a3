"""Reads for the CRM's search pages: the synonym table in force and the demand report."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.search.models import SearchDemand, SearchSynonym
from storefront.search.understand import built_in_synonyms

DEMAND_ROWS = 500


class Source(enum.StrEnum):
    BUILT_IN = "built_in"
    ADDED = "added"
    REPLACED = "replaced"
    SWITCHED_OFF = "switched_off"


@dataclass(frozen=True)
class SynonymLine:
    word: str
    alternatives: tuple[str, ...]
    source: Source
    #: The CRM row, when there is one (built-in entries have none until edited).
    synonym_id: int | None = None
    #: The built-in alternatives a CRM row replaces or switches off.
    built_in: tuple[str, ...] = ()


def synonym_overview(session: Session) -> list[SynonymLine]:
    """Every synonym group, built-in and CRM, as search sees it, by word."""
    built_in = built_in_synonyms()
    rows = {row.word: row for row in session.scalars(select(SearchSynonym))}
    lines = []
    for word in sorted(set(built_in) | set(rows)):
        row = rows.get(word)
        if row is None:
            lines.append(SynonymLine(word, built_in[word], Source.BUILT_IN))
            continue
        if row.is_disabled:
            source = Source.SWITCHED_OFF
        else:
            source = Source.REPLACED if word in built_in else Source.ADDED
        lines.append(SynonymLine(word, tuple(row.alternatives or ()), source, row.id, built_in.get(word, ())))
    return lines


@dataclass(frozen=True)
class DemandLine:
    query: str
    searches: int
    empty_searches: int
    first_seen_at: datetime
    last_seen_at: datetime

    @property
    def always_empty(self) -> bool:
        """Every search of it found nothing (otherwise some found a few products)."""
        return self.empty_searches == self.searches


def demand_report(session: Session, start: date, end: date, limit: int = DEMAND_ROWS) -> list[DemandLine]:
    """Queries that found nothing or little over the Moscow days ``start``…``end``, most searched first."""
    searches = func.sum(SearchDemand.searches)
    rows = session.execute(
        select(
            SearchDemand.query,
            searches.label("searches"),
            func.sum(SearchDemand.empty_searches).label("empty_searches"),
            func.min(SearchDemand.first_seen_at).label("first_seen_at"),
            func.max(SearchDemand.last_seen_at).label("last_seen_at"),
        )
        .where(SearchDemand.day >= start, SearchDemand.day <= end)
        .group_by(SearchDemand.query)
        .order_by(searches.desc(), SearchDemand.query)
        .limit(limit)
    )
    return [DemandLine(*row) for row in rows]
