"""A re-import skips offers that would change nothing and writes exactly the changed ones, with the old semantics.

The equivalence tests run the same feeds through the import with the skip turned off (every matched offer goes
the full ORM way, as before) and with it on, and compare everything the import writes.
"""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from storefront.catalog.models import PriceBreak, Product, ProductStatus
from storefront.catalog.queries import ListingFilters
from storefront.feeds.services import Problem, import_feed
from storefront.fx.services import current_pricing
from storefront.pictures.models import ProductPicture
from storefront.search.models import ProductSearch
from storefront.search.queries import search_products
from tests.support.factories import load_rates

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-12-06 10:00"><shop><company>Иу Синьхуа</company>
<currencies><currency id="RUR" rate="1"/><currency id="USD" rate="CBRF"/></currencies>
<categories><category id="1">Рюкзаки</category><category id="2" parentId="1">Детские</category>
<category id="3">Сумки</category></categories>
<offers>
"""
TAIL = "</offers></shop></yml_catalog>\n"


def offer(
    offer_id: str,
    name: str = "",
    price: str = "100",
    stock: str | None = "10",
    category: str = "1",
    pictures: tuple[str, ...] = (),
    code: str | None = None,
    colour: str = "чёрный",
    usd_breaks: tuple[tuple[int, str], ...] = (),
    supplier: str | None = None,
    description: str = "Прочный",
) -> str:
    parts = [f'<offer id="{offer_id}">']
    parts.append(f"<name>{name or 'Рюкзак ' + offer_id}</name>")
    if usd_breaks:
        breaks = "".join(f'<break min-quantity="{q}">{p}</break>' for q, p in usd_breaks)
        parts.append(f'<price>{usd_breaks[0][1]}</price><price-breaks currency="USD">{breaks}</price-breaks>')
    else:
        parts.append(f"<price>{price}</price><currencyId>RUR</currencyId>")
    parts.append(f"<categoryId>{category}</categoryId>")
    parts += [f"<picture>{url}</picture>" for url in pictures]
    if stock is not None:
        parts.append(f"<stock>{stock}</stock>")
    if code:
        parts.append(f"<vendorCode>{code}</vendorCode>")
    if supplier:
        parts.append(f'<supplier city="Нинбо">{supplier}</supplier>')
    parts.append(f"<description><![CDATA[<p>{description}</p>]]></description>")
    parts.append(f'<param name="Цвет">{colour}</param></offer>\n')
    return "".join(parts)


def feed(*offers: str) -> io.BytesIO:
    return io.BytesIO((HEAD + "".join(offers) + TAIL).encode())


def _state(session) -> dict[str, tuple]:
    """Each product's row (timestamps and the stamp made from them apart) and its breaks, by offer id."""
    session.expire_all()
    breaks: dict[int, list[tuple]] = {}
    for row in session.execute(select(PriceBreak.product_id, PriceBreak.min_quantity, PriceBreak.unit_price)):
        breaks.setdefault(row[0], []).append(tuple(row[1:]))
    table = Product.__table__
    columns = [c for c in table.c if c.name not in ("id", "created_at", "updated_at", "published_at", "feed_hash")]
    return {
        (row.supplier_id, row.feed_offer_id): (tuple(row), tuple(sorted(breaks.get(row.id, []))))
        for row in session.execute(select(table.c.id, *columns))
    }


def _by_offer(state: dict[tuple, tuple]) -> dict[str, tuple]:
    return {offer_id: value for (_supplier_id, offer_id), value in state.items()}


def _times_and_break_ids(session) -> dict[str, tuple]:
    session.expire_all()
    break_ids: dict[int, list[int]] = {}
    for product_id, break_id in session.execute(select(PriceBreak.product_id, PriceBreak.id)):
        break_ids.setdefault(product_id, []).append(break_id)
    return {
        offer_id: (updated_at, sorted(break_ids.get(product_id, [])))
        for offer_id, product_id, updated_at in session.execute(
            select(Product.feed_offer_id, Product.id, Product.updated_at)
        )
    }


BASE = {
    "P1": {"price": "100"},
    "P2": {"stock": "5"},
    "P3": {"name": "Рюкзак школьный"},
    "P4": {"pictures": ("https://s.cn/4a.jpg",)},
    "P5": {"category": "2"},
    "P6": {"colour": "белый"},
    "P7": {"usd_breaks": ((1, "2.50"), (100, "2.00"))},
    "P8": {},
    "P9": {"pictures": ("https://s.cn/9.jpg",), "code": "VC-9"},
}
CHANGES = {
    "P1": {"price": "120"},
    "P2": {"stock": None},  # no <stock>: unknown
    "P3": {"name": "Рюкзак туристический"},
    "P4": {"pictures": ("https://s.cn/4b.jpg", "https://s.cn/4a.jpg")},
    "P5": {"category": "3"},
    "P6": {"colour": "синий"},
    "P7": {"usd_breaks": ((1, "2.50"), (100, "1.90"))},
}


def test_a_re_import_writes_exactly_the_changed_offers(session):
    load_rates(session)
    import_feed(session, feed(*(offer(i, **values) for i, values in BASE.items())))
    before_state, before = _by_offer(_state(session)), _times_and_break_ids(session)
    index_before = {row.product_id: row.title_terms for row in session.scalars(select(ProductSearch))}
    pictures_before = {row.id for row in session.scalars(select(ProductPicture))}

    report = import_feed(session, feed(*(offer(i, **{**values, **CHANGES.get(i, {})}) for i, values in BASE.items())))
    assert (report.created, report.updated, report.problems) == (0, len(BASE), [])
    after_state, after = _by_offer(_state(session)), _times_and_break_ids(session)
    for offer_id in BASE:
        if offer_id in CHANGES:
            assert after_state[offer_id] != before_state[offer_id], offer_id
            assert after[offer_id][0] > before[offer_id][0], offer_id  # updated_at moves
        else:  # not written at all: the same row, the same break rows, the same time
            assert after_state[offer_id] == before_state[offer_id], offer_id
            assert after[offer_id] == before[offer_id], offer_id
    p3 = session.scalars(select(Product).where(Product.feed_offer_id == "P3")).one()
    assert (p3.title, p3.slug) == ("Рюкзак туристический", "riukzak-turisticheskii")
    p2 = session.scalars(select(Product).where(Product.feed_offer_id == "P2")).one()
    assert p2.stock is None
    p7 = session.scalars(select(Product).where(Product.feed_offer_id == "P7")).one()
    assert [(b.min_quantity, b.unit_price) for b in p7.price_breaks] == [(1, Decimal("2.50")), (100, Decimal("1.90"))]
    assert p7.price_rub_from == current_pricing(session).to_rub(Decimal("1.90"), "USD")
    # The search index follows the new name; unchanged products keep their index rows.
    found = search_products(session, "туристический", ListingFilters(), 24)
    assert [p.title for p in found.listing.products] == ["Рюкзак туристический"]
    index_after = {row.product_id: row.title_terms for row in session.scalars(select(ProductSearch))}
    assert set(index_after) == set(index_before)
    # Pictures: only P4's changed (4a kept and moved, 4b queued); P9's untouched.
    pictures_after = {row.id: row for row in session.scalars(select(ProductPicture))}
    assert len(set(pictures_after) - pictures_before) == 1
    assert pictures_before <= set(pictures_after)


def test_an_unchanged_offer_is_written_again_when_what_it_would_write_differs(session):
    """Rates moved (its rouble price), or staff archived the product: the offer is not «unchanged»."""
    load_rates(session)
    import_feed(session, feed(offer("U1", usd_breaks=((1, "3.00"),)), offer("U2"), offer("U3")))
    session.execute(update(Product).where(Product.feed_offer_id == "U2").values(status=ProductStatus.ARCHIVED))
    session.commit()
    before_price = session.scalar(select(Product.price_rub_from).where(Product.feed_offer_id == "U1"))
    load_rates(session, usd="90.0000", on=date(2026, 11, 26))
    session.commit()
    before = _times_and_break_ids(session)
    report = import_feed(session, feed(offer("U1", usd_breaks=((1, "3.00"),)), offer("U2"), offer("U3")))
    assert (report.created, report.updated) == (0, 3)
    after = _times_and_break_ids(session)
    rows = {p.feed_offer_id: p for p in session.scalars(select(Product))}
    assert rows["U1"].price_rub_from == current_pricing(session).to_rub(Decimal("3.00"), "USD")
    assert rows["U1"].price_rub_from != before_price
    assert rows["U2"].status == ProductStatus.ACTIVE
    assert after["U1"][0] > before["U1"][0] and after["U2"][0] > before["U2"][0]
    assert after["U3"] == before["U3"]


def test_problems_are_still_reported_with_their_lines_on_a_re_import(session):
    load_rates(session)
    offers = [offer("G1"), '<offer id="B1"><name>Без цены</name><price>-1</price><categoryId>1</categoryId></offer>\n']
    first = import_feed(session, feed(*offers))
    again = import_feed(session, feed(*offers))
    expected = [("B1", Problem.BAD_PRICE, HEAD.count("\n") + 2)]
    assert [(p.offer_id, p.problem, p.line) for p in first.problems] == expected
    assert [(p.offer_id, p.problem, p.line) for p in again.problems] == expected
    assert (again.created, again.updated) == (0, 1)


def _random_offers(rng: random.Random) -> dict[int, dict]:
    """Each offer number's values: vendorCodes shared between numbers, two suppliers."""
    return {
        number: {
            "name": f"Рюкзак {number}",
            "price": rng.choice(["100", "250"]),
            "stock": rng.choice(["5", None]),
            "category": rng.choice(["1", "2"]),
            "pictures": rng.choice([(), (f"https://s.cn/{number}.jpg",)]),
            "code": rng.choice([None, f"VC-{number}", f"VC-{rng.randrange(NUMBERS)}"]),
            "supplier": rng.choice([None, None, "Нинбо Декор"]),
        }
        for number in range(NUMBERS)
    }


def _random_feed(rng: random.Random, offers: dict[int, dict]) -> io.BytesIO:
    """Most offers as last time; some changed, some repeated, some moved to another offer's vendorCode."""
    written = []
    for number in rng.sample(range(NUMBERS), rng.randrange(NUMBERS // 2, NUMBERS)):
        values = offers[number]
        roll = rng.random()
        if roll < 0.15:
            values["price"] = str(int(values["price"]) + 10)
        elif roll < 0.2:
            values["name"] += " новый"
        elif roll < 0.25:
            values["pictures"] = (*values["pictures"], f"https://s.cn/{number}-{rng.randrange(99)}.jpg")
        elif roll < 0.3:
            values["code"] = f"VC-{rng.randrange(NUMBERS)}"
        elif roll < 0.35:
            values["category"] = "3"
        written.append(offer(f"R{number}", **values))
        if rng.random() < 0.1:  # the same offer id again, with other values
            written.append(offer(f"R{number}", **{**values, "price": "999", "code": f"VC-{rng.randrange(NUMBERS)}"}))
    rng.shuffle(written)
    return feed(*written)


NUMBERS = 16


def _run(session, monkeypatch, seed: int, batch: int, fast: bool, chunk: int = 2000) -> tuple[list, Counter]:
    from storefront.feeds import services

    monkeypatch.setattr(services, "BATCH", batch)
    monkeypatch.setattr(services, "CHUNK", chunk)
    skipped: Counter = Counter()

    def counted(name: str):  # noqa: ANN202
        real = getattr(services, name)

        def run(*args):  # noqa: ANN002, ANN202
            found = real(*args)
            skipped[name] += len(found)
            return found

        return run

    if fast:
        for name in ("_save_known_offers", "_unchanged_offers"):
            monkeypatch.setattr(services, name, counted(name))
        insert_new_products = services._insert_new_products

        def inserted(session, rows, now):  # noqa: ANN001, ANN202
            skipped["_insert_new_products"] += len(rows)
            return insert_new_products(session, rows, now)

        monkeypatch.setattr(services, "_insert_new_products", inserted)
    else:
        monkeypatch.setattr(services, "_save_known_offers", lambda *args: set())
        monkeypatch.setattr(services, "_unchanged_offers", lambda *args: set())
        monkeypatch.setattr(services, "_alone_in_batch", lambda *args: False)
    load_rates(session)
    rng = random.Random(seed)
    offers = _random_offers(rng)
    results = []
    times: dict[tuple, object] = {}
    for _round in range(5):
        report = import_feed(session, _random_feed(rng, offers))
        rows = session.execute(select(Product.supplier_id, Product.feed_offer_id, Product.updated_at)).all()
        touched = sorted(
            (supplier, offer_id) for supplier, offer_id, at in rows if times.get((supplier, offer_id)) != at
        )
        times = {(supplier, offer_id): at for supplier, offer_id, at in rows}
        null_pictures = session.scalar(select(func.count()).where(Product.__table__.c.picture_urls.is_(None)))
        pictures = sorted(
            session.execute(
                select(Product.feed_offer_id, ProductPicture.position, ProductPicture.source_url).join(
                    Product, Product.id == ProductPicture.product_id
                )
            ).all()
        )
        index = sorted(
            session.execute(
                select(Product.feed_offer_id, ProductSearch.title_terms, ProductSearch.attribute_terms).join(
                    Product, Product.id == ProductSearch.product_id
                )
            ).all()
        )
        state = {key: (row[1:], breaks) for key, (row, breaks) in _state(session).items()}
        results.append(
            (report.created, report.updated, report.problems, sorted(state.items()), pictures, index)
            + (touched, null_pictures)
        )
    return results, skipped


@pytest.mark.parametrize("chunk", [4, 2000])
@pytest.mark.parametrize("batch", [1, 3, 500])
@pytest.mark.parametrize("seed", range(6))
def test_the_skip_gives_what_the_full_import_gives(session, monkeypatch, seed, batch, chunk):
    """Random feeds (ids repeated, vendorCodes shared and moved between offers) imported five times in a row:
    the products, breaks, pictures, search rows and reports are the same with both skips (the unchanged text, the
    unchanged values) and the set-based insert of new products as without them (all through the ORM), whatever
    the batches and the chunks looked up together."""
    with monkeypatch.context() as patched:
        fast, skipped = _run(session, patched, seed, batch, fast=True, chunk=chunk)
    for model in (ProductPicture, ProductSearch, PriceBreak, Product):
        session.execute(model.__table__.delete())
    session.commit()
    with monkeypatch.context() as patched:
        full, _ = _run(session, patched, seed, batch, fast=False)
    assert skipped["_unchanged_offers"] > 5 and skipped["_save_known_offers"] > 5, skipped  # the skips taken …
    assert skipped["_insert_new_products"] > 0, skipped  # … and the set-based insert …
    assert fast == full  # … and changed nothing


def test_an_offer_taking_over_a_product_by_vendor_code_is_not_overtaken_by_the_skip(session):
    """Y (new offer id, vendorCode = P's SKU) comes first and takes P over; X, P's unchanged offer, then finds
    nothing by its offer id and creates a product — as the full import does."""
    load_rates(session)
    import_feed(session, feed(offer("X", code="VC-P")))
    report = import_feed(session, feed(offer("Y", name="Рюкзак новый", code="VC-P"), offer("X")))
    assert (report.created, report.updated) == (1, 1)
    rows = sorted(session.execute(select(Product.feed_offer_id, Product.sku, Product.title)).all())
    assert rows == [("X", "iu-sinkhua-X", "Рюкзак X"), ("Y", "VC-P", "Рюкзак новый")]


def _skipped_by_stamp(monkeypatch) -> list[str]:
    """The offer ids ``_unchanged_offers`` skips from now on, in order."""
    from storefront.feeds import services

    found: list[str] = []
    real = services._unchanged_offers

    def spy(session, catalogue, chunk, *args):  # noqa: ANN001, ANN002, ANN202
        unchanged = real(session, catalogue, chunk, *args)
        found.extend(chunk[position].offer_id for position in sorted(unchanged))
        return unchanged

    monkeypatch.setattr(services, "_unchanged_offers", spy)
    return found


STAMPED = {
    "S1": {"price": "100"},
    "S2": {"stock": "5"},
    "S3": {"pictures": ("https://s.cn/s3.jpg",)},
    "S4": {"description": "Прочный"},
    "S5": {"usd_breaks": ((1, "2.50"), (100, "2.20"), (500, "2.00"))},
    "S6": {},
    "S7": {"code": "VC-7"},
}
STAMP_CHANGES = {
    "S1": {"price": "110"},
    "S2": {"stock": "4"},
    "S3": {"pictures": ("https://s.cn/s3b.jpg",)},
    "S4": {"description": "Очень прочный"},
    "S5": {"usd_breaks": ((1, "2.50"), (100, "2.10"), (500, "2.00"))},  # not the lowest: no product column moves
}


def test_only_the_changed_offers_are_checked_and_written_on_a_re_import(session, monkeypatch):
    """An offer changed in its price, stock, pictures, description or breaks is written; the others are recognised
    by their stamp alone — not checked, not compared, not written (same row, break rows, updated_at)."""
    load_rates(session)
    import_feed(session, feed(*(offer(i, **values) for i, values in STAMPED.items())))
    before_state, before = _by_offer(_state(session)), _times_and_break_ids(session)
    stamps = dict(session.execute(select(Product.feed_offer_id, Product.feed_hash)).all())
    assert all(stamps.values())
    skipped = _skipped_by_stamp(monkeypatch)

    changed = [offer(i, **{**values, **STAMP_CHANGES.get(i, {})}) for i, values in STAMPED.items()]
    report = import_feed(session, feed(*changed))
    assert (report.created, report.updated, report.problems) == (0, len(STAMPED), [])
    assert skipped == ["S6", "S7"]
    after_state, after = _by_offer(_state(session)), _times_and_break_ids(session)
    after_stamps = dict(session.execute(select(Product.feed_offer_id, Product.feed_hash)).all())
    for offer_id in ("S6", "S7"):
        assert (after_state[offer_id], after[offer_id]) == (before_state[offer_id], before[offer_id])
        assert after_stamps[offer_id] == stamps[offer_id]
    for offer_id in STAMP_CHANGES:
        assert after_state[offer_id] != before_state[offer_id], offer_id
        assert after_stamps[offer_id] != stamps[offer_id], offer_id
    rows = {p.feed_offer_id: p for p in session.scalars(select(Product))}
    assert rows["S1"].source_price_from == Decimal("110")
    assert rows["S2"].stock == 4
    assert rows["S3"].picture_urls == ["https://s.cn/s3b.jpg"]
    assert rows["S4"].description == "<p>Очень прочный</p>"
    assert [(b.min_quantity, b.unit_price) for b in rows["S5"].price_breaks] == [
        (1, Decimal("2.50")),
        (100, Decimal("2.10")),
        (500, Decimal("2.00")),
    ]
    assert after["S5"][0] == before["S5"][0]  # only its breaks changed: no new updated_at, as before the skip

    skipped.clear()  # the same feed again: every offer is recognised by its new stamp
    again = import_feed(session, feed(*changed))
    assert (again.created, again.updated, again.problems) == (0, len(STAMPED), [])
    assert skipped == sorted(STAMPED)
    assert _times_and_break_ids(session) == after


def test_a_re_import_reports_each_bad_offer_beside_changed_and_skipped_ones(session, monkeypatch):
    """A changed offer, an unchanged one and one that has gone bad since: the bad one is reported by its line and
    id, as the full import does, and its product is left as it was."""
    load_rates(session)
    import_feed(session, feed(offer("C1"), offer("C2"), offer("C3")))
    before_state = _by_offer(_state(session))
    skipped = _skipped_by_stamp(monkeypatch)
    bad = offer("C3").replace("<price>100</price>", "<price>сто</price>")
    report = import_feed(session, feed(offer("C1", price="120"), offer("C2"), bad))
    assert [(p.offer_id, p.problem, p.line) for p in report.problems] == [
        ("C3", Problem.BAD_PRICE, HEAD.count("\n") + 3)
    ]
    assert (report.created, report.updated) == (0, 2)
    assert skipped == ["C2"]
    after_state = _by_offer(_state(session))
    assert after_state["C1"] != before_state["C1"]
    assert after_state["C3"] == before_state["C3"]


def test_a_product_changed_since_its_import_is_not_skipped(session, monkeypatch):
    """An order took stock (``updated_at`` moved): the same offer again is compared in full and its stock restored,
    as before the skip; the next import skips it again."""
    load_rates(session)
    import_feed(session, feed(offer("T1", stock="10"), offer("T2", stock="10")))
    session.execute(update(Product).where(Product.feed_offer_id == "T1").values(stock=Product.stock - 3))
    session.commit()
    skipped = _skipped_by_stamp(monkeypatch)
    report = import_feed(session, feed(offer("T1", stock="10"), offer("T2", stock="10")))
    assert (report.updated, skipped) == (2, ["T2"])
    assert session.scalar(select(Product.stock).where(Product.feed_offer_id == "T1")) == 10
    skipped.clear()
    import_feed(session, feed(offer("T1", stock="10"), offer("T2", stock="10")))
    assert skipped == ["T1", "T2"]


def test_a_csv_re_import_skips_its_unchanged_rows(session, monkeypatch):
    load_rates(session)
    text = "id;name;price;category\nk1;Сумка;150;Сумки\nk2;Рюкзак;200;Сумки / Рюкзаки\n"
    import_feed(session, io.BytesIO(text.encode()), "csv", default_supplier="Гуанчжоу Кожа")
    skipped = _skipped_by_stamp(monkeypatch)
    report = import_feed(
        session, io.BytesIO(text.replace("200", "210").encode()), "csv", default_supplier="Гуанчжоу Кожа"
    )
    assert (report.created, report.updated, skipped) == (0, 2, ["k1"])
    assert session.scalar(select(Product.source_price_from).where(Product.feed_offer_id == "k2")) == Decimal("210")


FIRST_FEED = [
    offer("N1", code="VC-1", pictures=("https://s.cn/n1.jpg",)),
    offer("N2", name="Рюкзак с кодом N1", code="VC-1"),  # N1's vendorCode: updates the product N1 created
    offer("N3", usd_breaks=((1, "2.50"), (100, "2.00"))),
    '<offer id="B1"><name>Без цены</name><price>-1</price><categoryId>1</categoryId></offer>\n',
    offer("N3", price="90", stock=None),  # the same offer id again
    offer("N4", code="TAKEN"),  # a SKU another supplier's product holds: N4 gets its own
    offer("N5", supplier="Нинбо Декор", pictures=("https://s.cn/n5a.jpg", "https://s.cn/n5b.jpg"), category="2"),
    offer("N6", stock=None, code="VC-6", description="Лёгкий <b>и</b> прочный"),
]


def _first_import(session, monkeypatch, batch: int, orm_only: bool) -> tuple:
    """Everything a first import of ``FIRST_FEED`` writes and reports, then which offers the next import skips."""
    from storefront.feeds import services

    monkeypatch.setattr(services, "BATCH", batch)
    if orm_only:
        monkeypatch.setattr(services, "_alone_in_batch", lambda *args: False)
    import_feed(session, feed(offer("Z1", code="TAKEN", supplier="Другой поставщик")))
    report = import_feed(session, feed(*FIRST_FEED))
    session.expire_all()
    pictures = session.execute(
        select(Product.feed_offer_id, ProductPicture.position, ProductPicture.source_url, ProductPicture.status)
        .join(Product, Product.id == ProductPicture.product_id)
        .order_by(Product.feed_offer_id, ProductPicture.position)
    ).all()
    index = session.execute(
        select(
            Product.feed_offer_id,
            ProductSearch.title_terms,
            ProductSearch.attribute_terms,
            ProductSearch.description_terms,
        )
        .join(Product, Product.id == ProductSearch.product_id)
        .order_by(Product.feed_offer_id)
    ).all()
    stamped = dict(session.execute(select(Product.feed_offer_id, Product.feed_hash.is_not(None))).all())
    skipped = _skipped_by_stamp(monkeypatch)
    import_feed(session, feed(*FIRST_FEED))
    problems = [(p.offer_id, p.problem, p.line) for p in report.problems]
    state = {key: (row[1:], breaks) for key, (row, breaks) in _state(session).items()}  # ids apart
    return (report.created, report.updated, problems), state, pictures, index, stamped, skipped


@pytest.mark.parametrize("batch", [1, 500])
def test_new_products_inserted_set_based_are_what_the_orm_made(session, monkeypatch, batch):
    """A first import inserts the new products that nothing else in the batch can reach with Core statements; the
    products, breaks, pictures, search rows, stamps and the report are those the ORM way gives — with an offer id
    repeated, a vendorCode shared, a SKU taken by another supplier's product and a bad offer among them."""
    load_rates(session)
    with monkeypatch.context() as patched:
        fast = _first_import(session, patched, batch, orm_only=False)
    for model in (ProductPicture, ProductSearch, PriceBreak, Product):
        session.execute(model.__table__.delete())
    session.commit()
    with monkeypatch.context() as patched:
        orm = _first_import(session, patched, batch, orm_only=True)
    assert fast == orm
    report, state, _pictures, _index, stamped, skipped = fast
    assert report == (5, 2, [("B1", Problem.BAD_PRICE, HEAD.count("\n") + 4)])
    assert {key[1]: row[0][2] for key, row in state.items()}["N4"] == "iu-sinkhua-N4"  # the SKU: supplier slug + id
    assert stamped["N4"] and stamped["N5"] and stamped["N6"] and not stamped["N2"]  # N2 took N1's product over
    assert {"N4", "N5", "N6"} <= set(skipped)  # the stamps of the inserted products hold on the next import
