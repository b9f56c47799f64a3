"""Pictures in Chromium at 1366 and 390 px: a listing of demo products with generated pictures, a product
page gallery (thumbnails jump without scripts, the main picture opens its zoom size)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from demo.catalogue import seed_demo
from storefront.catalog.models import Category, Product
from storefront.pictures import images
from storefront.pictures.models import PictureStatus, ProductPicture
from tests.browser.conftest import wait_until
from tests.support.factories import load_rates

pytestmark = pytest.mark.browser


def _photo(colour: str, size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, "#f4f4f4")
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rounded_rectangle((width // 5, height // 5, width * 4 // 5, height * 4 // 5), radius=60, fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def shop(app, session):
    """Demo products with their generated pictures, one of them with three «downloaded» photos."""
    load_rates(session)
    media_root = Path(app.config["MEDIA_ROOT"])
    seed_demo(session, 150, media_root=media_root)
    category_id = session.scalar(
        select(Product.category_id).group_by(Product.category_id).order_by(func.count().desc()).limit(1)
    )
    product = session.scalars(select(Product).where(Product.category_id == category_id).order_by(Product.id)).first()
    session.execute(ProductPicture.__table__.delete().where(ProductPicture.product_id == product.id))
    for position, (colour, size) in enumerate(
        [("#1f5fa8", (1600, 1200)), ("#c0502a", (1000, 1400)), ("#23844a", (1200, 1200))]
    ):
        derivatives = images.make_derivatives(_photo(colour, size), 40_000_000)
        images.store(media_root, derivatives)
        session.add(
            ProductPicture(
                product_id=product.id,
                position=position,
                source_url=f"https://supplier.example/{position}.jpg",
                status=PictureStatus.READY,
                file_key=derivatives.key,
                sizes=derivatives.sizes,
            )
        )
    session.commit()
    return product, session.get(Category, category_id)


def _all_pictures_loaded(page) -> bool:
    return page.evaluate(
        "[...document.querySelectorAll('main img')]"
        ".filter(i => i.loading !== 'lazy' || i.getBoundingClientRect().top < innerHeight)"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )


@pytest.mark.parametrize("width", [1366, 390])
def test_listing_and_gallery_show_pictures(browser, live_server, shots, shop, width):
    product, category = shop
    context = browser.new_context(
        base_url=live_server,
        locale="ru-RU",
        viewport={"width": width, "height": 900 if width > 400 else 844},
        is_mobile=width < 400,
        has_touch=width < 400,
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        page.goto(f"/catalog/{category.slug}")
        page.wait_for_load_state("networkidle")
        cards = page.locator(".card img")
        assert cards.count() > 0
        assert "/media/placeholder/" not in page.content()
        assert cards.first.get_attribute("src").startswith("/media/pictures/")
        assert _all_pictures_loaded(page)
        shots(page, f"listing-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.goto(f"/product/{product.id}-{product.slug}")
        page.wait_for_load_state("networkidle")
        main = page.locator(".gallery-item img")
        assert main.count() == 3
        assert main.first.get_attribute("alt") == "Фото 1 из 3"  # the title is the heading beside it
        assert _all_pictures_loaded(page)
        shots(page, f"product-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.locator(".gallery-thumbs a").nth(1).click()  # no script: an anchor into the strip
        wait_until(page, "location.hash === '#photo-2'")
        wait_until(
            page,
            "Math.abs(document.querySelector('#photo-2').getBoundingClientRect().left"
            " - document.querySelector('.gallery-main').getBoundingClientRect().left) < 2",
        )
        shots(page, f"product-{width}-photo-2")

        zoom = page.locator("#photo-2").get_attribute("href")
        assert zoom.endswith("-1600.webp")
        response = page.request.get(zoom)
        assert response.ok and response.headers["content-type"] == "image/webp"
        assert "immutable" in response.headers["cache-control"]
    finally:
        context.close()
