"""``/sitemap.xml`` (an index), its category and product files, and ``/robots.txt``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from storefront.catalog import sitemap
from storefront.catalog.models import ProductStatus
from tests.support.factories import create_category, create_product, create_supplier, load_rates

NS = {"s": sitemap.NAMESPACE}
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def _xml(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "application/xml"
    assert response.cache_control.public and response.cache_control.max_age == 3600
    return ET.fromstring(response.get_data())


def _world(session):
    load_rates(session)
    root = create_category(session, "Обувь")
    child = create_category(session, "Кроссовки", parent=root)
    empty = create_category(session, "Пустая")
    archived_only = create_category(session, "Архив")
    supplier = create_supplier(session)
    active = [create_product(session, child, supplier, title=f"Кроссовки {n}") for n in range(5)]
    hidden = [
        create_product(session, archived_only, supplier, title="Старое", status=ProductStatus.ARCHIVED),
        create_product(session, child, supplier, title="Черновик", status=ProductStatus.DRAFT),
    ]
    session.commit()
    return root, child, empty, archived_only, active, hidden


def _locs(root):
    return [element.text for element in root.iterfind(".//s:loc", NS)]


def test_the_index_lists_categories_and_product_files_within_the_limit(app, client, session, monkeypatch):
    root, child, empty, archived_only, active, hidden = _world(session)
    monkeypatch.setattr(sitemap, "URLS_PER_FILE", 2)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{{{sitemap.NAMESPACE}}}sitemapindex"
    locs = _locs(index)
    files = (max(p.id for p in active) + 1) // 2
    assert locs == [
        f"{base}/sitemaps/categories.xml",
        *(f"{base}/sitemaps/products-{n}.xml" for n in range(1, files + 1)),
    ]

    seen = []
    for n in range(1, files + 1):
        urlset = _xml(client, f"/sitemaps/products-{n}.xml")
        assert urlset.tag == f"{{{sitemap.NAMESPACE}}}urlset"
        urls = urlset.findall("s:url", NS)
        assert len(urls) <= 2
        for url in urls:
            assert W3C.match(url.findtext("s:lastmod", namespaces=NS))
        seen += _locs(urlset)
    assert seen == [f"{base}/product/{p.id}-{p.slug}" for p in sorted(active, key=lambda p: p.id)]
    assert client.get(f"/sitemaps/products-{files + 1}.xml").status_code == 404
    assert client.get("/sitemaps/products-0.xml").status_code == 404


def test_the_category_file_has_only_categories_with_active_products(app, client, session):
    root, child, empty, archived_only, active, hidden = _world(session)
    base = app.config["PUBLIC_BASE_URL"].rstrip("/")
    urlset = _xml(client, "/sitemaps/categories.xml")
    assert sorted(_locs(urlset)) == sorted([f"{base}/catalog/{root.slug}", f"{base}/catalog/{child.slug}"])
    for url in urlset.findall("s:url", NS):
        assert W3C.match(url.findtext("s:lastmod", namespaces=NS))


def test_an_empty_catalogue_has_an_index_with_no_product_file(client, session):
    assert _locs(_xml(client, "/sitemap.xml"))[1:] == []
    assert client.get("/sitemaps/products-1.xml").status_code == 404


def test_robots_txt(app, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    for path in ("/cart", "/checkout", "/account", "/orders", "/crm", "/payments", "/search", "/c/"):
        assert f"Disallow: {path}" in lines
    assert "Disallow: /catalog" not in lines and "Disallow: /product" not in lines
    assert f"Sitemap: {app.config['PUBLIC_BASE_URL'].rstrip('/')}/sitemap.xml" in lines


def test_w3c_datetime_of_a_naive_time_is_utc():
    from datetime import datetime

    assert sitemap.w3c_datetime(datetime(2026, 12, 6, 4, 30, 15, 123)) == "2026-12-06T04:30:15+00:00"


def test_the_index_and_product_files_answer_a_conditional_get_with_304(client, session):
    _root, child, _empty, _archived, active, _hidden = _world(session)
    for path in ("/sitemap.xml", "/sitemaps/products-1.xml"):
        first = client.get(path)
        first.get_data()  # a streamed body is read (and closed) before the next request
        assert first.headers.get("ETag")
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b""
    response = client.get("/sitemaps/products-1.xml")
    response.get_data()
    etag = response.headers["ETag"]
    active[0].title = "Кроссовки новые"
    active[0].status = ProductStatus.ARCHIVED
    session.commit()
    changed = client.get("/sitemaps/products-1.xml", headers={"If-None-Match": etag})
    changed.get_data()
    assert changed.status_code == 200
