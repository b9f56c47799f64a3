"""Every response says what the browser may do with it; cookies are HTTPS-only in production."""

import pytest

from storefront.security import HSTS
from tests.support.factories import create_shop


@pytest.mark.parametrize("path", ["/", "/crm/staff/login", "/no-such-page"])
def test_pages_cannot_be_framed_or_sniffed(client, path) -> None:
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no promise about HTTPS


def test_https_requests_get_hsts(client) -> None:
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_the_cart_cookie_is_secure_when_the_session_cookie_is(app, client, session) -> None:
    product = create_shop(session)
    session.commit()
    from tests.support.web import add_to_cart

    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        add_to_cart(client, product.id, 1)
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False
    cart_cookie = client.get_cookie("cart")
    assert cart_cookie is not None and cart_cookie.secure and cart_cookie.http_only


def test_the_remember_me_cookie_is_same_site(app) -> None:
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
