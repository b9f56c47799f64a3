"""Promo codes: total and per-buyer limits (also under concurrent checkouts), tiers, Moscow validity edges,
unique per-recipient codes, and the CRM pages that create and switch them off."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from storefront.account.models import Buyer, Tier
from storefront.cart.models import Cart, CartLine
from storefront.checkout.services import Contact, Destination, announce_placement, build_quote, place_order
from storefront.db import utcnow
from storefront.fx.services import current_pricing
from storefront.moscow import moscow_to_utc
from storefront.order.holds import HoldPolicy
from storefront.order.models import Order
from storefront.promo.models import PromoCode, PromoKind, PromoUse
from storefront.promo.services import (
    CODE_ALPHABET,
    PromoInvalid,
    PromoTemplate,
    holder_key,
    issue_unique_codes,
    validate_promo,
)
from storefront.shipping.models import ShippingMethod
from tests.support.factories import create_buyer, create_shop, make_staff
from tests.support.web import crm_csrf, crm_login

DESTINATION = Destination("77", "Москва", "101000", "ул. Тверская, 1", "Иван", "+79161234567")


def _place(
    session: Session,
    product_id: int,
    token: str,
    code: str,
    buyer: Buyer | None = None,
    email: str = "guest@example.ru",
):
    cart = Cart(token=f"cart-{token}", lines=[CartLine(product_id=product_id, quantity=2)])
    session.add(cart)
    session.commit()
    pricing = current_pricing(session)
    method_id = session.scalars(select(ShippingMethod.id).order_by(ShippingMethod.id)).first()
    tier = buyer.tier if buyer is not None else None
    quote = build_quote(
        session, cart, pricing, region_code="77", shipping_method_id=method_id, promo_code=code, tier=tier, now=utcnow()
    )
    result = place_order(
        session,
        cart,
        pricing,
        placement_token=f"token-{token}-0123456789",
        seen_fingerprint=quote.fingerprint,
        buyer=buyer,
        contact=Contact(buyer.email if buyer else email, "+79161234567", "Покупатель", {}),
        destination=DESTINATION,
        shipping_method_id=method_id,
        promo_code=code,
        consent=None,
        now=utcnow(),
        holds=HoldPolicy(),
    )
    session.commit()  # as the checkout view does
    announce_placement(result)
    return result


def _promo(session: Session, **fields: object) -> PromoCode:
    promo = PromoCode(code=fields.pop("code", "VESNA10"), kind=PromoKind.PERCENT, percent_bp=1000, **fields)
    session.add(promo)
    session.commit()
    return promo


def test_the_per_buyer_limit_counts_each_account_and_is_not_for_guests(session: Session) -> None:
    product = create_shop(session)
    promo = _promo(session, per_buyer_limit=1)
    anna = create_buyer(session, email="anna@example.ru")
    oleg = create_buyer(session, email="oleg@example.ru")
    session.commit()
    assert _place(session, product.id, "a1", "vesna10", anna).order.promo_code == "VESNA10"
    with pytest.raises(PromoInvalid) as refused:
        _place(session, product.id, "a2", "VESNA10", anna)
    assert refused.value.reason == "buyer_used"
    assert _place(session, product.id, "o1", "VESNA10", oleg).created
    # A guest's e-mail proves nothing: anyone could spend Anna's share by typing her address.
    with pytest.raises(PromoInvalid) as refused:
        _place(session, product.id, "g1", "VESNA10", None, "anna@example.ru")
    assert refused.value.reason == "account_needed"
    session.expire_all()
    assert session.get(PromoCode, promo.id).used_count == 2
    assert session.scalar(select(func.count(PromoUse.id))) == 2
    # The refused attempts placed nothing.
    assert session.scalar(select(func.count(Order.id))) == 2


def test_a_per_buyer_limit_of_two_allows_two(session: Session) -> None:
    product = create_shop(session)
    _promo(session, per_buyer_limit=2, usage_limit=10)
    anna = create_buyer(session, email="anna@example.ru")
    session.commit()
    _place(session, product.id, "a1", "VESNA10", anna)
    _place(session, product.id, "a2", "VESNA10", anna)
    with pytest.raises(PromoInvalid):
        _place(session, product.id, "a3", "VESNA10", anna)
    assert sorted(session.scalars(select(PromoUse.seq))) == [1, 2]


def test_tiers_restrict_who_may_use_a_code(session: Session) -> None:
    product = create_shop(session)
    gold = Tier(code="gold", name="Золото", threshold_amount=Decimal("1200000"), discount_bp=0)
    session.add(gold)
    _promo(session, tier_codes=["gold"])
    plain = create_buyer(session, email="plain@example.ru")
    vip = create_buyer(session, email="vip@example.ru")
    vip.tier = gold
    session.commit()
    with pytest.raises(PromoInvalid) as refused:
        _place(session, product.id, "p1", "VESNA10", plain)
    assert refused.value.reason == "tier"
    assert _place(session, product.id, "v1", "VESNA10", vip).created


def test_the_validity_window_is_entered_in_moscow_time_and_its_edges_hold(session: Session) -> None:
    starts = moscow_to_utc(datetime(2026, 12, 1, 0, 0))
    ends = moscow_to_utc(datetime(2026, 12, 31, 23, 59))
    assert starts == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    _promo(session, starts_at=starts, ends_at=ends)
    second = timedelta(seconds=1)
    for now, reason in (
        (starts - second, "not_started"),
        (starts, None),
        (ends - second, None),
        (ends, "expired"),
    ):
        if reason is None:
            assert validate_promo(session, "vesna10", Decimal("100"), None, now).code == "VESNA10"
        else:
            with pytest.raises(PromoInvalid) as refused:
                validate_promo(session, "vesna10", Decimal("100"), None, now)
            assert refused.value.reason == reason


def test_minimum_order_and_switched_off_codes(session: Session) -> None:
    _promo(session, min_order_amount=Decimal("5000"))
    now = utcnow()
    with pytest.raises(PromoInvalid) as refused:
        validate_promo(session, "VESNA10", Decimal("4999.99"), None, now)
    assert refused.value.reason == "min_order"
    assert validate_promo(session, "VESNA10", Decimal("5000"), None, now)
    session.execute(PromoCode.__table__.update().values(is_active=False))
    session.commit()
    with pytest.raises(PromoInvalid) as refused:
        validate_promo(session, "VESNA10", Decimal("5000"), None, now)
    assert refused.value.reason == "unknown"


def _race(session: Session, product_id: int, attempts: list[tuple[str, int | None, str]]) -> list[str]:
    """Each attempt in its own thread and connection, released together by a barrier."""
    engine = session.get_bind()
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(token: str, buyer_id: int | None, email: str) -> None:
        with Session(engine) as own:
            buyer = own.get(Buyer, buyer_id) if buyer_id else None
            barrier.wait()
            try:
                _place(own, product_id, token, "VESNA10", buyer, email)
                result = "ok"
            except PromoInvalid as refused:
                result = refused.reason
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=args) for args in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres_only
def test_the_total_limit_holds_under_concurrent_checkouts(session: Session) -> None:
    product = create_shop(session)
    session.commit()
    promo = _promo(session, usage_limit=3)
    outcomes = _race(session, product.id, [(f"t{n}", None, f"g{n}@example.ru") for n in range(8)])
    assert outcomes == ["ok"] * 3 + ["used_up"] * 5
    session.expire_all()
    assert session.get(PromoCode, promo.id).used_count == 3
    assert session.scalar(select(func.count(Order.id))) == 3


@pytest.mark.postgres_only
def test_the_per_buyer_limit_holds_under_concurrent_checkouts(session: Session) -> None:
    product = create_shop(session)
    promo = _promo(session, per_buyer_limit=1)
    anna = create_buyer(session, email="anna@example.ru")
    session.commit()
    outcomes = _race(session, product.id, [(f"a{n}", anna.id, anna.email) for n in range(6)])
    assert outcomes == ["buyer_used"] * 5 + ["ok"]
    session.expire_all()
    assert session.get(PromoCode, promo.id).used_count == 1
    assert session.scalar(select(func.count(Order.id))) == 1


def test_issue_unique_codes_for_a_campaign(session: Session) -> None:
    template = PromoTemplate(
        kind="fixed", fixed_amount=Decimal("500"), prefix="spb-", ends_at=utcnow() + timedelta(days=30)
    )
    codes = issue_unique_codes(session, template, 1500, campaign_id=42)
    session.commit()
    assert len(codes) == len(set(codes)) == 1500
    assert all(re.fullmatch(rf"SPB-[{CODE_ALPHABET}]{{8}}", code) for code in codes)
    stored = session.scalars(select(PromoCode).where(PromoCode.campaign_id == 42)).all()
    assert len(stored) == 1500 and all(p.usage_limit == 1 and p.per_buyer_limit == 1 for p in stored)
    assert stored[0].fixed_amount == Decimal("500.00")
    more = issue_unique_codes(session, {"kind": "percent", "percent_bp": 500}, 3, campaign_id=None)
    session.commit()
    assert len(set(codes) | set(more)) == 1503
    assert not set("015SZOIL8B") & set(CODE_ALPHABET)


def test_holder_keys() -> None:
    assert holder_key(7, "x@example.ru") == "buyer:7"
    assert holder_key(None, " X@Example.RU ") == "email:x@example.ru"
    assert holder_key(None, None) is None


def test_crm_creates_lists_and_switches_off_codes_in_moscow_time(client: FlaskClient, session: Session) -> None:
    make_staff(session, "marketer")
    session.commit()
    crm_login(client, "marketer@mostik.local")
    token = crm_csrf(client, "/crm/promo/new")
    form = {
        "csrf_token": token,
        "code": "zima-25",
        "kind": "percent",
        "percent": "25",
        "min_order_amount": "10000",
        "starts_at": "2026-12-01T00:00",
        "ends_at": "2026-12-31T23:59",
        "usage_limit": "100",
        "per_buyer_limit": "1",
    }
    assert client.post("/crm/promo/new", data=form).status_code == 302
    promo = session.scalars(select(PromoCode)).one()
    assert (promo.code, promo.percent_bp, promo.per_buyer_limit, promo.usage_limit) == ("ZIMA-25", 2500, 1, 100)
    assert promo.starts_at == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    listing = client.get("/crm/promo/").get_data(as_text=True)
    assert "ZIMA-25" in listing and "01.12.2026 00:00" in listing
    again = client.post("/crm/promo/new", data=form)
    assert again.status_code == 400 and "Код ZIMA-25 уже существует" in again.get_data(as_text=True)
    bad = client.post("/crm/promo/new", data={**form, "code": "X Y", "percent": "abc"})
    assert bad.status_code == 400
    inverted = client.post("/crm/promo/new", data={**form, "code": "ZIMA-26", "ends_at": "2026-11-01T00:00"})
    assert inverted.status_code == 400 and "позже начала" in inverted.get_data(as_text=True)
    assert client.post(f"/crm/promo/{promo.id}/deactivate", data={"csrf_token": token}).status_code == 400
    assert (
        client.post(f"/crm/promo/{promo.id}/deactivate", data={"csrf_token": token, "confirm": "y"}).status_code == 302
    )
    session.expire_all()
    assert session.get(PromoCode, promo.id).is_active is False
    assert session.scalar(select(func.count(PromoCode.id))) == 1
    assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
        "promo.create",
        "promo.deactivate",
    ]


def test_the_checkout_explains_a_used_up_share_in_russian(app) -> None:
    from storefront.checkout.views import promo_message

    with app.test_request_context():
        assert promo_message("buyer_used") == "Вы уже использовали этот промокод столько раз, сколько он позволяет."


def test_an_order_that_expires_unpaid_gives_its_use_back_once(session: Session) -> None:
    from storefront.order.services import expire_unpaid_orders

    product = create_shop(session)
    promo = _promo(session, usage_limit=1, per_buyer_limit=1)
    anna = create_buyer(session, email="anna@example.ru")
    session.commit()
    _place(session, product.id, "a1", "VESNA10", anna)
    with pytest.raises(PromoInvalid):
        _place(session, product.id, "a2", "VESNA10", anna)
    assert expire_unpaid_orders(session, utcnow() + timedelta(hours=25)) == "expired 1"
    assert expire_unpaid_orders(session, utcnow() + timedelta(hours=26)) == "expired 0"
    session.expire_all()
    assert session.get(PromoCode, promo.id).used_count == 0
    assert _place(session, product.id, "a3", "VESNA10", anna).created  # the same buyer may use it again
    session.expire_all()
    assert session.get(PromoCode, promo.id).used_count == 1
    assert session.scalar(select(func.count(PromoUse.id))) == 1


def test_a_canceled_order_frees_its_place_in_the_buyers_share(session: Session) -> None:
    from storefront.order.models import OrderStatus
    from storefront.order.services import change_status

    product = create_shop(session)
    _promo(session, per_buyer_limit=2)
    anna = create_buyer(session, email="anna@example.ru")
    session.commit()
    first = _place(session, product.id, "a1", "VESNA10", anna).order
    _place(session, product.id, "a2", "VESNA10", anna)  # takes the second place
    change_status(session, first, OrderStatus.CANCELED, "Покупатель передумал")
    session.commit()
    assert _place(session, product.id, "a3", "VESNA10", anna).created  # the first place is free again
    with pytest.raises(PromoInvalid):
        _place(session, product.id, "a4", "VESNA10", anna)
