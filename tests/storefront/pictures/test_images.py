"""Pillow checks and WebP derivatives."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from storefront.pictures import images
from storefront.pictures.images import ImageRefused, make_derivatives

MAX_PIXELS = 40_000_000


def _open(webp: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(webp))
    assert image.format == "WEBP"
    return image


def test_a_jpeg_is_turned_upright_and_loses_its_exif(picture_bytes):
    derivatives = make_derivatives(picture_bytes["jpeg"], MAX_PIXELS)
    # 1200×600 with «rotate 90°»: upright it is 600×1200.
    assert derivatives.sizes == {"400": [400, 400], "800": [400, 800], "1600": [600, 1200]}
    for item in derivatives.files:
        image = _open(item.webp)
        assert image.size == (item.width, item.height)
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
        assert b"Secret Camera" not in item.webp
    # The left half of the original was blue: after turning it is the top half.
    zoom = _open(derivatives.files[2].webp).convert("RGB")
    red, green, blue = zoom.getpixel((300, 100))
    assert blue > 150 and red < 100


def test_the_card_is_a_square_with_the_picture_fitted_on_white(picture_bytes):
    card = _open(make_derivatives(picture_bytes["png"], MAX_PIXELS).files[0].webp).convert("RGB")
    assert card.size == (400, 400)
    assert min(card.getpixel((2, 2))) > 240  # transparent corner → white, not black


def test_a_small_picture_is_never_enlarged(picture_bytes):
    derivatives = make_derivatives(picture_bytes["gif"], MAX_PIXELS)
    assert derivatives.sizes["800"] == [200, 200] and derivatives.sizes["1600"] == [200, 200]
    assert derivatives.files[1].webp == derivatives.files[2].webp  # encoded once


def test_a_webp_is_scaled_to_each_size(picture_bytes):
    assert make_derivatives(picture_bytes["webp"], MAX_PIXELS).sizes == {
        "400": [400, 400],
        "800": [800, 600],
        "1600": [1600, 1200],
    }


def test_the_key_is_the_content_hash(picture_bytes):
    one, two = make_derivatives(picture_bytes["png"], MAX_PIXELS), make_derivatives(picture_bytes["png"], MAX_PIXELS)
    assert one.key == two.key and len(one.key) == 32
    assert one.key != make_derivatives(picture_bytes["gif"], MAX_PIXELS).key


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html><body>not a picture</body></html>", "not_an_image"),
        (b"", "not_an_image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "not_an_image"),
    ],
)
def test_what_is_not_a_picture_is_refused(body, reason):
    with pytest.raises(ImageRefused) as refused:
        make_derivatives(body, MAX_PIXELS)
    assert refused.value.reason == reason


def test_other_formats_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "BMP")
    with pytest.raises(ImageRefused, match="not_an_image"):
        make_derivatives(out.getvalue(), MAX_PIXELS)


def test_a_decompression_bomb_is_refused_from_its_header(picture_bytes):
    with pytest.raises(ImageRefused, match="too_many_pixels"):
        make_derivatives(picture_bytes["bomb"], MAX_PIXELS)


def test_the_pixel_limit_is_a_setting(picture_bytes):
    with pytest.raises(ImageRefused, match="too_many_pixels"):
        make_derivatives(picture_bytes["webp"], 2400 * 1800 - 1)
    assert make_derivatives(picture_bytes["webp"], 2400 * 1800).key


def test_a_truncated_picture_is_refused(picture_bytes):
    with pytest.raises(ImageRefused, match="broken_image"):
        make_derivatives(picture_bytes["jpeg"][: len(picture_bytes["jpeg"]) // 2], MAX_PIXELS)


def test_files_are_stored_once_under_their_names(tmp_path, picture_bytes):
    derivatives = make_derivatives(picture_bytes["png"], MAX_PIXELS)
    images.store(tmp_path, derivatives)
    names = sorted(path.name for path in tmp_path.rglob("*.webp"))
    assert names == sorted(f"{derivatives.key}-{size}.webp" for size in (400, 800, 1600))
    assert not list(tmp_path.rglob("*.part"))
    images.store(tmp_path, derivatives)  # again: nothing changes
    assert len(list(tmp_path.rglob("*"))) == 5  # pictures/, pictures/<ab>/ and three files
