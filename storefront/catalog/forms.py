"""Query-string parsing for listing pages. Bad values are normalised, never a 500."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Form, SelectMultipleField, StringField

from storefront.catalog.facets import MAX_VALUE_LENGTH, usable_attribute_name
from storefront.catalog.queries import (
    MAX_PAGE,
    RATING_THRESHOLDS,
    ListingFilters,
    MoqBucket,
    Sort,
    SupplierKind,
)
from storefront.i18n import format_rub_whole
from storefront.money import MoneyError, parse_amount
from storefront.vocabulary import attribute_name, attribute_value

SORT_LABELS = {
    Sort.POPULAR: _l("Popular first"),
    Sort.PRICE_ASC: _l("Cheapest first"),
    Sort.PRICE_DESC: _l("Most expensive first"),
    Sort.NEW: _l("Newest first"),
}
MOQ_LABELS = {
    MoqBucket.ONE: _l("1 pc"),
    MoqBucket.TEN: _l("2–10 pcs"),
    MoqBucket.HUNDRED: _l("11–100 pcs"),
    MoqBucket.MORE: _l("over 100 pcs"),
}
KIND_LABELS = {SupplierKind.FACTORY: _l("Factory"), SupplierKind.TRADER: _l("Trading company")}
#: Largest price a filter accepts (roubles); anything above is a typo, not a price.
MAX_FILTER_PRICE = Decimal("100000000")
#: More attribute values than this in one query string are not a buyer's choice; the rest are ignored.
MAX_ATTRIBUTE_FILTERS = 20


def rating_arg(tenths: int) -> str:
    """A rating threshold as the query string spells it: 45 → "4.5", 40 → "4"."""
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def rating_label(tenths: int) -> str:
    return _("%(rating)s and higher", rating=rating_arg(tenths).replace(".", ","))


def _rating(raw: str | None) -> int | None:
    """A rating threshold from the query string; anything else (``abc``, ``NaN``, ``7``) is ignored."""
    spelled = (raw or "").strip().replace(",", ".")
    return next((tenths for tenths in RATING_THRESHOLDS if spelled in (rating_arg(tenths), f"{tenths / 10:.1f}")), None)


class ListingArgsForm(Form):
    """The filter panel of a category page, read from ``request.args``."""

    sort = StringField()
    price_min = StringField(_l("Price from, ₽"))
    price_max = StringField(_l("to, ₽"))
    city = SelectMultipleField(_l("Supplier city"), choices=[], validate_choice=False)
    in_stock = BooleanField(_l("In stock only"))
    moq = SelectMultipleField(_l("Minimum order"), choices=[], validate_choice=False)
    rating = StringField(_l("Supplier rating"))
    kind = SelectMultipleField(_l("Supplier"), choices=[], validate_choice=False)
    attr = SelectMultipleField(choices=[], validate_choice=False)
    page = StringField()
    #: The order used when the query string names none (or an unknown one).
    default_sort = Sort.POPULAR
    allowed_sorts = frozenset(SORT_LABELS)

    def __init__(
        self,
        args: MultiDict[str, str],
        known_cities: list[str] | None,
        attribute_names: Collection[str] = (),
    ) -> None:
        """``known_cities``: the cities a filter may name (``None``: any non-empty name);
        ``attribute_names``: the attributes a filter may name (others are ignored)."""
        super().__init__(formdata=args)
        self.any_city = known_cities is None
        self.known_cities = known_cities or []
        self.attribute_names = frozenset(attribute_names)
        self.city.choices = [(city, city) for city in self.known_cities]

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
        return ListingFilters(
            sort=sort,
            price_min=price_min,
            price_max=price_max,
            cities=self._cities(),
            in_stock=bool(self.in_stock.data),
            page=min(max(page, 1), MAX_PAGE),
            moq=tuple(bucket for bucket in MoqBucket if bucket.value in (self.moq.data or ())),
            rating_min=_rating(self.rating.data),
            kinds=tuple(kind for kind in SupplierKind if kind.value in (self.kind.data or ())),
            attributes=self._attributes(),
        )

    def _cities(self) -> tuple[str, ...]:
        chosen = dict.fromkeys(city.strip() for city in self.city.data or [])
        if self.any_city:
            return tuple(city for city in chosen if city and len(city) <= 64)[:MAX_ATTRIBUTE_FILTERS]
        return tuple(city for city in chosen if city in self.known_cities)

    def _attributes(self) -> tuple[tuple[str, str], ...]:
        """``attr=name:value`` pairs naming an offered attribute; malformed ones are ignored."""
        pairs: set[tuple[str, str]] = set()
        for raw in self.attr.data or []:
            name, colon, value = raw.partition(":")
            name, value = name.strip(), value.strip()
            if colon and name in self.attribute_names and usable_attribute_name(name):
                if value and len(value) <= MAX_VALUE_LENGTH:
                    pairs.add((name, value))
        return tuple(sorted(pairs))[:MAX_ATTRIBUTE_FILTERS]


class Chip(NamedTuple):
    """An active filter: its label and the query string without it."""

    label: str
    args: dict[str, Any]


def query_args(filters: ListingFilters) -> dict[str, Any]:
    """The query string of ``filters`` (without sort and page), for ``url_for``."""
    args: dict[str, Any] = {
        "price_min": None if filters.price_min is None else _plain(filters.price_min),
        "price_max": None if filters.price_max is None else _plain(filters.price_max),
        "city": list(filters.cities) or None,
        "in_stock": "y" if filters.in_stock else None,
        "moq": [bucket.value for bucket in filters.moq] or None,
        "rating": None if filters.rating_min is None else rating_arg(filters.rating_min),
        "kind": [kind.value for kind in filters.kinds] or None,
        "attr": [f"{name}:{value}" for name, value in filters.attributes] or None,
    }
    return {key: value for key, value in args.items() if value is not None}


def _plain(amount: Decimal) -> str:
    return format(amount.normalize(), "f") if amount == amount.to_integral_value() else format(amount, "f")


def _without(args: dict[str, Any], key: str, value: str | None = None) -> dict[str, Any]:
    rest = dict(args)
    if value is None:
        rest.pop(key, None)
    else:
        remaining = [item for item in rest.get(key, []) if item != value]
        if remaining:
            rest[key] = remaining
        else:
            rest.pop(key, None)
    return rest


def active_chips(filters: ListingFilters) -> list[Chip]:
    """One removable chip per active filter value, in the order of the filter panel."""
    args = query_args(filters)
    chips: list[Chip] = []
    if filters.price_min is not None or filters.price_max is not None:
        if filters.price_max is None:
            label = _("Price from %(low)s", low=format_rub_whole(filters.price_min))
        elif filters.price_min is None:
            label = _("Price up to %(high)s", high=format_rub_whole(filters.price_max))
        else:
            label = _(
                "Price %(low)s – %(high)s",
                low=format_rub_whole(filters.price_min),
                high=format_rub_whole(filters.price_max),
            )
        chips.append(Chip(label, _without(_without(args, "price_min"), "price_max")))
    for bucket in filters.moq:
        chips.append(Chip(_("Minimum order: %(range)s", range=MOQ_LABELS[bucket]), _without(args, "moq", bucket.value)))
    for kind in filters.kinds:
        chips.append(Chip(str(KIND_LABELS[kind]), _without(args, "kind", kind.value)))
    if filters.rating_min is not None:
        chips.append(
            Chip(_("Supplier rating %(rating)s", rating=rating_label(filters.rating_min)), _without(args, "rating"))
        )
    for city in filters.cities:
        chips.append(Chip(city, _without(args, "city", city)))
    for name, value in filters.attributes:
        chips.append(
            Chip(f"{attribute_name(name)}: {attribute_value(value)}", _without(args, "attr", f"{name}:{value}"))
        )
    if filters.in_stock:
        chips.append(Chip(_("In stock only"), _without(args, "in_stock")))
    return chips
