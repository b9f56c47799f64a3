"""54-FZ receipt items add up exactly to the payment amount, whatever the cart and discount."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storefront.payment.receipt import (
    MAX_RECEIPT_ITEMS,
    ReceiptError,
    ReceiptLine,
    ReceiptTooLong,
    build_receipt,
    build_receipt_items,
    receipt_customer,
    receipt_total,
)

prices = st.integers(min_value=1, max_value=50_000_000).map(lambda k: Decimal(k) / 100)
quantities = st.integers(min_value=1, max_value=5_000)
lines = st.lists(
    st.builds(
        ReceiptLine,
        description=st.text(min_size=1, max_size=200).filter(str.strip),
        quantity=quantities,
        unit_price=prices,
    ),
    min_size=1,
    max_size=40,
)


def _subtotal(receipt_lines):
    return sum((line.unit_price * line.quantity for line in receipt_lines), Decimal(0))


@settings(max_examples=300, deadline=None)
@given(receipt_lines=lines, share=st.fractions(min_value=0, max_value=1), shipping=st.integers(0, 10_000_000))
def test_items_sum_exactly_to_the_payment_amount_for_random_carts(receipt_lines, share, shipping):
    subtotal = _subtotal(receipt_lines)
    discount = (Decimal(share.numerator) * subtotal / Decimal(share.denominator)).quantize(
        Decimal("0.01"), "ROUND_DOWN"
    )
    shipping_amount = Decimal(shipping) / 100
    if discount == subtotal and not shipping_amount:
        with pytest.raises(ReceiptError):  # nothing left to pay for
            build_receipt_items(receipt_lines, discount=discount, shipping=shipping_amount)
        return

    items = build_receipt_items(receipt_lines, discount=discount, shipping=shipping_amount)

    assert receipt_total(items) == subtotal - discount + shipping_amount
    assert len(items) <= len(receipt_lines) + 2
    for item in items:
        assert item.unit_price > 0
        assert item.unit_price == item.unit_price.quantize(Decimal("0.01"))
        assert 1 <= len(item.description) <= 128
        assert item.vat_code == 11
        assert item.payment_mode == "full_prepayment"
    goods = [item for item in items if item.payment_subject == "commodity"]
    assert sum(item.quantity for item in goods) <= sum(line.quantity for line in receipt_lines)


@settings(max_examples=200, deadline=None)
@given(
    cart=st.lists(st.tuples(quantities, prices), min_size=1, max_size=40),
    discount_kopecks=st.integers(min_value=0, max_value=10**9),
)
def test_each_line_keeps_its_quantity_and_no_price_rises(cart, discount_kopecks):
    receipt_lines = [ReceiptLine(f"Товар {n}", quantity, price) for n, (quantity, price) in enumerate(cart)]
    subtotal = _subtotal(receipt_lines)
    discount = min(Decimal(discount_kopecks) / 100, subtotal - Decimal("0.01"))

    items = build_receipt_items(receipt_lines, discount=discount)

    for line in receipt_lines:
        parts = [item for item in items if item.description == line.description]
        assert len(parts) <= 2
        # Units discounted to zero are left out (they are not paid for); only 1-kopeck lines get there.
        kept = sum(item.quantity for item in parts)
        assert kept == line.quantity or all(item.unit_price == Decimal("0.01") for item in parts)
        assert all(item.unit_price <= line.unit_price for item in parts)
    assert len(items) <= len(receipt_lines) + 1


def test_a_discount_is_spread_with_the_remainder_split_on_one_line():
    receipt_lines = [ReceiptLine("Кроссовки", 3, Decimal("100.00")), ReceiptLine("Носки", 3, Decimal("10.00"))]

    items = build_receipt_items(receipt_lines, discount=Decimal("10.00"), shipping=Decimal("350.00"))

    assert receipt_total(items) == Decimal("330.00") - Decimal("10.00") + Decimal("350.00")
    assert items[-1].payment_subject == "service"
    assert items[-1].description == "Доставка"
    assert [item.quantity for item in items[:-1]] in ([3, 3], [3, 2, 1], [2, 1, 3], [3, 1, 2], [1, 2, 3])


def test_shipping_is_a_service_item_and_goods_are_commodities():
    items = build_receipt_items([ReceiptLine("Чайник", 2, Decimal("1990.00"))], shipping=Decimal("499.00"))

    assert [(item.payment_subject, item.quantity, item.unit_price) for item in items] == [
        ("commodity", 2, Decimal("1990.00")),
        ("service", 1, Decimal("499.00")),
    ]


def test_long_descriptions_are_cut_to_128_characters():
    items = build_receipt_items([ReceiptLine("Очень длинное название " * 20, 1, Decimal("5.00"))])

    assert len(items[0].description) == 128
    assert items[0].description.endswith("…")


def test_more_than_80_items_is_refused_clearly():
    receipt_lines = [ReceiptLine(f"Товар {n}", 1, Decimal("1.00")) for n in range(MAX_RECEIPT_ITEMS)]

    with pytest.raises(ReceiptTooLong) as refused:
        build_receipt_items(receipt_lines, shipping=Decimal("100.00"))

    assert refused.value.items == 81
    assert "at most 80" in str(refused.value)


def test_exactly_80_items_are_accepted():
    receipt_lines = [ReceiptLine(f"Товар {n}", 1, Decimal("1.00")) for n in range(MAX_RECEIPT_ITEMS)]

    assert len(build_receipt_items(receipt_lines)) == 80


@pytest.mark.parametrize(
    ("receipt_lines", "discount"),
    [
        ([], Decimal(0)),
        ([ReceiptLine("Товар", 0, Decimal("1.00"))], Decimal(0)),
        ([ReceiptLine("Товар", 1, Decimal("1.005"))], Decimal(0)),
        ([ReceiptLine("Товар", 1, Decimal("1.00"))], Decimal("1.01")),
        ([ReceiptLine("   ", 1, Decimal("1.00"))], Decimal(0)),
        ([ReceiptLine("Товар", 2, Decimal("1.00"))], Decimal("2.00")),
    ],
)
def test_impossible_receipts_are_refused(receipt_lines, discount):
    with pytest.raises(ReceiptError):
        build_receipt_items(receipt_lines, discount=discount)


def test_the_receipt_object_uses_unit_prices_as_two_decimal_strings():
    items = build_receipt_items([ReceiptLine("Чайник", 2, Decimal("1990"))])

    receipt = build_receipt(receipt_customer(email="buyer@example.ru", phone="+7 (900) 123-45-67"), items)

    assert receipt == {
        "customer": {"email": "buyer@example.ru", "phone": "79001234567"},
        "items": [
            {
                "description": "Чайник",
                "quantity": "2",
                "amount": {"value": "1990.00", "currency": "RUB"},
                "vat_code": 11,
                "payment_subject": "commodity",
                "payment_mode": "full_prepayment",
                "measure": "piece",
            }
        ],
    }


def test_a_receipt_needs_an_email_or_a_phone():
    with pytest.raises(ReceiptError):
        receipt_customer()
    with pytest.raises(ReceiptError):
        receipt_customer(phone="12-34")
