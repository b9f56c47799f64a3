"""Buyers' dispute photos: checked by their content (JPEG, PNG or WebP, whatever the file is called), bounded in
bytes and pixels before decoding (``storefront.pictures.images.open_checked``), re-encoded without any metadata
(EXIF with its GPS position is gone), written under ``MEDIA_ROOT/disputes/`` with a random name. Nothing here
trusts the uploaded file name: it is never used for the path.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from storefront.pictures.images import ImageRefused, open_checked, plain, write_atomically

FORMATS = ("JPEG", "PNG", "WEBP")
#: Where under the media root dispute photos live (outside ``static/``: served only through a checked view).
FOLDER = "disputes"
#: The most photos one dispute message carries.
MAX_PHOTOS = 10
#: ``<32 hex>.<ext>``: nothing else is ever looked up on disk.
NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png|webp)")
_SAVE = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo ready to store: clean bytes, its random name and what it is."""

    file_name: str
    content_type: str
    width: int
    height: int
    data: bytes


def check_photo(data: bytes, max_bytes: int, max_pixels: int) -> CheckedPhoto:
    """Refuse anything that is not a JPEG, PNG or WebP picture of at most ``max_bytes`` and ``max_pixels``
    (``ImageRefused`` with ``too_large``, ``not_an_image``, ``too_many_pixels`` or ``broken_image``); otherwise
    the picture re-encoded in its own format without metadata, under a new random name."""
    if len(data) > max_bytes:
        raise ImageRefused("too_large", str(len(data)))
    image = open_checked(data, max_pixels, FORMATS)
    source_format = image.format or "JPEG"
    extension, content_type = _SAVE.get(source_format, _SAVE["JPEG"])
    clean = plain(image)
    if source_format == "JPEG" and clean.mode != "RGB":
        clean = clean.convert("RGB")
    out = io.BytesIO()
    if source_format == "JPEG":
        clean.save(out, "JPEG", quality=90, optimize=True)
    elif source_format == "PNG":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "WEBP", quality=90)
    return CheckedPhoto(f"{secrets.token_hex(16)}.{extension}", content_type, clean.width, clean.height, out.getvalue())


def photo_path(media_root: Path, file_name: str) -> Path:
    """Where a photo lives; ``ValueError`` for any name this module did not make."""
    if NAME.fullmatch(file_name) is None:
        raise ValueError("not a photo name")
    return media_root / FOLDER / file_name[:2] / file_name


def write_photo(media_root: Path, photo: CheckedPhoto) -> Path:
    """Write atomically (a reader never sees half a file)."""
    target = photo_path(media_root, photo.file_name)
    write_atomically(target, photo.data)
    return target


def remove_photos(media_root: Path, file_names: list[str]) -> None:
    """Take back files written for a request that then failed (the rows were rolled back)."""
    for name in file_names:
        photo_path(media_root, name).unlink(missing_ok=True)
