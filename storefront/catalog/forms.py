"""Query-string parsing for listing pages. Bad values are normalised, never a 500."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Form, SelectMultipleField, StringField

from storefront.catalog.queries import MAX_PAGE, ListingFilters, Sort
from storefront.money import MoneyError, parse_amount

SORT_LABELS = {
    Sort.POPULAR: _l("Popular first"),
    Sort.PRICE_ASC: _l("Cheapest first"),
    Sort.PRICE_DESC: _l("Most expensive first"),
    Sort.NEW: _l("Newest first"),
}
#: Largest price a filter accepts (roubles); anything above is a typo, not a price.
MAX_FILTER_PRICE = Decimal("100000000")


class ListingArgsForm(Form):
    """The filter panel of a category page, read from ``request.args``."""

    sort = StringField()
    price_min = StringField(_l("Price from, ₽"))
    price_max = StringField(_l("to, ₽"))
    city = SelectMultipleField(_l("Supplier city"), choices=[], validate_choice=False)
    in_stock = BooleanField(_l("In stock only"))
    page = StringField()
    #: The order used when the query string names none (or an unknown one).
    default_sort = Sort.POPULAR
    allowed_sorts = frozenset(SORT_LABELS)

    def __init__(self, args: MultiDict[str, str], known_cities: list[str]) -> None:
        super().__init__(formdata=args)
        self.known_cities = known_cities
        self.city.choices = [(city, city) for city in known_cities]

    def _price(self, field: StringField) -> Decimal | None:
        raw = (field.data or "").strip()
        if not raw:
            return None
        try:
            value = parse_amount(raw)
        except MoneyError:
            field.errors = [_l("Enter a price in roubles, for example 1500 or 1 500,50.")]
            return None
        if value < 0 or value > MAX_FILTER_PRICE:
            field.errors = [_l("The price must be between 0 and 100 000 000 ₽.")]
            return None
        return value

    def filters(self) -> ListingFilters:
        """The filters to apply; invalid parts are dropped and flagged on their fields."""
        try:
            sort = Sort(self.sort.data or self.default_sort)
        except ValueError:
            sort = self.default_sort
        if sort not in self.allowed_sorts:
            sort = self.default_sort
        page_text = (self.page.data or "1").strip()
        page = int(page_text) if page_text.isdigit() and len(page_text) < 7 else 1
        price_min, price_max = self._price(self.price_min), self._price(self.price_max)
        if price_min is not None and price_max is not None and price_min > price_max:
            price_min, price_max = price_max, price_min
        cities = tuple(city for city in (self.city.data or []) if city in self.known_cities)
        return ListingFilters(
            sort=sort,
            price_min=price_min,
            price_max=price_max,
            cities=cities,
            in_stock=bool(self.in_stock.data),
            page=min(max(page, 1), MAX_PAGE),
        )
