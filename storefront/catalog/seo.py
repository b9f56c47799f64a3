"""What search engines read on catalogue pages: canonical URLs, meta descriptions, schema.org JSON-LD.

Plain values in, plain values out (the views pass translated templates and absolute base URLs).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import nh3
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.catalog.models import Product
from storefront.catalog.queries import ListingFilters, listing_conditions
from storefront.memo import TimedCache

#: Search engines show about this much of a meta description.
DESCRIPTION_LIMIT = 160

#: The attribute that holds the brand (as the feed importer stores ``<vendor>``).
BRAND = "Бренд"

#: Lowest price and MOQ of a category's listable products, as long as the listing counts.
_summary_cache = TimedCache(max_entries=10_000)


def shorten(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """``text`` on one line, cut at a word boundary with «…» so it is at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:—-") + "…"


def plain_text(text: str | None) -> str:
    """A description as plain text on one line: tags dropped, entities decoded."""
    stripped = nh3.clean(text or "", tags=set(), attributes={}, strip_comments=True, link_rel=None)
    return " ".join(html.unescape(stripped).split())


def fit(template: str, title: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """``template`` (with ``{title}``) filled so the whole is at most ``limit`` characters: the
    title is shortened first, so the price and MOQ after it stay."""
    rest = len(template.replace("{title}", ""))
    budget = max(limit - rest, 40)
    return shorten(template.replace("{title}", shorten(" ".join(title.split()), budget)), limit)


def is_filtered(filters: ListingFilters) -> bool:
    """A listing narrowed by a filter (not a sort or a page): not worth indexing."""
    return filters.narrowed


def category_canonical(base_url: str, slug: str, page: int) -> str:
    """The listing's canonical URL: no sort or filters; ``?page=N`` kept from page 2 on."""
    url = f"{base_url}/catalog/{slug}"
    return f"{url}?page={page}" if page > 1 else url


def product_canonical(base_url: str, product_id: int, slug: str) -> str:
    return f"{base_url}/product/{product_id}-{slug}"


def category_summary(session: Session, category_ids: Sequence[int]) -> tuple[Decimal | None, int | None]:
    """(lowest rouble price, lowest MOQ) of the listable products in these categories; one aggregate."""

    def compute() -> tuple[Decimal | None, int | None]:
        low, moq = session.execute(
            select(func.min(Product.price_rub_from), func.min(Product.moq)).where(
                *listing_conditions(category_ids, ListingFilters())
            )
        ).one()
        return (None if low is None else Decimal(low), moq)

    return _summary_cache.get(("summary", tuple(sorted(category_ids))), compute)


def availability(product: Product) -> str | None:
    """schema.org availability, as the page states it: a known stock → InStock, none → BackOrder
    (made to order, shipped after the lead time), no longer sold → Discontinued; an unknown stock
    («availability on request») claims nothing."""
    if product.status != "active":
        return "https://schema.org/Discontinued"
    if product.stock is None:
        return None
    return "https://schema.org/InStock" if product.stock > 0 else "https://schema.org/BackOrder"


def _price(value: Decimal) -> str:
    return f"{value:.2f}"


def product_json_ld(
    product: Product,
    name: str,
    url: str,
    description: str,
    rub_prices: Sequence[Decimal],
    image_urls: Sequence[str],
    brand: str | None,
) -> dict[str, Any]:
    """schema.org Product with an Offer (one price) or AggregateOffer (price breaks), in roubles."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
        "sku": product.sku,
        "url": url,
    }
    if image_urls:
        data["image"] = list(image_urls)
    if description:
        data["description"] = description
    if brand:
        data["brand"] = {"@type": "Brand", "name": brand}
    if rub_prices:
        low, high = min(rub_prices), max(rub_prices)
        offer: dict[str, Any] = {"@type": "Offer", "price": _price(low), "priceCurrency": "RUB", "url": url}
        if len(rub_prices) > 1:
            offer.update(
                {"@type": "AggregateOffer", "lowPrice": _price(low), "highPrice": _price(high)},
                offerCount=len(rub_prices),
            )
        stated = availability(product)
        if stated:
            offer["availability"] = stated
        data["offers"] = offer
    return data
