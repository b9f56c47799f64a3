"""The synonym table search uses: the built-in list with the CRM's rows over it, read per process.

The rows are read through a ``TimedCache``: another web process sees a CRM change within
``CATEGORY_CACHE_SECONDS``; the process that saved it calls ``forget_synonyms`` and sees it at once.
Matched candidates are cached per table version (``queries._matched_cache``), so a stale answer
never outlives the table it was computed with.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storefront.memo import TimedCache
from storefront.search.models import SearchSynonym
from storefront.search.understand import SynonymTable, built_in_synonyms, built_in_table, layered_synonyms

_rows_cache = TimedCache(max_entries=1)
#: The table built from the last rows seen: kept while the rows stay the same, so its memo of
#: expanded words survives between searches.
_current: list[SynonymTable] = []


def _edits(session: Session) -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    rows = session.execute(
        select(SearchSynonym.word, SearchSynonym.alternatives, SearchSynonym.is_disabled).order_by(SearchSynonym.word)
    )
    return tuple((word, tuple(values or ()), bool(disabled)) for word, values, disabled in rows)


def current_synonyms(session: Session) -> SynonymTable:
    """The synonym table in force: built-in entries, replaced, removed or added to by CRM rows."""
    edits: tuple[tuple[str, tuple[str, ...], bool], ...] = _rows_cache.get("rows", lambda: _edits(session))
    if not edits:
        return built_in_table()
    if _current and _current[0].version == edits:
        return _current[0]
    table = SynonymTable(layered_synonyms(built_in_synonyms(), edits), version=edits)
    _current[:] = [table]
    return table


def forget_synonyms() -> None:
    """Drop this process's copy of the CRM rows (after a change): the next search reads them again."""
    _rows_cache.clear()
