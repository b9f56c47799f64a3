"""First-touch UTM: the first tagged landing of a browser session is kept and stored on the buyer."""

import re

from sqlalchemy import select

from storefront.account.models import Buyer
from storefront.account.utm import clean_tag
from storefront.order.models import Order
from tests.storefront.account.test_account import REGISTRATION
from tests.storefront.checkout.test_checkout import _method
from tests.support.factories import create_shop
from tests.support.web import add_to_cart, csrf_token, place


def _register(client):
    return client.post(
        "/account/register", data={**REGISTRATION, "csrf_token": csrf_token(client, "/account/register")}
    )


def test_the_first_tagged_landing_is_stored_at_registration(client, session):
    create_shop(session)
    session.commit()
    client.get("/")  # an untagged visit first: the first *tagged* landing counts
    client.get("/?utm_source=Yandex&utm_medium=cpc&utm_campaign=spb-winter_2026")
    client.get("/?utm_source=google&utm_medium=organic")  # later touches do not replace it
    assert _register(client).status_code == 302
    buyer = session.scalars(select(Buyer)).one()
    assert (buyer.first_utm_source, buyer.first_utm_medium, buyer.first_utm_campaign) == (
        "yandex",
        "cpc",
        "spb-winter_2026",
    )


def test_malformed_tags_are_dropped_and_untagged_buyers_have_none(client, session):
    client.get("/?utm_source=%3Cscript%3E&utm_medium=" + "x" * 80 + "&utm_campaign=ok")
    assert _register(client).status_code == 302
    buyer = session.scalars(select(Buyer)).one()
    assert (buyer.first_utm_source, buyer.first_utm_medium, buyer.first_utm_campaign) == (None, None, "ok")


def test_a_session_without_tags_stores_nothing(client, session):
    client.get("/")
    _register(client)
    buyer = session.scalars(select(Buyer)).one()
    assert buyer.first_utm_source is None and buyer.first_utm_campaign is None


def test_the_account_made_from_an_order_gets_the_first_touch(client, session, mailbox):
    product = create_shop(session)
    session.commit()
    client.get(f"/product/{product.id}?utm_source=vk&utm_medium=social&utm_campaign=zima")
    add_to_cart(client, product.id, 1)
    place(client, _method(session))
    order = session.scalars(select(Order)).one()
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+/orders/[^?\s]+\?t=(\S+)", text).group(1)
    path = f"/orders/{order.number}/create-account?t={link}"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)
    data = {**REGISTRATION, "csrf_token": token, "email": "guest@example.ru", "password": "long enough password"}
    data["password_again"] = data["password"]
    assert client.post(path, data=data).status_code == 303
    buyer = session.scalars(select(Buyer)).one()
    assert (buyer.first_utm_source, buyer.first_utm_medium, buyer.first_utm_campaign) == ("vk", "social", "zima")


def test_clean_tag() -> None:
    assert clean_tag("  Yandex ") == "yandex"
    assert clean_tag("Яндекс.Директ") == "яндекс.директ"
    for bad in ("", "a/b", "http://evil", "x" * 65, "a\nb", '"><'):
        assert clean_tag(bad) is None
