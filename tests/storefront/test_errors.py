"""Error pages are Russian and a crash is a 500 page, never a traceback."""

from flask import Flask

import wsgi
from storefront.extensions import db
from tests.support.database import make_test_config


def _dispose(extra_app: Flask) -> None:
    """Close the extra app's pooled connections (psycopg warns when they are garbage-collected open)."""
    with extra_app.app_context():
        db.engine.dispose()


def test_an_unhandled_error_is_a_russian_500_page(database_url, tmp_path, app: Flask):
    crashing = wsgi.create_app(make_test_config(database_url, tmp_path))

    @crashing.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = crashing.test_client().get("/boom")
    page = response.get_data(as_text=True)
    _dispose(crashing)
    assert response.status_code == 500
    assert "Что-то пошло не так" in page
    assert "kaboom" not in page and "Traceback" not in page
    _dispose(crashing)


def test_wrong_method_is_405_in_russian(client):
    response = client.post("/")
    assert response.status_code in (400, 405)


def test_a_post_without_csrf_token_is_refused(database_url, tmp_path, app: Flask):
    guarded = wsgi.create_app(make_test_config(database_url, tmp_path))

    @guarded.post("/probe")
    def probe():
        return "changed"

    response = guarded.test_client().post("/probe", data={"x": "1"})
    _dispose(guarded)
    assert response.status_code == 400
    assert "Срок действия формы истёк" in response.get_data(as_text=True)
    _dispose(guarded)


def _dispose(extra_app: Flask) -> None:
    """Close the extra app's pooled connections now (the page rendered the header from the
    database); left to the garbage collector, psycopg warns about unclosed connections."""
    with extra_app.app_context():
        db.engine.dispose()
