"""Reads of product pictures for the pages."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session

from storefront.pictures import images
from storefront.pictures.models import PictureStatus, ProductPicture


@dataclass(frozen=True)
class Picture:
    """A downloaded picture: its file key and the pixel size of each derivative."""

    key: str
    sizes: dict[str, list[int]]

    def name(self, size: int) -> str:
        return images.file_name(self.key, size)

    def width(self, size: int) -> int:
        return int(self.sizes.get(str(size), [size, size])[0])

    def height(self, size: int) -> int:
        return int(self.sizes.get(str(size), [size, size])[1])


def list_ready_pictures(session: Session, product_id: int) -> list[Picture]:
    rows = session.execute(
        select(ProductPicture.file_key, ProductPicture.sizes)
        .where(ProductPicture.product_id == product_id, ProductPicture.status == PictureStatus.READY.value)
        .order_by(ProductPicture.position, ProductPicture.id)
    )
    return [Picture(key, dict(sizes or {})) for key, sizes in rows if key]


def main_picture_key(product_id_column: object) -> ScalarSelect[str | None]:
    """A correlated subquery: the file key of a product's first downloaded picture (for listing cards)."""
    return (
        select(ProductPicture.file_key)
        .where(ProductPicture.product_id == product_id_column, ProductPicture.status == PictureStatus.READY.value)
        .order_by(ProductPicture.position, ProductPicture.id)
        .limit(1)
        .scalar_subquery()
    )


def main_picture_keys(session: Session, product_ids: Collection[int]) -> dict[int, str]:
    """Product id → the file key of its first downloaded picture, for the products that have one (cart lines)."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(ProductPicture.product_id, ProductPicture.file_key)
        .where(ProductPicture.product_id.in_(product_ids), ProductPicture.status == PictureStatus.READY.value)
        .order_by(ProductPicture.product_id, ProductPicture.position.desc(), ProductPicture.id.desc())
    )
    return {product_id: key for product_id, key in rows if key}  # the last row of each product is its first
