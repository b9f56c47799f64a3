"""Query-string parsing for the search page: the listing filters plus the query and a category."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from storefront.catalog.forms import SORT_LABELS, ListingArgsForm
from storefront.catalog.queries import Sort

SEARCH_SORT_LABELS = {Sort.RELEVANCE: _l("Best match"), **SORT_LABELS}


class SearchArgsForm(ListingArgsForm):
    q = StringField()
    category = StringField()
    default_sort = Sort.RELEVANCE
    allowed_sorts = frozenset(SEARCH_SORT_LABELS)

    def __init__(
        self, args: MultiDict[str, str], known_cities: list[str], attribute_names: Collection[str] = ()
    ) -> None:
        super().__init__(args, known_cities, attribute_names)

    def query(self) -> str:
        return self.q.data or ""

    def category_id(self) -> int | None:
        raw = (self.category.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 10 else None
