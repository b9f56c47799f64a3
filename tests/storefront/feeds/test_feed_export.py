"""/feeds/yandex.yml over HTTP: valid YML with rouble prices, escaped text, cacheable."""

import xml.etree.ElementTree as ET

from storefront.catalog.queries import configure_category_cache
from tests.support.factories import create_category, create_product, create_supplier, load_rates


def test_feed_is_valid_yml_with_rouble_prices(client, session):
    load_rates(session, usd="80.0000")
    category = create_category(session, "Посуда & кухня")
    supplier = create_supplier(session, city="Иу")
    create_product(session, category, supplier, title='Кастрюля <"стальная"> & крышка', breaks=[(1, "10.00")])
    create_product(session, category, supplier, title="Черновик", status="draft")
    session.commit()

    response = client.get("/feeds/yandex.yml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.cache_control.public and response.cache_control.max_age == 3600
    root = ET.fromstring(response.get_data())
    offers = root.findall("shop/offers/offer")
    assert [offer.findtext("name") for offer in offers] == ['Кастрюля <"стальная"> & крышка']
    assert offers[0].findtext("currencyId") == "RUR"
    assert offers[0].findtext("price") == "920.00"  # 10 USD × 80 × 1.15 markup
    assert root.findtext("shop/categories/category") == "Посуда & кухня"

    again = client.get("/feeds/yandex.yml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_feed_version_is_kept_for_the_cache_lifetime(client, session):
    """The ETag (a count over every active product) is computed once per lifetime, not per poll."""
    load_rates(session)
    category, supplier = create_category(session, "Посуда"), create_supplier(session, city="Иу")
    create_product(session, category, supplier, title="Кастрюля")
    session.commit()
    configure_category_cache(60)
    try:
        etag = client.get("/feeds/yandex.yml").headers["ETag"]
        create_product(session, category, supplier, title="Сковорода")
        session.commit()
        assert client.get("/feeds/yandex.yml", headers={"If-None-Match": etag}).status_code == 304
    finally:
        configure_category_cache(0)
    changed = client.get("/feeds/yandex.yml", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "<name>Сковорода</name>" in changed.get_data(as_text=True)
