"""The index match alone, for ``/__search_floor`` (``bench.app``): what every new query's search runs first."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storefront.search.queries import CANDIDATES, _index_parameters, _index_statement, parse_query
from storefront.search.synonyms import current_synonyms


def search_floor_match(session: Session, query: str) -> list[int]:
    """The products ``query``'s index match finds (FTS5 tiers or GIN, ranked and capped as a search caps them):
    the first statement of a new query's search, without the join to the products or anything after it."""
    match = parse_query(" ".join(query.split()), current_synonyms(session))
    if not match.groups:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    statement, parameters = _index_statement(postgres, False), _index_parameters(match, CANDIDATES, postgres)
    return [row.product_id for row in session.connection().execute(statement, parameters)]
