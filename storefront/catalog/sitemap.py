"""Sitemaps (sitemaps.org protocol) for search engines, streamed piece by piece.

``/sitemap.xml`` is an index of ``/sitemaps/categories.xml`` and ``/sitemaps/products-<n>.xml``.
Product file ``n`` holds the active products with ids in ``((n - 1) * URLS_PER_FILE, n * URLS_PER_FILE]``:
at most ``URLS_PER_FILE`` URLs each (the protocol's limit is 50,000), and the index needs one
aggregate (the highest active id), never the products. A file is read in id batches (keyset).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.queries import CategoryTree

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: The sitemaps.org limit of URLs per file; tests lower it.
URLS_PER_FILE = 50_000
BATCH = 5000
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def w3c_datetime(moment: datetime) -> str:
    """``2026-12-06T04:30:00+00:00`` (W3C datetime, UTC); a naive value is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _active() -> list:
    return [Product.status == ProductStatus.ACTIVE]


def product_file_count(session: Session) -> int:
    """How many product files there are: one aggregate over active products' ids."""
    highest = session.scalar(select(func.max(Product.id)).where(*_active()))
    return 0 if highest is None else (highest + URLS_PER_FILE - 1) // URLS_PER_FILE


def _range(number: int) -> tuple[int, int]:
    """Product file ``number``'s ids: above the first, up to the second."""
    return (number - 1) * URLS_PER_FILE, number * URLS_PER_FILE


def product_file_version(session: Session, number: int) -> str:
    """Changes when a product in file ``number`` is added, changed or leaves the file (for the ETag);
    one aggregate over the file's id range."""
    low, high = _range(number)
    count, latest = session.execute(
        select(func.count(), func.max(Product.updated_at)).where(*_active(), Product.id > low, Product.id <= high)
    ).one()
    return f"{count}-{_aware(latest).timestamp() if isinstance(latest, datetime) else 0}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _lastmod(*moments: datetime | None) -> datetime | None:
    """The latest of the known moments (updated, published), as an aware UTC time."""
    known = [_aware(moment) for moment in moments if moment is not None]
    return max(known) if known else None


def _url(loc: str, lastmod: datetime | None) -> str:
    modified = f"<lastmod>{w3c_datetime(lastmod)}</lastmod>" if lastmod is not None else ""
    return f"<url><loc>{escape(loc)}</loc>{modified}</url>\n"


def write_index(files: int, base_url: str) -> Iterator[str]:
    yield _HEAD
    yield f'<sitemapindex xmlns="{NAMESPACE}">\n'
    yield f"<sitemap><loc>{escape(base_url)}/sitemaps/categories.xml</loc></sitemap>\n"
    for number in range(1, files + 1):
        yield f"<sitemap><loc>{escape(base_url)}/sitemaps/products-{number}.xml</loc></sitemap>\n"
    yield "</sitemapindex>\n"


def write_products(session: Session, number: int, base_url: str) -> Iterator[str]:
    """Product file ``number`` (from 1): active products with ids in its range, in id batches."""
    yield _HEAD
    yield f'<urlset xmlns="{NAMESPACE}">\n'
    last_id, highest = _range(number)
    while True:
        rows = session.execute(
            select(Product.id, Product.slug, Product.updated_at, Product.published_at)
            .where(*_active(), Product.id > last_id, Product.id <= highest)
            .order_by(Product.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        yield "".join(
            _url(f"{base_url}/product/{row.id}-{row.slug}", _lastmod(row.updated_at, row.published_at)) for row in rows
        )
        last_id = rows[-1].id
    yield "</urlset>\n"


def write_categories(session: Session, tree: CategoryTree, base_url: str) -> Iterator[str]:
    """Categories with active products in them or below them; lastmod = their newest product change."""
    latest: dict[int, datetime | None] = {}
    for category_id, updated, published in session.execute(
        select(Product.category_id, func.max(Product.updated_at), func.max(Product.published_at))
        .where(*_active())
        .group_by(Product.category_id)
    ):
        if category_id not in tree.by_id:
            continue
        moment = _lastmod(updated, published)
        for category in tree.ancestors(tree.by_id[category_id]):  # root first, ending with itself
            latest[category.id] = _lastmod(latest.get(category.id), moment)
    yield _HEAD
    yield f'<urlset xmlns="{NAMESPACE}">\n'
    for category_id in sorted(latest):
        category = tree.by_id[category_id]
        yield _url(f"{base_url}/catalog/{category.slug}", latest[category_id])
    yield "</urlset>\n"
