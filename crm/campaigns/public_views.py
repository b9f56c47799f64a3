"""The buyer-facing links in a campaign mail, at the application root (outside /crm and its staff checks).

- ``/c/o/<token>.gif`` — the open pixel;
- ``/c/c/<token>`` — the click redirect: only to the URL signed into the token (no open redirect);
- ``/c/u/<token>`` — GET: the Russian confirmation page; POST: unsubscribe at once (also the RFC 8058
  one-click POST a mail client sends, which carries no CSRF token: the signed token is the proof).
"""

from __future__ import annotations

import base64

from flask import current_app, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.campaigns import public_bp
from crm.campaigns.tokens import BadToken, read_click, read_recipient
from crm.campaigns.tracking import is_unsubscribed, record_click, record_open, unsubscribe
from storefront.account.models import Buyer
from storefront.db import utcnow
from storefront.extensions import csrf, db
from storefront.order.attribution import remember_click

#: A 1×1 transparent GIF.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _bad_link() -> tuple[str, int]:
    return (
        render_template(
            "errors/error.html",
            status=400,
            title=_("This link is damaged"),
            message=_("The link from the email is incomplete or was changed. Open it from the email again."),
        ),
        400,
    )


@public_bp.get("/o/<token>.gif")
def open_pixel(token: str) -> Response:
    try:
        recipient_id = read_recipient(current_app.config["SECRET_KEY"], "open", token)
    except BadToken:
        recipient_id = 0  # a pixel never shows an error: the image is the same either way
    if recipient_id:
        record_open(db.session(), recipient_id, utcnow())
        db.session.commit()
    response = Response(PIXEL, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, private"
    return response


@public_bp.get("/c/<token>")
def click(token: str) -> Response | tuple[str, int]:
    try:
        recipient_id, url = read_click(current_app.config["SECRET_KEY"], token)
    except BadToken:
        return _bad_link()
    now = utcnow()
    clicked = record_click(db.session(), recipient_id, now)
    if clicked is not None:
        campaign_id, _buyer_id = clicked
        buyer = db.session.get(Buyer, current_user.id) if current_user.is_authenticated else None
        remember_click(session, buyer, campaign_id, now)
    db.session.commit()
    return redirect(url, 302)


@public_bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe_page(token: str) -> Response | str | tuple[str, int]:
    try:
        recipient_id = read_recipient(current_app.config["SECRET_KEY"], "unsubscribe", token)
    except BadToken:
        return _bad_link()
    if request.method == "POST":
        method = "page" if request.form.get("confirm") == "1" else "one_click"
        unsubscribe(db.session(), recipient_id, method, request.remote_addr, utcnow())
        db.session.commit()
        if method == "one_click":
            return Response("", 200)
        return render_template("campaigns/unsubscribed.html")
    if recipient_id and is_unsubscribed(db.session(), recipient_id):
        return render_template("campaigns/unsubscribed.html")
    return render_template("campaigns/unsubscribe.html", token=token, preview=recipient_id == 0)
