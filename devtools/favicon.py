"""Draw the favicon: a white bridge arch on the brand red, as SVG and as PNG/ICO fallbacks (Pillow).

Run ``.venv/bin/python -m devtools.favicon`` after changing the drawing; the files go to ``static/storefront/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = "#c8102e"
WHITE = "#ffffff"
OUT = Path(__file__).resolve().parent.parent / "static" / "storefront"

SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
<rect width="64" height="64" rx="14" fill="{BRAND}"/>
<path d="M8 44h48M14 44a18 16 0 0 1 36 0" fill="none" stroke="{WHITE}" stroke-width="6" stroke-linecap="round"/>
<path d="M23 44v-13M32 44v-16M41 44v-13" stroke="{WHITE}" stroke-width="4" stroke-linecap="round"/>
</svg>
"""


def draw(size: int) -> Image.Image:
    """The same drawing as ``SVG`` on a 64-unit grid, rendered at ``size`` pixels (4× supersampled)."""
    big = size * 4
    unit = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(14 * unit), fill=BRAND)
    width = round(6 * unit)
    pen.line((8 * unit, 44 * unit, 56 * unit, 44 * unit), fill=WHITE, width=width)
    pen.arc((14 * unit, 28 * unit, 50 * unit, 60 * unit), 180, 360, fill=WHITE, width=width)
    for x, top in ((23, 31), (32, 28), (41, 31)):
        pen.line((x * unit, top * unit, x * unit, 44 * unit), fill=WHITE, width=round(4 * unit))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main(out: Path = OUT) -> None:
    (out / "favicon.svg").write_text(SVG, encoding="utf-8")
    draw(180).save(out / "apple-touch-icon.png")
    draw(32).save(out / "favicon.png")
    draw(64).save(out / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
