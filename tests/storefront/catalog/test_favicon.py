"""The favicon: /favicon.ico answers 200 with an ICO, and every layout links the SVG with a PNG fallback."""

import re
from io import BytesIO

from PIL import Image

from tests.support.factories import create_shop


def test_favicon_ico_answers_200_with_an_icon(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert Image.open(BytesIO(response.data)).format == "ICO"


def test_the_storefront_and_crm_layouts_link_the_icons(client, session):
    create_shop(session)
    session.commit()
    for path in ("/", "/cart", "/crm/login"):
        page = client.get(path).get_data(as_text=True)
        # Versioned by content (storefront/ops/assets.py): ``?v=<hash>``.
        assert re.search(r'rel="icon" href="/static/storefront/favicon\.svg\?v=\w+" type="image/svg\+xml"', page), path
        assert re.search(r'rel="icon" href="/static/storefront/favicon\.png\?v=\w+"', page), path
    for name in ("favicon.svg", "favicon.png", "apple-touch-icon.png"):
        with client.get(f"/static/storefront/{name}") as response:
            assert response.status_code == 200
