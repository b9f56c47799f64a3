"""Every /crm URL rule × every role and anonymous, checked against the one declaration in crm.permissions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from crm.buyers.services import assign_managers
from crm.permissions import PERMISSIONS, PUBLIC_ENDPOINTS, has_permission, requires, sees_buyer_in_full
from crm.segments.models import Segment
from crm.staff.models import Role
from crm.tiers.services import seed_tiers, tiers_in_order
from crm.workspace.services import open_task
from storefront.banking.models import BankDocument, BankImport
from storefront.db import utcnow
from storefront.promo.models import PromoCode, PromoKind
from storefront.quotes.models import Quote
from storefront.search.models import SearchSynonym
from storefront.settlement.models import PayoutBatch, PayoutLine
from tests.support import factories
from tests.support.factories import create_buyer, make_staff, paid_order
from tests.support.web import crm_login

ROLES = [None, *Role]


def _crm_rules(app: Flask):
    """The /crm rules, public ones (sign-out) last so the walk keeps its session."""
    rules = (rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/crm"))
    return sorted(rules, key=lambda rule: (rule.endpoint in PUBLIC_ENDPOINTS, rule.rule))


def test_every_crm_endpoint_declares_a_permission_or_is_public(app: Flask) -> None:
    for rule in _crm_rules(app):
        view = app.view_functions[rule.endpoint]
        permission = getattr(view, "crm_permission", None)
        assert rule.endpoint in PUBLIC_ENDPOINTS or permission in PERMISSIONS, rule.endpoint


def test_an_undeclared_permission_is_refused_at_import() -> None:
    with pytest.raises(KeyError):
        requires("buyers.delete_everything")


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
def test_every_crm_rule_answers_as_declared_for_the_role(app: Flask, session: Session, role: Role | None) -> None:
    seed_tiers(session)
    session.commit()
    buyer = create_buyer(session)
    segment = Segment(name="Все", definition={"op": "and", "conditions": []})
    promo = PromoCode(code="WALK10", kind=PromoKind.PERCENT, percent_bp=1000)
    session.add_all([segment, promo])
    session.commit()
    order = paid_order(session, buyer.id, "1000.00")
    session.commit()
    task = open_task(session, buyer_id=buyer.id, title="Позвонить", due_at=utcnow(), assignee_id=None)
    session.commit()
    campaign = factories.create_campaign(session)
    synonym = SearchSynonym(word="шмотка", alternatives=["толстовка"])
    session.add(synonym)
    session.commit()
    shipment, batch = factories.shipment_in_a_batch(session, order)
    member = make_staff(session, Role.MARKETER, email="member@mostik.local")
    supplier = factories.create_supplier(session)
    payout = PayoutBatch(total=100, lines=[PayoutLine(supplier_id=supplier.id, amount=100)])
    session.add(payout)
    dispute, photo_name = factories.dispute_with_photo(session, order, app.config["MEDIA_ROOT"])
    statement_import = BankImport(filename="выписка.txt")
    session.add(statement_import)
    session.flush()
    bank_payment = BankDocument(
        import_id=statement_import.id, doc_date=utcnow().date(), number="1", amount=Decimal("10.00"), purpose="Оплата"
    )
    session.add(bank_payment)
    quote = Quote(buyer_id=buyer.id, valid_until=factories.days_ago(-7), note="")
    session.add(quote)
    session.commit()
    upd = factories.company_upd(session)
    values = {
        "staff_id": member.id,
        "buyer_id": buyer.id,
        "tier_id": tiers_in_order(session)[0].id,
        "task_id": task.id,
        "number": order.number,
        "segment_id": segment.id,
        "promo_id": promo.id,
        "campaign_id": campaign.id,
        "kind": "abandoned_cart",
        "synonym_id": synonym.id,
        "shipment_id": shipment.id,
        "batch_number": batch.number,
        "leg_id": batch.legs[0].id,
        "document": "privacy",
        "supplier_id": supplier.id,
        "batch_id": payout.id,
        "dispute_id": dispute.id,
        "name": photo_name,
        "document_id": bank_payment.id,
        "upd_id": upd.id,
        "quote_id": quote.id,
    }
    client = app.test_client()
    if role is not None:
        staff = make_staff(session, role)
        session.commit()
        if role == Role.ACCOUNT_MANAGER:
            # Refunds, notes and tasks are scoped to assigned buyers: the walk uses the manager's own buyer
            # (the other side of the scope is tested separately).
            assign_managers(session, [buyer.id], staff.id)
            session.commit()
        assert crm_login(client, f"{role}@mostik.local").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for rule in _crm_rules(app):
            url = rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1]
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(url, method=method)
            where = f"{method} {url} as {role or 'anonymous'}"
            if rule.endpoint in PUBLIC_ENDPOINTS:
                assert response.status_code in (200, 302), where
                continue
            permission = app.view_functions[rule.endpoint].crm_permission
            if role is None:
                assert response.status_code == 302, where
                assert response.location.startswith("/crm/login"), where
            elif has_permission(role, permission):
                # GET pages render; a POST with no form data is a 400 with the form's messages.
                assert response.status_code == (200 if method == "GET" else 400), where
            else:
                assert response.status_code == 403, where
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


#: The routes that act on one buyer: an account manager may use them only on the buyers assigned to them.
BUYER_SCOPED_WRITES = (
    "/crm/buyers/{buyer}/notes",
    "/crm/buyers/{buyer}/tasks",
    "/crm/tasks/{task}/close",
    "/crm/buyers/{buyer}/quotes",
)


def test_an_account_manager_cannot_write_on_buyers_assigned_to_someone_else(app: Flask, session: Session) -> None:
    buyer = create_buyer(session)
    session.commit()
    task = open_task(session, buyer_id=buyer.id, title="Позвонить", due_at=utcnow(), assignee_id=None)
    session.commit()
    other = make_staff(session, Role.ACCOUNT_MANAGER, email="other@mostik.local")
    session.commit()
    assign_managers(session, [buyer.id], other.id)
    session.commit()
    make_staff(session, Role.ACCOUNT_MANAGER)
    session.commit()
    client = app.test_client()
    assert crm_login(client, "account_manager@mostik.local").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        for template in BUYER_SCOPED_WRITES:
            url = template.format(buyer=buyer.id, task=task.id)
            data = {"body": "x", "title": "x", "due_date": "2030-01-01", "due_time": "10:00", "status": "done"}
            assert client.post(url, data=data).status_code == 403, url
        assert client.get(f"/crm/my?manager={other.id}").status_code == 403
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


def test_the_assignment_scope_rule() -> None:
    assert has_permission(Role.ADMIN, "notes.write")
    assert sees_buyer_in_full(Role.ADMIN, 1, None)
    assert sees_buyer_in_full(Role.ACCOUNT_MANAGER, 5, 5)
    assert not sees_buyer_in_full(Role.ACCOUNT_MANAGER, 5, 6)
    assert not sees_buyer_in_full(Role.ACCOUNT_MANAGER, 5, None)
    assert not sees_buyer_in_full(Role.MARKETER, 5, 5)
    assert not sees_buyer_in_full(None, None, None)


#: The repeat-order pages: who may open them (the walk above checks the answers match the declaration).
REORDER_PAGES = {
    "/crm/reorders": {Role.ADMIN, Role.ACCOUNT_MANAGER},
    "/crm/analytics/retention": {Role.ADMIN, Role.MARKETER},
    "/crm/analytics/retention/export.csv": {Role.ADMIN, Role.MARKETER},
}


@pytest.mark.parametrize("role", list(Role))
def test_the_reorder_pages_open_for_the_expected_roles_only(app: Flask, session: Session, role: Role) -> None:
    make_staff(session, role)
    session.commit()
    client = app.test_client()
    crm_login(client, f"{role}@mostik.local")
    for url, roles in REORDER_PAGES.items():
        assert client.get(url).status_code == (200 if role in roles else 403), (url, role)


def test_finance_holds_settlement_and_orders_but_no_marketing_and_buyers_only_as_a_summary() -> None:
    for permission in ("settlement.view", "settlement.export", "payouts.edit", "orders.view", "orders.list"):
        assert has_permission(Role.FINANCE, permission)
    for permission in ("campaigns.view", "segments.view", "promo.view", "buyers.export", "orders.refund", "audit.view"):
        assert not has_permission(Role.FINANCE, permission)
    assert has_permission(Role.FINANCE, "buyers.view") and not sees_buyer_in_full(Role.FINANCE, 5, 5)
    for role in (Role.MARKETER, Role.ACCOUNT_MANAGER, Role.OPERATOR):
        assert not has_permission(role, "settlement.view") and not has_permission(role, "payouts.edit")


def test_marketers_hold_segments_and_promo_codes_but_not_buyer_cards() -> None:
    for permission in ("segments.view", "segments.edit", "promo.view", "promo.edit"):
        assert has_permission(Role.MARKETER, permission) and has_permission(Role.ADMIN, permission)
        assert not has_permission(Role.ACCOUNT_MANAGER, permission)
    assert not has_permission(Role.MARKETER, "buyers.view")


def test_quotes_are_for_managers_and_admins_and_only_admins_approve_prices_below_the_floor() -> None:
    for role in (Role.ADMIN, Role.ACCOUNT_MANAGER):
        assert has_permission(role, "quotes.view") and has_permission(role, "quotes.edit")
    for role in (Role.MARKETER, Role.OPERATOR, Role.FINANCE):
        assert not has_permission(role, "quotes.view") and not has_permission(role, "quotes.edit")
    assert [role for role in Role if has_permission(role, "quotes.approve")] == [Role.ADMIN]


def test_revoking_guest_links_is_for_whoever_processes_orders(app: Flask) -> None:
    """The walk above POSTs it for every role; this pins which permission it is."""
    assert app.view_functions["crm.orders.order_revoke_links"].crm_permission == "orders.process"
