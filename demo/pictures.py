"""Generated product pictures for the demo catalogue, so its listings look like a shop's.

Each leaf category gets ``VARIANTS`` pictures: a soft two-tone background in its root's colour, a product-like
shape (per root: a rounded box, a disc, a bottle …) in one of the variant colours with a shadow, and the
category's initial on it. A product shows the variant ``product id % VARIANTS`` of its category's picture, so
the same product always looks the same and the files (``storefront.pictures.images``) are shared: a catalogue of
any size costs 52 × VARIANTS pictures (about 2 s), written once into the media root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from storefront.pictures import images
from storefront.pictures.models import PictureStatus

#: Pictures per leaf category (different colours of the product shape).
VARIANTS = 2
#: The generated picture's side: the product page size (zoom shows the same file).
SIDE = images.PAGE
#: Bump to regenerate every demo picture under new names.
STYLE = "v1"
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
#: Per root category: background tint and shape.
BACKGROUNDS = (
    "#e3eefc", "#fde9dc", "#e4f5ea", "#f1e6fa", "#fff3cf", "#dff3f5",
    "#fbe3ea", "#e8ecf2", "#f9e8f4", "#e2f4dc", "#f4ebe0", "#fffbe0",
)  # fmt: skip
SHAPES = ("box", "slab", "tee", "shoe", "pot", "bear", "wheel", "tool", "bottle", "ball", "bag", "bulb")
INKS = ("#1f5fa8", "#c0502a", "#23844a", "#7a3aa3", "#b08400", "#1b7f86", "#a8324f", "#3d4654", "#d0611b")


@dataclass(frozen=True)
class DemoPicture:
    key: str
    sizes: dict[str, list[int]]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


@cache
def _fonts() -> tuple[Any, Any]:
    return _font(int(SIDE * 0.26)), _font(int(SIDE * 0.05))


@cache
def _shadow() -> Image.Image:
    margin = int(SIDE * 0.22)
    shadow = Image.new("L", (SIDE, SIDE), 0)
    ImageDraw.Draw(shadow).ellipse((margin, int(SIDE * 0.74), SIDE - margin, int(SIDE * 0.84)), fill=90)
    return shadow.filter(ImageFilter.GaussianBlur(18))


def _shape(draw: ImageDraw.ImageDraw, kind: str, box: tuple[int, int, int, int], fill: str) -> None:
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    if kind in ("ball", "wheel"):
        draw.ellipse(box, fill=fill)
        if kind == "wheel":
            inset = width // 4
            draw.ellipse((left + inset, top + inset, right - inset, bottom - inset), outline="white", width=10)
    elif kind in ("bottle", "bulb"):
        neck = width // 3
        draw.rounded_rectangle((left + neck, top, right - neck, top + height // 4), radius=14, fill=fill)
        draw.rounded_rectangle((left, top + height // 5, right, bottom), radius=width // 3, fill=fill)
    elif kind == "bag":
        draw.arc(
            (left + width // 4, top - height // 6, right - width // 4, top + height // 4), 180, 360, fill=fill, width=16
        )
        draw.rounded_rectangle((left, top + height // 8, right, bottom), radius=28, fill=fill)
    elif kind == "tee":
        draw.polygon(
            [(left, top + height // 5), (left + width // 3, top), (right - width // 3, top), (right, top + height // 5),
             (right - width // 8, top + height // 3), (right - width // 5, top + height // 3 - 10),
             (right - width // 5, bottom), (left + width // 5, bottom), (left + width // 5, top + height // 3 - 10),
             (left + width // 8, top + height // 3)],
            fill=fill,
        )  # fmt: skip
    elif kind == "shoe":
        draw.rounded_rectangle((left, top + height // 2, right, bottom), radius=36, fill=fill)
        draw.rounded_rectangle((left, top + height // 6, left + width // 2, bottom - 20), radius=40, fill=fill)
    elif kind == "pot":
        draw.rounded_rectangle((left, top + height // 4, right, bottom), radius=40, fill=fill)
        draw.rectangle((left - width // 10, top + height // 4, right + width // 10, top + height // 4 + 18), fill=fill)
    elif kind == "slab":
        draw.rounded_rectangle((left + width // 5, top, right - width // 5, bottom), radius=44, fill=fill)
    else:  # box, bear, tool: a rounded parcel
        draw.rounded_rectangle(box, radius=48, fill=fill)


def draw_picture(root_index: int, category_name: str, variant: int) -> Image.Image:
    """The picture of variant ``variant`` of a leaf category (RGB, ``SIDE`` square)."""
    background = BACKGROUNDS[root_index % len(BACKGROUNDS)]
    ink = INKS[(root_index * 2 + variant * 3) % len(INKS)]
    image = Image.new("RGB", (SIDE, SIDE), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, int(SIDE * 0.72), SIDE, SIDE), fill="#ffffff")  # a table top
    margin = int(SIDE * 0.22)
    box = (margin, int(SIDE * 0.16), SIDE - margin, int(SIDE * 0.78))
    image.paste("#7a808a", mask=_shadow())
    _shape(draw, SHAPES[root_index % len(SHAPES)], box, ink)
    big, small = _fonts()
    initial = (category_name[:1] or "М").upper()
    centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2 + int(SIDE * 0.03))
    draw.text(centre, initial, font=big, fill="white", anchor="mm")
    draw.text((SIDE // 2, int(SIDE * 0.9)), category_name, font=small, fill="#3d4654", anchor="mm")
    return image


def demo_key(category_id: int, category_name: str, variant: int) -> str:
    return hashlib.sha256(f"demo:{STYLE}:{category_id}:{category_name}:{variant}".encode()).hexdigest()[:32]


def generate_pictures(
    media_root: Path, categories: Sequence[tuple[int, int, str]]
) -> dict[tuple[int, int], DemoPicture]:
    """Write the pictures of every (category id, root index, name) into ``media_root`` (files already there are
    kept); return them by (category id, variant)."""
    made: dict[tuple[int, int], DemoPicture] = {}
    for category_id, root_index, name in categories:
        for variant in range(VARIANTS):
            key = demo_key(category_id, name, variant)
            side = [SIDE, SIDE]
            sizes = {str(images.CARD): [images.CARD, images.CARD], str(images.PAGE): side, str(images.ZOOM): side}
            done = all(images.file_path(media_root, images.file_name(key, size)).exists() for size in images.SIZES)
            if not done:
                derivatives = images.derive(draw_picture(root_index, name, variant), key, method=2)
                images.store(media_root, derivatives)
                sizes = derivatives.sizes
            made[(category_id, variant)] = DemoPicture(key, sizes)
    return made


def picture_rows(
    products: Sequence[dict[str, Any]], pictures: dict[tuple[int, int], DemoPicture], now: datetime
) -> list[dict[str, Any]]:
    """One ready picture row per product row (``id``, ``category_id``)."""
    rows = []
    for product in products:
        picture = pictures[(product["category_id"], product["id"] % VARIANTS)]
        rows.append(
            {
                "product_id": product["id"],
                "position": 0,
                "source_url": None,
                "status": PictureStatus.READY.value,
                "file_key": picture.key,
                "sizes": picture.sizes,
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows
