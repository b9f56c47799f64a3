"""Build a synthetic catalogue of N products for the benchmark, fast (Core bulk inserts).

Deterministic for a given N and seed: 20 root categories × 20 leaves, 60 suppliers, products
spread over the leaves with a skew (a few big categories, a long tail, as in real shops),
titles «Синяя тарелка из нержавеющей стали в стиле лофт «Уралмаш» АР-8970», 1–3 price breaks,
rouble prices from stored rates, and the search index built with ``search.index.index_products``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlalchemy.orm import Session

from storefront.catalog.models import Category, PriceBreak, Product, Supplier
from storefront.catalog.services import recompute_rouble_prices
from storefront.db import utcnow
from storefront.fx.cbr import RateQuote, RateSheet
from storefront.fx.services import store_rates
from storefront.search.index import index_products

ROOTS = (
    "Обувь", "Одежда", "Сумки", "Посуда", "Текстиль для дома", "Игрушки", "Электроника", "Инструменты",
    "Спорт", "Канцелярия", "Новогодний декор", "Мебель", "Освещение", "Косметика", "Автотовары",
    "Сад и огород", "Зоотовары", "Упаковка", "Бижутерия", "Товары для детей",
)  # fmt: skip
NOUNS = (
    ("кроссовки", "pl"), ("ботинки", "pl"), ("тарелка", "f"), ("чайник", "m"), ("сумка", "f"), ("рюкзак", "m"),
    ("кружка", "f"), ("подушка", "f"), ("плед", "m"), ("куртка", "f"), ("футболка", "f"), ("ремень", "m"),
    ("кошелёк", "m"), ("фонарь", "m"), ("ёлка", "f"), ("гирлянда", "f"), ("лампа", "f"), ("стул", "m"),
    ("ведро", "n"), ("зеркало", "n"), ("полотенце", "n"), ("одеяло", "n"), ("шапка", "f"), ("перчатки", "pl"),
    ("наушники", "pl"), ("часы", "pl"), ("игрушка", "f"), ("конструктор", "m"), ("мяч", "m"), ("коврик", "m"),
)  # fmt: skip
ADJECTIVES = {
    "m": ("синий", "чёрный", "белый", "красный", "мужской", "детский", "складной", "компактный", "зимний"),
    "f": ("синяя", "чёрная", "белая", "красная", "мужская", "детская", "складная", "компактная", "зимняя"),
    "n": ("синее", "чёрное", "белое", "красное", "мужское", "детское", "складное", "компактное", "зимнее"),
    "pl": ("синие", "чёрные", "белые", "красные", "мужские", "детские", "складные", "компактные", "зимние"),
}
MATERIALS = ("нержавеющей стали", "хлопка", "кожи", "пластика", "дерева", "стекла", "бамбука", "керамики", "шерсти")
FEATURES = ("в стиле лофт", "с крышкой", "для кухни", "для бега", "с подсветкой", "на молнии", "подарочный набор")
BRANDS = ("Уралмаш", "Байкал", "Сибирь", "Алтай", "Xiaomi", "Baseus", "Ugreen", "Deli", "Camel", "Li-Ning")
CITIES = ("Гуанчжоу", "Дунгуань", "Иу", "Нинбо", "Шэньчжэнь")
CODE_LETTERS = "АБВГДЕКМНПРСТ"
BATCH = 10_000


def _title(rng: random.Random) -> tuple[str, str]:
    noun, gender = rng.choice(NOUNS)
    adjective = rng.choice(ADJECTIVES[gender])
    title = (
        f"{adjective.capitalize()} {noun} из {rng.choice(MATERIALS)} {rng.choice(FEATURES)} "
        f"«{rng.choice(BRANDS)}» {rng.choice(CODE_LETTERS)}{rng.choice(CODE_LETTERS)}-{rng.randint(100, 9999)}"
    )
    return title, noun


def build_catalogue(session: Session, products: int, seed: int = 1, progress=print) -> dict[str, int]:
    """Fill an empty, migrated database; returns ids the benchmark URLs need."""
    rng = random.Random(seed)
    connection: Connection = session.connection()
    now = utcnow()
    categories, category_id = [], 0
    for root_index, root in enumerate(ROOTS):
        category_id += 1
        root_id = category_id
        categories.append({"id": root_id, "parent_id": None, "name": root, "slug": f"c-{root_id}", "position": 0})
        for leaf in range(20):
            category_id += 1
            noun = NOUNS[(root_index + leaf) % len(NOUNS)][0]
            categories.append(
                {"id": category_id, "parent_id": root_id, "name": f"{noun.capitalize()} {leaf + 1}",
                 "slug": f"c-{category_id}", "position": leaf}
            )  # fmt: skip
    connection.execute(insert(Category), categories)
    leaves = [row["id"] for row in categories if row["parent_id"] is not None]
    suppliers = [
        {"id": n, "name": f"Фабрика №{n}", "slug": f"s-{n}", "city": CITIES[n % len(CITIES)],
         "rating_tenths": 30 + n % 20, "commission_bp": 300 + (n * 37) % 900, "is_factory": n % 3 != 0,
         "years_on_platform": 1 + n % 9, "created_at": now, "updated_at": now}
        for n in range(1, 61)
    ]  # fmt: skip
    connection.execute(insert(Supplier), suppliers)
    store_rates(
        session,
        RateSheet(
            date(2026, 11, 25),
            {
                code: RateQuote(code, 1, Decimal(value), Decimal(value), None, None, None)
                for code, value in (("USD", "80.0000"), ("CNY", "11.0000"))
            },
        ),
        "bench",
    )
    for start in range(1, products + 1, BATCH):
        rows, breaks = [], []
        for product_id in range(start, min(start + BATCH, products + 1)):
            title, noun = _title(rng)
            price = Decimal(rng.randint(50, 500_000)) / 100
            rows.append(
                {
                    "id": product_id, "supplier_id": rng.randint(1, 60),
                    "category_id": leaves[int(len(leaves) * rng.random() ** 2)],
                    "sku": f"MB-{product_id:07d}", "title": title, "slug": f"p-{product_id}",
                    "description": f"Оптом от фабрики: {noun}, образцы и партии под заказ.",
                    "attributes": {"Материал": rng.choice(MATERIALS), "Бренд": rng.choice(BRANDS)},
                    "weight_grams": rng.randint(50, 5000), "moq": rng.choice((1, 1, 10, 50)),
                    "stock": rng.choice((0, 100, 1000)), "lead_time_days": rng.choice((None, 7, 15)),
                    "status": "archived" if rng.random() < 0.02 else "active",
                    "currency": rng.choice(("USD", "CNY")), "source_price_from": price * Decimal("0.8"),
                    "popularity": int(rng.paretovariate(1.2) * 10), "image_count": 1,
                    "published_at": now - timedelta(minutes=rng.randint(0, 500_000)),
                    "created_at": now, "updated_at": now,
                }
            )  # fmt: skip
            breaks.append({"product_id": product_id, "min_quantity": 1, "unit_price": price})
            breaks.append({"product_id": product_id, "min_quantity": 50, "unit_price": price * Decimal("0.8")})
        connection.execute(insert(Product), rows)
        connection.execute(insert(PriceBreak), breaks)
        progress(f"products: {rows[-1]['id']} of {products}")
    recompute_rouble_prices(session)
    progress("search index…")
    postgres = connection.dialect.name == "postgresql"
    if postgres:  # one GIN build at the end is much faster than a million incremental inserts
        connection.execute(text("DROP INDEX IF EXISTS ix_product_search_document"))
    for start in range(1, products + 1, 50_000):
        index_products(session, range(start, min(start + 50_000, products + 1)))
        progress(f"indexed: {min(start + 49_999, products)} of {products}")
    if postgres:
        connection.execute(text("CREATE INDEX ix_product_search_document ON product_search USING gin (document)"))
        connection.execute(text("ANALYZE"))
    else:
        connection.execute(text("INSERT INTO product_fts(product_fts) VALUES ('optimize')"))
        connection.execute(text("ANALYZE"))
    session.commit()
    if postgres:  # the bulk UPDATE of prices left dead rows; index-only scans need the visibility map
        engine = session.get_bind()
        assert isinstance(engine, Engine)  # the bench's sessions are bound to the engine
        with engine.connect() as autocommit:
            autocommit.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return targets(session)


def targets(session: Session) -> dict[str, int]:
    """The biggest leaf category (deep pages exist there) and a popular product."""
    category_id, _count = session.execute(
        select(Product.category_id, func.count()).group_by(Product.category_id).order_by(func.count().desc()).limit(1)
    ).one()
    product_id = session.execute(
        select(Product.id).where(Product.status == "active").order_by(Product.id).limit(1)
    ).scalar_one()
    return {"category_id": category_id, "product_id": product_id}
