"""Writing the active catalogue as a YML feed, piece by piece (constant memory on a million offers).

Prices are roubles (``price`` = the rouble price of the 1+ break, as a buyer of one MOQ pays it
per unit at the lowest break shown on the site: ``price_rub_from``). The wholesale extension
carries the source-currency breaks, MOQ, stock and supplier, so importing the export rebuilds
the same catalogue (see ``feeds.reader`` for the elements).

Yandex Market YML rules followed (yandex.ru/support/partnermarket: «YML format»,
«elements/id-type-available.html», «offers.html»):

* ``yml_catalog/@date`` is the generation time as ``YYYY-MM-DD hh:mm``.
* ``shop/company`` is the company's full legal name (our ``SELLER_FULL_NAME``).
* ``offer/@id`` «may contain only numbers and Latin letters, at most 20 characters», and must be
  unique among all the shop's offers and stay the same between versions: our product id. (A
  supplier's own offer id is neither: two suppliers can use the same one.)
* ``<picture>``: up to 10 URLs of real product pictures; a product without any gets none (never
  our placeholder).
* ``<vendor>``: the brand (the «Бренд» attribute); ``<param name="…" unit="…">``: the unit in its
  own attribute when the value is a number followed by a unit («750 Вт» → ``unit="Вт"``, 750).
* ``available="false"`` only when the stock is known to be zero; an unknown stock writes no
  ``<stock>`` element.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from storefront.catalog.models import Category, Product, ProductStatus
from storefront.fx.models import ExchangeRate

BATCH = 1000
#: The attribute that holds the brand (the importer stores ``<vendor>`` under it).
BRAND = "Бренд"
#: «750 Вт», «5.6 дюйм», «80 г/м2»: a number, a space, then a short unit that starts with a non-digit.
_WITH_UNIT = re.compile(r"^(-?\d+(?:[.,]\d+)?)\s+([^\d\s][^\s]{0,15})$")
MAX_PICTURES = 10


def split_unit(value: str) -> tuple[str, str | None]:
    """``("750", "Вт")`` for «750 Вт»; ``(value, None)`` when the value is not a number with a unit."""
    match = _WITH_UNIT.match(value.strip())
    return (match.group(1), match.group(2)) if match else (value, None)


def _param(name: str, value: str) -> str:
    number, unit = split_unit(value)
    unit_attr = f" unit={quoteattr(unit)}" if unit else ""
    return f"<param name={quoteattr(name)}{unit_attr}>{escape(number)}</param>"


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
    attributes = {str(name): str(value) for name, value in (product.attributes or {}).items()}
    vendor = attributes.pop(BRAND, None)
    params = "".join(_param(name, value) for name, value in sorted(attributes.items()))
    breaks = "".join(
        f'<break min-quantity="{b.min_quantity}">{_amount(b.unit_price)}</break>' for b in product.price_breaks
    )
    pictures = "".join(f"<picture>{escape(url)}</picture>" for url in (product.picture_urls or [])[:MAX_PICTURES])
    available = "false" if product.stock == 0 else "true"
    stock = "" if product.stock is None else f"<stock>{product.stock}</stock>"
    return (
        f'<offer id="{product.id}" available="{available}">'
        f"<name>{escape(product.title)}</name>"
        + (f"<vendor>{escape(vendor)}</vendor>" if vendor else "")
        + f"<url>{escape(base_url)}/product/{product.id}-{escape(product.slug)}</url>"
        f"<price>{_amount(product.price_rub_from)}</price><currencyId>RUR</currencyId>"
        f"<categoryId>{product.category_id}</categoryId>{pictures}"
        f"<vendorCode>{escape(product.sku)}</vendorCode>"
        f"<description>{escape(product.description or '')}</description>{params}"
        f"<min-quantity>{product.moq}</min-quantity>{stock}"
        + (f"<lead-time-days>{product.lead_time_days}</lead-time-days>" if product.lead_time_days else "")
        + f"<supplier city={quoteattr(product.supplier.city)}>{escape(product.supplier.name)}</supplier>"
        f"<price-breaks currency={quoteattr(product.currency)}>{breaks}</price-breaks>"
        "</offer>\n"
    )


def write_yml(session: Session, shop_name: str, company: str, base_url: str, now: datetime) -> Iterator[str]:
    """The feed as text pieces. Products are read in id batches (keyset), never all at once."""
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield f'<yml_catalog date="{now.strftime("%Y-%m-%d %H:%M")}">\n<shop>\n'
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
