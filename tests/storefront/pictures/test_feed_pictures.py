"""Feed import queues pictures for new and changed URLs (set-based), keeps downloaded ones, and the YML
export lists the suppliers' picture URLs, never ours or a placeholder."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import select

from storefront.catalog.models import Product
from storefront.db import utcnow
from storefront.feeds.export import write_yml
from storefront.feeds.services import import_feed
from storefront.pictures.models import PictureStatus, ProductPicture
from tests.support.factories import load_rates

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<yml_catalog date="2026-12-06 10:00"><shop><name>Синьхуа</name><company>Иу Синьхуа</company>
<currencies><currency id="RUR" rate="1"/></currencies>
<categories><category id="1">Рюкзаки</category></categories>
<offers>
<offer id="A1"><name>Рюкзак городской</name><price>1500</price><currencyId>RUR</currencyId><categoryId>1</categoryId>
{pictures_a1}</offer>
<offer id="A2"><name>Рюкзак детский</name><price>900</price><currencyId>RUR</currencyId><categoryId>1</categoryId>
{pictures_a2}</offer>
</offers></shop></yml_catalog>"""


def _feed(a1: list[str], a2: list[str]) -> io.BytesIO:
    tags = lambda urls: "".join(f"<picture>{url}</picture>" for url in urls)  # noqa: E731
    return io.BytesIO(FEED.format(pictures_a1=tags(a1), pictures_a2=tags(a2)).encode())


def _rows(session, offer_id: str) -> list[tuple[int, int, str, str]]:
    session.expire_all()
    product_id = session.scalar(select(Product.id).where(Product.feed_offer_id == offer_id))
    return [
        (row.id, row.position, row.source_url, row.status)
        for row in session.scalars(
            select(ProductPicture).where(ProductPicture.product_id == product_id).order_by(ProductPicture.position)
        )
    ]


def test_an_import_queues_each_picture_url_in_feed_order(session):
    import_feed(session, _feed(["https://s.cn/1.jpg", "https://s.cn/2.jpg"], []))
    assert [row[1:] for row in _rows(session, "A1")] == [
        (0, "https://s.cn/1.jpg", "pending"),
        (1, "https://s.cn/2.jpg", "pending"),
    ]
    assert _rows(session, "A2") == []


def test_a_re_import_touches_only_what_changed(session):
    import_feed(
        session, _feed(["https://s.cn/1.jpg", "https://s.cn/2.jpg", "https://s.cn/3.jpg"], ["https://s.cn/k.jpg"])
    )
    first = {url: picture_id for picture_id, _position, url, _status in _rows(session, "A1")}
    kid = _rows(session, "A2")
    # «2.jpg» was downloaded meanwhile.
    picture = session.get(ProductPicture, first["https://s.cn/2.jpg"])
    picture.status, picture.file_key, picture.sizes = PictureStatus.READY, "a" * 32, {"400": [400, 400]}
    session.commit()

    import_feed(
        session, _feed(["https://s.cn/2.jpg", "https://s.cn/4.jpg", "https://s.cn/1.jpg"], ["https://s.cn/k.jpg"])
    )
    rows = _rows(session, "A1")
    assert [(position, url, status) for _id, position, url, status in rows] == [
        (0, "https://s.cn/2.jpg", "ready"),  # kept with its files, moved first
        (1, "https://s.cn/4.jpg", "pending"),  # new
        (2, "https://s.cn/1.jpg", "pending"),  # kept, moved
    ]
    assert rows[0][0] == first["https://s.cn/2.jpg"] and rows[2][0] == first["https://s.cn/1.jpg"]
    assert _rows(session, "A2") == kid  # unchanged URLs: untouched

    import_feed(session, _feed([], ["https://s.cn/k.jpg"]))
    assert _rows(session, "A1") == []  # the feed dropped them all: the placeholder again


def test_the_export_lists_the_supplier_picture_urls_only(session, tmp_path: Path):
    load_rates(session)
    import_feed(session, _feed(["https://s.cn/1.jpg", "https://s.cn/2.jpg"], []))
    product_id = session.scalar(select(Product.id).where(Product.feed_offer_id == "A1"))
    picture = session.scalars(select(ProductPicture).where(ProductPicture.product_id == product_id)).first()
    picture.status, picture.file_key, picture.sizes = PictureStatus.READY, "b" * 32, {"400": [400, 400]}
    session.commit()
    exported = "".join(write_yml(session, "Мостик", "Мостик", "http://127.0.0.1:5000", utcnow()))
    assert exported.count("<picture>") == 2
    assert "<picture>https://s.cn/1.jpg</picture><picture>https://s.cn/2.jpg</picture>" in exported
    assert "/media/" not in exported and "placeholder" not in exported
