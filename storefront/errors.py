"""Domain errors and the Russian error pages."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from storefront.extensions import db

logger = logging.getLogger(__name__)


class ShopError(Exception):
    """Base of every domain error the storefront raises; views turn them into messages."""


class NotFound(ShopError):
    """The thing asked for does not exist (or is not visible)."""


class MessageError(ShopError):
    """A refusal whose message is for people: a (lazy) translated string, shown as it is."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _upload_mb() -> int:
    limit = request.max_content_length or 0
    return max(1, limit // 1_000_000)


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def discard_broken_session(error: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order of registration): closing
        # a session whose connection the database dropped raises, which would break a response already made.
        try:
            db.session.remove()
        except DBAPIError:
            logger.warning("discarded a session whose database connection was lost", exc_info=True)
            db.session.registry.clear()

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return _error_page(
            400,
            _("The form has expired"),
            _(
                "The page was open too long or the form was sent from elsewhere. "
                "Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(NotFound)
    def not_found_error(error: NotFound) -> tuple[str, int]:
        return _error_page(404, _("Page not found"), _("There is no such page. Try the catalogue or the search."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | Response:
        if error.response is not None:  # the page was made already (the checkout's own «too many orders» page)
            return error.response  # type: ignore[return-value]
        status = error.code or 500
        if status == 404:
            return _error_page(404, _("Page not found"), _("There is no such page. Try the catalogue or the search."))
        if status == 405:
            return _error_page(405, _("Method not allowed"), _("This address does not accept such a request."))
        if status == 429:
            return _error_page(
                429, _("Too many attempts"), _("Too many attempts in a short time. Wait a few minutes and try again.")
            )
        if status == 413:
            return _error_page(
                413,
                _("The files are too large"),
                _("Together the files must not exceed %(size)s MB. Send fewer or smaller photos.", size=_upload_mb()),
            )
        if status == 400:
            return _error_page(
                400, _("Bad request"), _("The request could not be understood. Check the address and try again.")
            )
        return _error_page(status, _("Error"), _("The request could not be completed."))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
        # The database restarting, failing over or refusing connections: the request is lost but the next one
        # may well succeed, so say «try again» (503 + Retry-After) on a page that needs no database.
        logger.exception("database unavailable on %s %s", request.method, request.path)
        page = render_template("errors/unavailable.html")
        return page, 503, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> tuple[str, int] | Response:
        if isinstance(error, HTTPException):
            return http_error(error)
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return _error_page(
            500,
            _("Something went wrong"),
            _("We already know about it and are fixing it. Please try again in a few minutes."),
        )
