"""Check a downloaded picture with Pillow and make its WebP derivatives; write and name the files.

Accepted: JPEG, PNG, WebP and GIF (the first frame), at most ``max_pixels`` pixels (checked from the header,
before any pixel is decoded: a decompression bomb is refused cheaply). The EXIF orientation is applied,
then every metadata block (EXIF, XMP, ICC, comments) is left behind: derivatives are new images.

Derivatives (``SIZES``): the card is a square (the picture fitted inside on white), the product page and
zoom keep the picture's proportions with the long side at most 800 and 1600 px (never enlarged). Files are
named by the content hash of the source (``<key>-<size>.webp``), so the same picture is stored once.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
CARD, PAGE, ZOOM = 400, 800, 1600
SIZES = (CARD, PAGE, ZOOM)
WEBP_QUALITY = 82
#: Where under the media root picture files live (two-letter fan-out below it).
FOLDER = "pictures"


class ImageRefused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass(frozen=True)
class Derivative:
    size: int
    width: int
    height: int
    webp: bytes


@dataclass(frozen=True)
class Derivatives:
    key: str
    files: tuple[Derivative, ...]

    @property
    def sizes(self) -> dict[str, list[int]]:
        return {str(item.size): [item.width, item.height] for item in self.files}


def picture_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def open_checked(data: bytes, max_pixels: int, formats: tuple[str, ...] = FORMATS) -> Image.Image:
    """The decoded first frame of an accepted picture (by its content, whatever its name says: only ``formats``),
    or ``ImageRefused``. Also checks buyers' dispute photos (``storefront.protection.photos``)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)
            if image.width < 1 or image.height < 1 or image.width * image.height > max_pixels:
                raise ImageRefused("too_many_pixels", f"{image.width}×{image.height}")
            image.seek(0)
            image.load()
    except ImageRefused:
        raise
    except UnidentifiedImageError as exc:
        raise ImageRefused("not_an_image") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRefused("too_many_pixels") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt data
        raise ImageRefused("broken_image", type(exc).__name__) from exc
    return image


def plain(image: Image.Image) -> Image.Image:
    """Orientation applied, RGB or RGBA pixels, no metadata."""
    oriented = ImageOps.exif_transpose(image) or image
    has_alpha = oriented.mode in ("RGBA", "LA", "PA") or "transparency" in oriented.info
    converted = oriented.convert("RGBA" if has_alpha else "RGB")
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean


def _webp(image: Image.Image, method: int = 4) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=method)
    return out.getvalue()


def _card(image: Image.Image) -> Image.Image:
    fitted = image.copy()
    fitted.thumbnail((CARD, CARD), Image.Resampling.LANCZOS)
    square = Image.new("RGB", (CARD, CARD), "white")
    offset = ((CARD - fitted.width) // 2, (CARD - fitted.height) // 2)
    square.paste(fitted, offset, fitted if fitted.mode == "RGBA" else None)
    return square


def make_derivatives(data: bytes, max_pixels: int) -> Derivatives:
    """Check ``data`` and make its three WebP derivatives, or raise ``ImageRefused``."""
    return derive(plain(open_checked(data, max_pixels)), picture_key(data))


def derive(image: Image.Image, key: str, method: int = 4) -> Derivatives:
    """The WebP derivatives of a checked, plain picture (also used for pictures made here); ``method`` is
    libwebp's effort, 0–6 (the demo's flat drawings take a quicker one)."""
    files = [Derivative(CARD, CARD, CARD, _webp(_card(image), method))]
    for size in (PAGE, ZOOM):
        scaled = image.copy()
        scaled.thumbnail((size, size), Image.Resampling.LANCZOS)
        previous = files[-1]
        if previous.size != CARD and (previous.width, previous.height) == scaled.size:
            files.append(Derivative(size, scaled.width, scaled.height, previous.webp))  # a small original
        else:
            files.append(Derivative(size, scaled.width, scaled.height, _webp(scaled, method)))
    return Derivatives(key, tuple(files))


def file_name(key: str, size: int) -> str:
    return f"{key}-{size}.webp"


def file_path(media_root: Path, name: str) -> Path:
    """Where the file ``<key>-<size>.webp`` lives under the media root."""
    return media_root / FOLDER / name[:2] / name


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store(media_root: Path, derivatives: Derivatives) -> None:
    """Write the derivative files (atomically); existing ones are kept."""
    for item in derivatives.files:
        target = file_path(media_root, file_name(derivatives.key, item.size))
        if not target.exists():
            write_atomically(target, item.webp)
