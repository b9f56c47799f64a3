"""Demo pictures: generated per leaf category, shared by products, written into the media root."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from demo.catalogue import seed_demo
from demo.pictures import SIDE, VARIANTS, draw_picture
from storefront.catalog.models import Category
from storefront.db import utcnow
from storefront.feeds.export import write_yml
from storefront.pictures.models import ProductPicture


def test_demo_products_get_shared_generated_pictures(session, tmp_path: Path):
    seed_demo(session, 300, media_root=tmp_path)
    rows = session.execute(select(ProductPicture.product_id, ProductPicture.file_key, ProductPicture.status)).all()
    assert len(rows) == 300 and {status for _id, _key, status in rows} == {"ready"}
    keys = {key for _id, key, _status in rows}
    files = list(tmp_path.rglob("*.webp"))
    leaves = session.scalar(select(func.count()).select_from(Category).where(Category.parent_id.is_not(None)))
    assert len(files) == 3 * VARIANTS * leaves and len(keys) <= VARIANTS * leaves  # shared between products
    assert all((tmp_path / "pictures" / key[:2] / f"{key}-400.webp").exists() for key in keys)
    exported = "".join(write_yml(session, "Мостик", "Мостик", "http://127.0.0.1:5000", utcnow()))
    assert "<picture>" not in exported  # generated pictures are not the suppliers'


def test_a_demo_picture_is_the_same_every_time():
    one, two = draw_picture(3, "Кроссовки и кеды", 1), draw_picture(3, "Кроссовки и кеды", 1)
    assert one.size == (SIDE, SIDE) and one.tobytes() == two.tobytes()
    assert one.tobytes() != draw_picture(3, "Кроссовки и кеды", 0).tobytes()
    assert isinstance(one, Image.Image)
