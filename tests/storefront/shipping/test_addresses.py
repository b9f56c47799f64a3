"""One way to write an address: no «Санкт-Петербург, Санкт-Петербург» on the order page, in e-mails, the CRM or
the account."""

from dataclasses import dataclass

import pytest

from crm.staff.models import Role
from storefront.account.models import Address
from storefront.shipping.regions import format_address
from tests.support.factories import create_buyer, create_shop, make_order, make_staff
from tests.support.web import add_to_cart, crm_login, login, place


@dataclass
class Place:
    postcode: str
    region_code: str
    city: str
    street: str


@pytest.mark.parametrize(
    ("address", "written"),
    [
        (Place("191186", "78", "Санкт-Петербург", "Невский пр., д. 1"), "191186, Санкт-Петербург, Невский пр., д. 1"),
        (Place("101000", "77", "г. Москва", "ул. Мясницкая, 1"), "101000, г. Москва, ул. Мясницкая, 1"),
        (Place("299011", "92", "севастополь", "ул. Ленина, 2"), "299011, севастополь, ул. Ленина, 2"),
        (
            Place("141400", "50", "Химки", "ул. Ленинградская, 5"),
            "141400, Московская область, Химки, ул. Ленинградская, 5",
        ),
        (Place("", "16", "Казань", " ул. Баумана, 3 "), "Республика Татарстан, Казань, ул. Баумана, 3"),
        (Place("630000", "54", "", "до востребования"), "630000, Новосибирская область, до востребования"),
    ],
)
def test_format_address_names_the_region_once(address, written):
    assert format_address(address) == written


def _doubled(page: str) -> bool:
    return "Санкт-Петербург, Санкт-Петербург" in page


def test_order_page_and_e_mail_write_the_federal_city_once(client, session, mailbox):
    product = create_shop(session)
    session.commit()
    add_to_cart(client, product.id, 1)
    response = place(client, _pochta(session))
    assert response.status_code == 303
    text = mailbox.messages[0].get_body(("plain",)).get_content()
    html = mailbox.messages[0].get_body(("html",)).get_content()
    assert "Адрес доставки: 191186, Санкт-Петербург, Невский пр., д. 1, кв. 5" in text
    assert "191186, Санкт-Петербург, Невский пр., д. 1, кв. 5" in html
    assert not _doubled(text) and not _doubled(html)
    link = next(line for line in text.splitlines() if "/orders/" in line).split(": ", 1)[1].strip()
    page = client.get(link[link.index("/orders/") :]).get_data(as_text=True)
    assert "191186, Санкт-Петербург, Невский пр., д. 1, кв. 5" in page and not _doubled(page)


def _pochta(session) -> int:
    from sqlalchemy import select

    from storefront.shipping.models import ShippingMethod

    return session.scalars(select(ShippingMethod.id).where(ShippingMethod.code == "pochta")).one()


def test_account_and_crm_write_the_federal_city_once(app, client, session):
    buyer = create_buyer(session)
    buyer.addresses.append(
        Address(
            region_code="78",
            city="Санкт-Петербург",
            postcode="191186",
            street="Невский пр., д. 1",
            recipient="Анна",
            phone="+79161234567",
        )
    )
    order = make_order(session)
    session.commit()
    login(client)
    profile = client.get("/account/").get_data(as_text=True)
    assert "191186, Санкт-Петербург, Невский пр., д. 1" in profile and not _doubled(profile)
    staff = make_staff(session, Role.ADMIN)
    session.commit()
    crm = app.test_client()
    assert crm_login(crm, staff.email).status_code == 302
    page = crm.get(f"/crm/orders/{order.number}").get_data(as_text=True)
    assert "191186, Санкт-Петербург, Невский пр., д. 1" in page and not _doubled(page)
