"""Writing the active catalogue as a YML feed, piece by piece (constant memory on a million offers).

Prices are roubles (``price`` = the rouble price of the 1+ break, as a buyer of one MOQ pays it
per unit at the lowest break shown on the site: ``price_rub_from``). The wholesale extension
carries the source-currency breaks, MOQ, stock and supplier, so importing the export rebuilds
the same catalogue (see ``feeds.reader`` for the elements).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from storefront.catalog.models import Category, Product, ProductStatus
from storefront.fx.models import ExchangeRate

BATCH = 1000


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def catalogue_version(session: Session) -> str:
    """Changes when an active product is added, changed or removed, or new rates arrive (for the ETag)."""
    count, latest = session.execute(
        select(func.count(), func.max(Product.updated_at)).where(Product.status == ProductStatus.ACTIVE)
    ).one()
    rates = session.scalar(select(func.max(ExchangeRate.id))) or 0
    return f"{count}-{latest.timestamp() if isinstance(latest, datetime) else 0}-{rates}"


def _offer(product: Product, base_url: str) -> str:
    assert product.price_rub_from is not None  # write_yml selects priced products only
    params = "".join(
        f"<param name={quoteattr(str(name))}>{escape(str(value))}</param>"
        for name, value in sorted((product.attributes or {}).items())
    )
    breaks = "".join(
        f'<break min-quantity="{b.min_quantity}">{_amount(b.unit_price)}</break>' for b in product.price_breaks
    )
    picture = f"{base_url}/media/placeholder/{product.id}.svg"
    pictures = "".join(f"<picture>{escape(picture)}?n={n}</picture>" for n in range(1, product.image_count + 1))
    available = "true" if product.stock > 0 else "false"
    return (
        f'<offer id={quoteattr(product.feed_offer_id or str(product.id))} available="{available}">'
        f"<name>{escape(product.title)}</name>"
        f"<url>{escape(base_url)}/product/{product.id}-{escape(product.slug)}</url>"
        f"<price>{_amount(product.price_rub_from)}</price><currencyId>RUR</currencyId>"
        f"<categoryId>{product.category_id}</categoryId>{pictures}"
        f"<vendorCode>{escape(product.sku)}</vendorCode>"
        f"<description>{escape(product.description or '')}</description>{params}"
        f"<min-quantity>{product.moq}</min-quantity><stock>{product.stock}</stock>"
        + (f"<lead-time-days>{product.lead_time_days}</lead-time-days>" if product.lead_time_days else "")
        + f"<supplier city={quoteattr(product.supplier.city)}>{escape(product.supplier.name)}</supplier>"
        f"<price-breaks currency={quoteattr(product.currency)}>{breaks}</price-breaks>"
        "</offer>\n"
    )


def write_yml(session: Session, shop_name: str, company: str, base_url: str, now: datetime) -> Iterator[str]:
    """The feed as text pieces. Products are read in id batches (keyset), never all at once."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<yml_catalog date="{now.strftime("%Y-%m-%dT%H:%M:%S%z")}">\n<shop>\n'
    yield f"<name>{escape(shop_name)}</name><company>{escape(company)}</company><url>{escape(base_url)}/</url>\n"
    yield '<currencies><currency id="RUR" rate="1"/></currencies>\n<categories>\n'
    for category in session.scalars(select(Category).order_by(Category.id)):
        parent = f' parentId="{category.parent_id}"' if category.parent_id else ""
        yield f'<category id="{category.id}"{parent}>{escape(category.name)}</category>\n'
    yield "</categories>\n<offers>\n"
    last_id = 0
    while True:
        batch = session.scalars(
            select(Product)
            .options(joinedload(Product.supplier), selectinload(Product.price_breaks))
            .where(Product.id > last_id, Product.status == ProductStatus.ACTIVE, Product.price_rub_from.is_not(None))
            .order_by(Product.id)
            .limit(BATCH)
        ).all()
        if not batch:
            break
        yield "".join(_offer(product, base_url) for product in batch)
        last_id = batch[-1].id
        session.expunge_all()
    yield "</offers>\n</shop>\n</yml_catalog>\n"
