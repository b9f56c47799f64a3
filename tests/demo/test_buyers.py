"""``flask crm seed-demo-buyers``: a filled demo CRM (buyers, orders, tiers, statistics, managers, tasks),
deterministic, a no-op with ``--if-empty`` the second time, and bad arguments change nothing."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy.orm import Session
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from crm.buyers.models import BuyerProfile
from crm.reorder.models import BuyerStats
from crm.staff.models import Role, StaffUser
from crm.tiers.services import seed_tiers
from crm.workspace.models import Note
from crm.workspace.queries import due_tasks
from demo.buyers import MANAGERS, seed_demo_buyers
from demo.catalogue import seed_demo
from storefront.account.identifiers import normalize_phone
from storefront.account.models import Buyer, Consent, ConsentKind, Tier
from storefront.db import utcnow
from storefront.order.models import Order, OrderLine, PaymentStatus
from storefront.payment.models import Payment, Refund
from tests.support.database import empty_all_tables
from tests.support.factories import REORDER_POLICY, load_rates

PASSWORD = "demo manager password"
ENV = {"MOSTIK_DEMO_MANAGER_PASSWORD": PASSWORD}


def _catalogue(session: Session) -> None:
    load_rates(session)
    session.commit()
    seed_demo(session, 120)
    seed_tiers(session)
    session.commit()


def _count(session: Session, model: type) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_demo_buyers_fills_the_crm_and_runs_once(runner: FlaskCliRunner, session: Session) -> None:
    # Given a demo catalogue and the default tiers
    _catalogue(session)

    # When the command adds 40 buyers
    result = runner.invoke(args=["crm", "seed-demo-buyers", "--buyers", "40"], env=ENV)

    # Then buyers, paid orders with lines and payments, statistics, tiers and managers are there
    assert result.exit_code == 0, result.output
    assert "Демо-данные CRM добавлены" in result.output
    assert _count(session, Buyer) == 40
    orders = _count(session, Order)
    assert orders > 40
    assert _count(session, Payment) == orders
    assert _count(session, OrderLine) >= orders * 2
    assert _count(session, Refund) >= 1
    assert (
        session.scalar(sa.select(sa.func.count()).where(Order.payment_status == PaymentStatus.PARTIALLY_REFUNDED)) >= 1
    )
    assert session.scalar(sa.select(sa.func.count()).where(Order.number.is_(None))) == 0
    assert _count(session, BuyerStats) == 40
    statuses = Counter(session.scalars(sa.select(BuyerStats.status)))
    assert {"new", "overdue", "lapsed"} <= set(statuses), statuses
    assert statuses["active"] + statuses["due"] > 0
    assert session.scalar(sa.select(sa.func.count()).where(Buyer.tier_id.is_(None))) == 0
    tiers = Counter(session.scalars(sa.select(Tier.code).join(Buyer, Buyer.tier_id == Tier.id)))
    assert tiers["platinum"] >= 1 and tiers["gold"] >= 3 and tiers["standard"] >= 1, tiers

    managers = session.scalars(sa.select(StaffUser).where(StaffUser.role == Role.ACCOUNT_MANAGER)).all()
    assert sorted(m.email for m in managers) == sorted(email for email, _ in MANAGERS)
    vip = (
        sa.select(Buyer.id, BuyerProfile.manager_id)
        .join(Tier, Tier.id == Buyer.tier_id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .where(Tier.dedicated_manager.is_(True))
    )
    assignments = [manager_id for _, manager_id in session.execute(vip)]
    assert assignments.count(None) == 2, "two Gold buyers are left without a manager"
    assert len({m for m in assignments if m is not None}) == len(MANAGERS)
    assert _count(session, Note) >= 3
    for manager in managers:
        due = due_tasks(session, manager.id)
        assert len(due.today) == 2 and len(due.overdue) == 1

    # Identifiers and contacts are valid by the shop's own checks
    for buyer in session.scalars(sa.select(Buyer)):
        assert normalize_phone(buyer.phone) == buyer.phone
        if buyer.inn:
            assert stdnum_inn.is_valid(buyer.inn) and stdnum_ogrn.is_valid(buyer.ogrn)
            assert (len(buyer.inn) == 10) == (buyer.kpp is not None)
    consents = Counter(
        (kind, withdrawn is None) for kind, withdrawn in session.execute(sa.select(Consent.kind, Consent.withdrawn_at))
    )
    assert consents[(ConsentKind.PERSONAL_DATA, True)] == 40
    assert consents[(ConsentKind.MARKETING, True)] > 20
    regions = set(session.scalars(sa.select(Order.region_code).distinct()))
    assert len(regions) >= 3

    # When it runs again with --if-empty (make run), nothing is added; without it, it refuses
    again = runner.invoke(args=["crm", "seed-demo-buyers", "--if-empty"], env=ENV)
    assert again.exit_code == 0, again.output
    assert "покупатели уже есть" in again.output.lower()
    refused = runner.invoke(args=["crm", "seed-demo-buyers", "--buyers", "5"], env=ENV)
    assert refused.exit_code == 1
    assert _count(session, Buyer) == 40
    assert _count(session, Order) == orders
    assert _count(session, StaffUser) == len(MANAGERS)


def _snapshot(session: Session) -> tuple[list, list, list]:
    buyers = session.execute(
        sa.select(Buyer.email, Buyer.name, Buyer.phone, Buyer.inn, Buyer.kpp, Buyer.ogrn, Buyer.first_utm_source)
        .order_by(Buyer.email)
    ).all()  # fmt: skip
    orders = session.execute(
        sa.select(Order.email, Order.paid_at, Order.total_amount, Order.status, Order.tier_code).order_by(
            Order.email, Order.paid_at
        )
    ).all()
    stats = session.execute(
        sa.select(Buyer.email, BuyerStats.status, BuyerStats.spend_12m, Tier.code)
        .join(BuyerStats, BuyerStats.buyer_id == Buyer.id)
        .join(Tier, Tier.id == Buyer.tier_id)
        .order_by(Buyer.email)
    ).all()
    return buyers, orders, stats


def test_seed_is_deterministic(app: Flask, session: Session) -> None:
    now = utcnow()
    with app.app_context():
        _catalogue(session)
        seed_demo_buyers(session, 25, manager_password=PASSWORD, reorder_policy=REORDER_POLICY, now=now)
        first = _snapshot(session)
        empty_all_tables(session)
        _catalogue(session)
        seed_demo_buyers(session, 25, manager_password=PASSWORD, reorder_policy=REORDER_POLICY, now=now)
        assert _snapshot(session) == first
    assert len(first[0]) == 25 and first[1]


def test_bad_arguments_change_nothing(runner: FlaskCliRunner, session: Session) -> None:
    _catalogue(session)
    for args in (["--buyers", "-5"], ["--buyers", "0"], ["--buyers", "много"]):
        result = runner.invoke(args=["crm", "seed-demo-buyers", *args], env=ENV)
        assert result.exit_code == 2, result.output
        assert "--buyers" in result.output
        assert "целое число от 1 до" in result.output
    short = runner.invoke(args=["crm", "seed-demo-buyers", "--buyers", "5"], env={"MOSTIK_DEMO_MANAGER_PASSWORD": "x"})
    assert short.exit_code == 1
    assert "слишком короткий" in short.output
    assert _count(session, Buyer) == 0 and _count(session, Order) == 0 and _count(session, StaffUser) == 0


def test_refuses_without_a_catalogue(runner: FlaskCliRunner, session: Session) -> None:
    seed_tiers(session)
    session.commit()
    result = runner.invoke(args=["crm", "seed-demo-buyers", "--buyers", "5"], env=ENV)
    assert result.exit_code == 1
    assert "seed-demo" in result.output
    assert _count(session, Buyer) == 0 and _count(session, StaffUser) == 0


def test_the_demo_orders_get_a_ledger_history_that_reconciles(runner: FlaskCliRunner, session: Session) -> None:
    """``make demo-data`` runs ``settlement backfill`` after the buyers: payments, refunds and confirmations of the
    demo orders are posted (the migration posts nothing), and ``settlement check`` finds the ledger whole."""
    from storefront.settlement.models import Account, LedgerEntry, LedgerTransaction

    _catalogue(session)
    assert runner.invoke(args=["crm", "seed-demo-buyers", "--buyers", "20"], env=ENV).exit_code == 0
    assert runner.invoke(args=["settlement", "backfill"]).exit_code == 0
    kinds = Counter(session.scalars(sa.select(LedgerTransaction.kind)))
    assert kinds["capture"] == _count(session, Payment) and kinds["refund"] == _count(session, Refund)
    assert kinds["confirm"] == session.scalar(sa.select(sa.func.count()).where(Order.status == "completed")) > 0
    owed = session.scalar(sa.select(sa.func.sum(LedgerEntry.amount)).where(LedgerEntry.account == Account.PAYABLE))
    assert owed < 0  # suppliers are owed money
    check = runner.invoke(args=["settlement", "check"])
    assert check.exit_code == 0, check.output


def test_the_demo_buyer_signs_in_with_orders_and_sees_their_tier(
    app: Flask, runner: FlaskCliRunner, session: Session
) -> None:
    """``make demo-data`` runs ``crm demo-buyer-login`` after the buyers: one managed demo buyer below the top tier
    with paid orders signs in as buyer@mostik.local; running it again changes nothing."""
    from tests.support.web import login

    _catalogue(session)
    assert runner.invoke(args=["crm", "seed-demo-buyers", "--buyers", "40"], env=ENV).exit_code == 0
    env = {"MOSTIK_DEMO_BUYER_PASSWORD": "demo buyer password"}
    short = runner.invoke(args=["crm", "demo-buyer-login"], env={"MOSTIK_DEMO_BUYER_PASSWORD": "short"})
    assert short.exit_code == 1 and "слишком короткий" in short.output
    assert session.scalar(sa.select(sa.func.count()).where(Buyer.email == "buyer@mostik.local")) == 0

    result = runner.invoke(args=["crm", "demo-buyer-login"], env=env)

    assert result.exit_code == 0, result.output
    assert "buyer@mostik.local" in result.output
    session.expire_all()
    buyer = session.scalars(sa.select(Buyer).where(Buyer.email == "buyer@mostik.local")).one()
    assert buyer.telegram == "mostik_demo_buyer" and buyer.whatsapp == buyer.phone
    assert session.scalar(sa.select(sa.func.count()).where(Order.buyer_id == buyer.id, Order.paid_at.is_not(None))) >= 2
    assert session.scalar(sa.select(BuyerProfile.manager_id).where(BuyerProfile.buyer_id == buyer.id)) is not None
    assert {consent.email for consent in buyer.consents} == {"buyer@mostik.local"}
    again = runner.invoke(args=["crm", "demo-buyer-login"], env={"MOSTIK_DEMO_BUYER_PASSWORD": "another password"})
    assert again.exit_code == 0
    assert session.scalar(sa.select(sa.func.count()).where(Buyer.email == "buyer@mostik.local")) == 1

    client = app.test_client()
    login(client, "buyer@mostik.local", "demo buyer password")
    page = client.get("/account/").get_data(as_text=True).replace("\u00a0", " ")
    assert "Ваш уровень:" in page and "осталось" in page
    assert client.get("/account/orders").status_code == 200


def test_the_makefile_and_readme_give_the_marketer_and_buyer_logins() -> None:
    from pathlib import Path

    makefile, readme = Path("Makefile").read_text(), Path("README.md").read_text()
    assert "--email marketer@mostik.local --role marketer" in makefile
    assert "DEMO_BUYER_PASSWORD ?= mostik-demo-buyer" in makefile and "crm demo-buyer-login" in makefile
    assert "| `marketer@mostik.local` (Демо-маркетолог) | `mostik-demo-manager` | marketer |" in readme
    assert "| `buyer@mostik.local` at `/account/login` (a demo buyer) | `mostik-demo-buyer` |" in readme
