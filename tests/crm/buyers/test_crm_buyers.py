"""The buyer list and card, the tier editor, and the audit log they write."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.models import AuditEntry
from crm.buyers.models import BuyerProfile
from crm.buyers.services import assign_managers
from crm.staff.models import Role, StaffUser
from crm.tiers.services import seed_tiers, upgrade_on_payment
from storefront.account.models import Buyer, Tier
from tests.support.factories import create_buyer, days_ago, make_staff, paid_order
from tests.support.web import crm_csrf, crm_login


def _signed_in(app: Flask, session: Session, role: Role = Role.ADMIN) -> FlaskClient:
    make_staff(session, role)
    session.commit()
    client = app.test_client()
    assert crm_login(client, f"{role}@mostik.local").status_code == 302
    return client


def test_the_buyer_list_filters_by_tier_and_manager_and_searches(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    anna = create_buyer(session, email="anna@example.ru", name="Анна Смирнова", phone="+79161112233")
    romashka = create_buyer(session, email="info@romashka.ru", name="Пётр Иванов", company=True)
    session.commit()
    paid_order(session, romashka.id, "400000.00")
    upgrade_on_payment(session, romashka.id)
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    session.commit()
    assign_managers(session, [anna.id], manager.id)
    session.commit()
    client = _signed_in(app, session)
    silver = session.scalar(select(Tier.id).where(Tier.code == "silver"))

    def names(query: str) -> list[str]:
        response = client.get("/crm/buyers/" + query)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        return [name for name in ("Анна Смирнова", "Пётр Иванов") if name in html]

    assert names("") == ["Анна Смирнова", "Пётр Иванов"]
    assert names(f"?tier={silver}") == ["Пётр Иванов"]
    assert names(f"?manager={manager.id}") == ["Анна Смирнова"]
    assert names("?q=смирнова") == ["Анна Смирнова"]
    assert names("?q=7707083893") == ["Пётр Иванов"]
    assert names("?q=8 916 111-22-33") == ["Анна Смирнова"]
    assert names("?q=ROMASHKA") == ["Пётр Иванов"]
    assert names("?q=100%25") == []


def test_bad_list_filters_are_a_400_with_a_message(app: Flask, session: Session) -> None:
    client = _signed_in(app, session)
    response = client.get("/crm/buyers/?tier=gold&page=-1")
    assert response.status_code == 400
    assert "crm-error" in response.get_data(as_text=True)


def test_the_buyer_card_shows_tier_progress_and_spend_and_is_audited(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    buyer = create_buyer(session, company=True)
    session.commit()
    paid_order(session, buyer.id, "1080000.00", paid_at=days_ago(10))
    paid_order(session, buyer.id, "50000.00", paid_at=days_ago(400))
    session.commit()
    upgrade_on_payment(session, buyer.id)
    client = _signed_in(app, session, Role.ADMIN)

    response = client.get(f"/crm/buyers/{buyer.id}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    html = response.get_data(as_text=True).replace("\u00a0", " ")
    assert response.status_code == 200
    assert "ООО «Ромашка»" in html and "7707083893" in html
    assert "Серебро" in html
    assert "до уровня Золото осталось 120 000 ₽" in html
    assert "1 080 000,00 ₽" in html  # 12 months
    assert "1 130 000,00 ₽" in html  # lifetime
    entry = session.scalar(select(AuditEntry))
    assert (entry.staff_email, entry.action, entry.target_type, entry.target_id, entry.ip_address) == (
        "admin@mostik.local",
        "buyer.view",
        "buyer",
        str(buyer.id),
        "10.1.2.3",
    )


def test_a_missing_buyer_card_is_a_404_and_not_audited(app: Flask, session: Session) -> None:
    client = _signed_in(app, session)
    assert client.get("/crm/buyers/999999").status_code == 404
    assert session.scalar(select(AuditEntry)) is None


def test_the_audit_log_filters_by_staff_and_action(app: Flask, session: Session) -> None:
    buyer = create_buyer(session)
    session.commit()
    manager = _signed_in(app, session, Role.ACCOUNT_MANAGER)
    manager.get(f"/crm/buyers/{buyer.id}")
    admin = _signed_in(app, session, Role.ADMIN)
    admin.get(f"/crm/buyers/{buyer.id}")

    everything = admin.get("/crm/audit/").get_data(as_text=True)
    assert "account_manager@mostik.local" in everything and "admin@mostik.local" in everything
    only_manager = admin.get("/crm/audit/?staff_email=account_manager@mostik.local&action=buyer.view")
    html = only_manager.get_data(as_text=True)
    assert "1 запись" in html
    assert "admin@mostik.local</td>" not in html
    assert "<td>Просмотр карточки покупателя</td>" in html and "buyer.view</td>" not in html
    assert admin.get("/crm/audit/?date_from=yesterday").status_code == 400


def test_every_audit_action_has_a_russian_label(app: Flask) -> None:
    from flask_babel import force_locale

    from crm.audit.actions import CAMPAIGN_STATUS_ACTIONS, LABELS, AuditAction
    from crm.campaigns.forms import StatusForm

    assert set(LABELS) == set(AuditAction)
    with app.test_request_context(), force_locale("ru"):
        labels = [str(label) for label in LABELS.values()]
        assert len(set(labels)) == len(labels)
        assert all(any("а" <= letter <= "я" for letter in label.lower()) for label in labels)
        # Every status a campaign form offers is recorded under its own action.
        assert {choice.value for choice in StatusForm().action.choices} == set(CAMPAIGN_STATUS_ACTIONS)


def test_an_admin_edits_a_tier_and_the_change_is_audited(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    gold = session.scalar(select(Tier).where(Tier.code == "gold"))
    client = _signed_in(app, session)
    form = {
        "csrf_token": crm_csrf(client, f"/crm/tiers/{gold.id}/edit"),
        "code": "gold",
        "name": "Золото",
        "threshold_amount": "1000000",
        "discount_percent": "5.5",
        "free_shipping": "y",
        "dedicated_manager": "y",
        "perks": "Персональный менеджер",
    }
    response = client.post(f"/crm/tiers/{gold.id}/edit", data=form)
    assert response.status_code == 302
    session.expire_all()
    gold = session.get(Tier, gold.id)
    assert (gold.threshold_amount, gold.discount_bp) == (Decimal("1000000.00"), 550)
    assert session.scalar(select(AuditEntry.action)) == "tier_policy.edit"


def test_a_bad_tier_form_is_refused_without_change(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    gold = session.scalar(select(Tier).where(Tier.code == "gold"))
    client = _signed_in(app, session)
    token = crm_csrf(client, f"/crm/tiers/{gold.id}/edit")
    base = {"csrf_token": token, "code": "gold", "name": "Золото", "threshold_amount": "1", "discount_percent": "5"}
    for bad in ({"discount_percent": "80"}, {"threshold_amount": "много"}, {"code": "silver"}, {"code": "Зол"}):
        response = client.post(f"/crm/tiers/{gold.id}/edit", data={**base, **bad})
        assert response.status_code == 400, bad
        assert "crm-error" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Tier, gold.id).threshold_amount == Decimal("1200000.00")


def test_a_marketer_cannot_edit_tiers(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    client = _signed_in(app, session, Role.MARKETER)
    assert client.get("/crm/tiers/").status_code == 200
    assert client.post("/crm/tiers/new", data={"csrf_token": crm_csrf(client, "/crm/")}).status_code == 403


def test_the_csv_export_follows_the_filters_and_is_audited(app: Flask, session: Session) -> None:
    create_buyer(session, email="anna@example.ru", name="Анна Смирнова")
    create_buyer(session, email="info@romashka.ru", name="Пётр Иванов", company=True)
    session.commit()
    client = _signed_in(app, session)
    response = client.get("/crm/buyers/export.csv?q=7707083893", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffid;name;company")
    assert "Пётр Иванов" in text and "Анна Смирнова" not in text
    entry = session.scalar(select(AuditEntry))
    assert (entry.action, entry.ip_address) == ("buyers.export", "10.0.0.7")
    assert entry.detail.startswith("1 строка; фильтры: ")
    assert client.get("/crm/buyers/export.csv?tier=x").status_code == 400


def test_a_buyer_named_like_a_formula_stays_text_in_the_export(app: Flask, session: Session) -> None:
    create_buyer(session, email="evil@example.ru", name='=HYPERLINK("http://evil.example","Счёт")')
    session.commit()
    text = _signed_in(app, session).get("/crm/buyers/export.csv").get_data(as_text=True)
    (row,) = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))[1:]
    assert row[1] == '\'=HYPERLINK("http://evil.example","Счёт")'
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_an_account_manager_sees_other_managers_buyers_only_in_summary(app: Flask, session: Session) -> None:
    mine = create_buyer(session, email="mine@example.ru", phone="+79160000001")
    other = create_buyer(session, email="other@example.ru", phone="+79160000002")
    session.commit()
    client = _signed_in(app, session, Role.ACCOUNT_MANAGER)
    me = session.scalar(select(StaffUser).where(StaffUser.role == Role.ACCOUNT_MANAGER))
    assign_managers(session, [mine.id], me.id)
    session.commit()
    assert "mine@example.ru" in client.get(f"/crm/buyers/{mine.id}").get_data(as_text=True)
    summary = client.get(f"/crm/buyers/{other.id}").get_data(as_text=True)
    assert "other@example.ru" not in summary and "+79160000002" not in summary
    details = session.scalars(select(AuditEntry.detail).order_by(AuditEntry.id)).all()
    assert details == ["full", "summary"]


def test_an_admin_sets_a_manual_tier_from_the_card_and_it_is_audited(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    buyer = create_buyer(session)
    session.commit()
    gold = session.scalar(select(Tier).where(Tier.code == "gold"))
    client = _signed_in(app, session)
    token = crm_csrf(client, f"/crm/buyers/{buyer.id}")
    url = f"/crm/buyers/{buyer.id}/tier"
    refused = client.post(url, data={"csrf_token": token, "tier": gold.id, "until": "2020-01-01", "reason": "x"})
    assert refused.status_code == 400
    assert "Дата должна быть не раньше сегодняшней" in refused.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token, "tier": gold.id, "until": "2099-12-31", "reason": "Договор"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Buyer, buyer.id).tier_id == gold.id
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-1] == "tier.change"
    card = client.get(f"/crm/buyers/{buyer.id}").get_data(as_text=True)
    assert "Договор" in card and "Золото" in card


def test_an_admin_assigns_buyers_in_bulk_and_vips_without_a_manager_are_flagged(app: Flask, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    gold = session.scalar(select(Tier).where(Tier.code == "gold"))
    first = create_buyer(session, email="a@example.ru", tier_id=gold.id)
    second = create_buyer(session, email="b@example.ru")
    session.commit()
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="olga@mostik.local")
    session.commit()
    client = _signed_in(app, session)
    assert "VIP без менеджера" in client.get("/crm/buyers/").get_data(as_text=True)

    token = crm_csrf(client, "/crm/buyers/")
    data = {"csrf_token": token, "buyer_ids": [first.id, second.id], "manager": str(manager.id)}
    assert client.post("/crm/buyers/assign", data=data).status_code == 302
    session.expire_all()
    assert {p.manager_id for p in session.scalars(select(BuyerProfile))} == {manager.id}
    assert "VIP без менеджера" not in client.get("/crm/buyers/").get_data(as_text=True)
    assert session.scalars(select(AuditEntry.action)).all() == ["buyers.assign"]

    admin = session.scalar(select(StaffUser).where(StaffUser.role == Role.ADMIN))
    bad = {"csrf_token": token, "buyer_ids": [first.id], "manager": str(admin.id)}  # not an account manager
    assert client.post("/crm/buyers/assign", data=bad).status_code == 400
    assert client.post("/crm/buyers/assign", data={"csrf_token": token, "manager": ""}).status_code == 400
