"""The download job end to end: pending pictures fetched from a local server, stored, shown and served;
failures recorded with their reason, retried with back-off, then given up."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from storefront.db import utcnow
from storefront.jobs import registered_jobs, run_due
from storefront.pictures.models import PictureStatus, ProductPicture
from storefront.pictures.services import PictureSettings, download_due
from tests.storefront.pictures.conftest import MAX_BYTES, TIMEOUT
from tests.support.factories import create_category, create_product, create_supplier, load_rates


@pytest.fixture
def picture_config(app, picture_server, tmp_path, monkeypatch) -> dict[str, object]:
    values = {
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PICTURE_ALLOWED_PRIVATE_HOSTS": f"127.0.0.1:{picture_server.port}",
        "PICTURE_TIMEOUT_SECONDS": TIMEOUT,
        "PICTURE_MAX_BYTES": MAX_BYTES,
        "PICTURE_MAX_ATTEMPTS": 3,
        "PICTURE_RETRY_MINUTES": 10,
    }
    for name, value in values.items():
        monkeypatch.setitem(app.config, name, value)
    return values


@pytest.fixture
def settings(app, picture_config) -> PictureSettings:
    return PictureSettings.from_config(app.config)


def _product_with(session, *urls: str):
    load_rates(session)
    product = create_product(session, create_category(session), create_supplier(session), title="Рюкзак городской")
    for position, url in enumerate(urls):
        session.add(ProductPicture(product_id=product.id, position=position, source_url=url))
    session.commit()
    return product


def _pictures(session, product_id: int) -> list[ProductPicture]:
    session.expire_all()
    return list(
        session.scalars(select(ProductPicture).where(ProductPicture.product_id == product_id).order_by("position"))
    )


def test_the_job_is_registered_and_reads_its_settings_from_the_app(app, session, picture_server, picture_config):
    assert "download-product-pictures" in [job.name for job in registered_jobs()]
    product = _product_with(session, picture_server.url("/good.jpg"))
    results = dict(run_due(session, app=app))
    assert results["download-product-pictures"] == "ready 1, retrying 0, failed 0"
    [picture] = _pictures(session, product.id)
    assert picture.status == PictureStatus.READY and picture.attempts == 1 and picture.error is None
    for size in (400, 800, 1600):
        assert list(Path(str(picture_config["MEDIA_ROOT"])).rglob(f"{picture.file_key}-{size}.webp"))


def test_downloaded_pictures_are_served_shown_in_a_gallery_and_on_cards(client, session, picture_server, settings):
    product = _product_with(
        session, picture_server.url("/good.jpg"), picture_server.url("/good.png"), picture_server.url("/anim.gif")
    )
    assert download_due(session, settings).ready == 3
    keys = [picture.file_key for picture in _pictures(session, product.id)]

    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    gallery = page.split('class="product-gallery"')[1].split('class="product-info"')[0]
    assert "/media/placeholder/" not in gallery
    assert f'href="/media/pictures/{keys[0]}-1600.webp"' in gallery  # zoom link
    assert f'src="/media/pictures/{keys[0]}-800.webp" alt="Фото 1 из 3" width="400" height="800"' in gallery
    assert f'src="/media/pictures/{keys[2]}-800.webp" alt="Фото 3 из 3" width="200" height="200"' in gallery
    assert gallery.count('href="#photo-') == 3  # thumbnails, no script needed
    assert f'src="/media/pictures/{keys[1]}-400.webp" alt="Фото 2 из 3" width="400" height="400"' in gallery

    category = client.get(f"/catalog/{product.category.slug}").get_data(as_text=True)
    assert f'src="/media/pictures/{keys[0]}-400.webp" alt="" width="400" height="400"' in category
    assert "/media/placeholder/" not in category

    response = client.get(f"/media/pictures/{keys[0]}-800.webp")
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    assert Image.open(io.BytesIO(response.data)).size == (400, 800)
    response.close()


def test_a_product_without_a_downloaded_picture_shows_the_placeholder(client, session, picture_server, settings):
    product = _product_with(session, picture_server.url("/page.html"))
    download_due(session, settings)
    page = client.get(f"/product/{product.id}-{product.slug}").get_data(as_text=True)
    assert f"/media/placeholder/{product.id}.svg" in page and "/media/pictures/" not in page
    assert f"/media/placeholder/{product.id}.svg" in client.get(f"/catalog/{product.category.slug}").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "name",
    [
        "0123456789abcdef0123456789abcdef-500.webp",  # not a size we make
        "../../secret-400.webp",
        "0123456789abcdef0123456789abcdef-400.png",
        "0123456789abcdef0123456789abcdef-400.webp",  # well-formed, not there
    ],
)
def test_the_file_route_serves_only_our_names(client, picture_config, name):
    assert client.get(f"/media/pictures/{name}").status_code == 404


def test_refusals_fail_at_once_with_their_reason(session, picture_server, internal_server, route, settings):
    from tests.storefront.pictures.conftest import Route

    to_loopback = route("/to-loopback", Route(status=302, headers={"Location": internal_server.url("/secret.png")}))
    urls = [
        to_loopback,
        picture_server.url("/to-metadata"),
        picture_server.url("/huge.jpg"),
        picture_server.url("/page.html"),
        picture_server.url("/bomb.png"),
        picture_server.url("/missing.jpg"),
        "ftp://example.com/a.jpg",
    ]
    product = _product_with(session, *urls)
    assert download_due(session, settings).failed == len(urls)
    pictures = _pictures(session, product.id)
    assert [picture.status for picture in pictures] == [PictureStatus.FAILED] * len(urls)
    assert [picture.error.split(":")[0] for picture in pictures] == [
        "internal_address",
        "internal_address",
        "too_large",
        "not_an_image",
        "too_many_pixels",
        "http_status",
        "scheme",
    ]
    assert all(picture.attempts == 1 and picture.file_key is None for picture in pictures)
    assert internal_server.hits == {}


def test_passing_failures_are_retried_with_back_off_then_given_up(session, picture_server, settings):
    product = _product_with(session, picture_server.url("/slow.jpg"))
    now = utcnow()
    assert download_due(session, settings, now).retrying == 1
    [picture] = _pictures(session, product.id)
    assert picture.status == PictureStatus.PENDING and picture.error.startswith("timeout")
    assert picture.next_attempt_at == now + timedelta(minutes=10)

    assert download_due(session, settings, now + timedelta(minutes=5)).retrying == 0  # not due yet
    assert download_due(session, settings, now + timedelta(minutes=10)).retrying == 1
    [picture] = _pictures(session, product.id)
    assert picture.attempts == 2 and picture.next_attempt_at == now + timedelta(minutes=10 + 20)

    picture_server.routes["/slow.jpg"] = picture_server.routes["/broken.jpg"]  # now a 500
    assert download_due(session, settings, now + timedelta(minutes=30)).failed == 1
    [picture] = _pictures(session, product.id)
    assert picture.status == PictureStatus.FAILED and picture.attempts == 3 and picture.error == "http_status: 500"
    assert download_due(session, settings, now + timedelta(days=30)).failed == 0


def test_a_claimed_picture_is_not_fetched_by_a_second_runner(session, picture_server, settings):
    from storefront.pictures.services import claim_picture

    product = _product_with(session, picture_server.url("/good.png"))
    [picture] = _pictures(session, product.id)
    now = utcnow()
    assert claim_picture(session, picture.id, now) is not None
    session.commit()
    assert claim_picture(session, picture.id, now) is None  # leased to the first runner
    session.commit()
    assert download_due(session, settings, now).ready == 0
    assert picture_server.hits.get("/good.png") is None
