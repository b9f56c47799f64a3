"""Every CRM page (derived from the app's URL map) and the main storefront and account pages, opened in Chromium
at 1366 px (a laptop) and 390 px (a phone): the page never scrolls sideways (wide tables scroll inside their own
box), axe-core finds nothing critical or serious, and no internal code shows where people expect Russian words.
Screenshots of every page at both widths are kept in test-artifacts/screenshots/."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.audit.actions import AuditAction
from crm.audit.services import record
from crm.buyers.services import assign_managers
from crm.promo.services import PromoData, create_promo
from crm.staff.models import Role
from crm.tiers.services import recalc_tiers, seed_tiers
from crm.workspace.services import add_note, open_task
from storefront.account.models import Buyer, Tier
from storefront.account.opt_in import make_confirm_token, pending_marketing_consent
from storefront.account.services import ConsentRecord, record_consents
from storefront.banking.models import BankDocument, BankImport, DocumentState, ReviewReason
from storefront.catalog.models import Product, Supplier
from storefront.db import utcnow
from storefront.fx.services import current_pricing
from storefront.legal.services import publish_defaults
from storefront.order.models import Order, OrderLine, OrderStatus
from storefront.quotes.models import Quote
from storefront.quotes.services import LineInput, QuotePolicy, new_quote, save_draft, send_quote
from storefront.search.models import SearchSynonym
from storefront.seller import Seller
from storefront.settlement.checks import backfill
from storefront.settlement.models import PayoutBatch
from storefront.settlement.payouts import create_batch
from tests.browser.conftest import sign_in
from tests.support.factories import (
    PASSWORD,
    company_upd,
    create_buyer,
    create_campaign,
    create_shop,
    create_supplier,
    days_ago,
    dispute_with_photo,
    make_staff,
    paid_order,
    shipment_in_a_batch,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"laptop": 1366, "phone": 390}
BUYER_PASSWORD = "correct horse battery"
#: Pages that are not pages: files, redirects and endpoints the browser never opens as HTML.
#: A dispute photo is an image, not a page (its access is tested in tests/crm/disputes).
NOT_PAGES = {
    "crm.staff.login",
    "crm.privacy.buyer_data_export",
    "crm.security.login_code",
    "crm.disputes.dispute_photo",
    "crm.documents.upd_download",
    "crm.documents.reconciliation_download",
    "crm.quotes.quote_pdf_view",
}
#: The order pages are being rewritten with the order statuses (issue 20): their words are checked there.
ORDER_PAGES = re.compile(r"^/(crm/)?orders/")
#: Internal codes that must never reach a reader: tier-history reasons, audit actions, tier codes, «10.0 %».
RAW_CODES = re.compile(
    r"\brecalc\b|\b(?:bronze|silver|gold|platinum)\b|\d\.\d+\s?%|"
    + "|".join(rf"\b{re.escape(action.value)}\b" for action in AuditAction)
)
#: Pictures whose alt text only repeats the title printed next to them (a screen reader would read it twice).
ALT_REPEATS = """() => [...document.querySelectorAll('img[alt]')]
  .filter(img => img.alt.trim()
    && (img.closest('article, a, figure, li') || img.parentElement).innerText.includes(img.alt.trim()))
  .map(img => img.alt)"""
#: The outermost elements that stick out of the viewport, to say what makes a page scroll sideways.
WIDE_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
    && !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))"""
#: Pages whose tables fit a laptop without scrolling inside their box either.
FIT_ON_LAPTOP = {"/crm/buyers/"}


@dataclass
class World:
    product_path: str
    category_path: str
    order_number: str
    values: dict[str, object]


def _world(session: Session, app_config: dict[str, object]) -> World:
    """A small shop with demo-like data: every CRM page has rows to show and every link has a target."""
    product = create_shop(session)
    seed_tiers(session)
    admin = make_staff(session, Role.ADMIN, email="olga@mostik.local")
    manager = make_staff(session, Role.ACCOUNT_MANAGER, email="anna@mostik.local")
    buyer = create_buyer(session, email="buyer@example.ru", name="Пётр Иванов", company=True)
    # The widest row of the demo data: a long company name, a long e-mail, a long region.
    wide = create_buyer(
        session,
        email="zakupki.otdel-snabzheniya@torgovyi-dom-vostochnyi-ekspress.ru",
        name="Константин Владимирович Преображенский",
        company=True,
    )
    wide.company_name = "ООО «Торговый дом «Восточный экспресс логистик»"
    other = create_buyer(session, email="maria@example.ru", name="Мария Орлова", password="another password 1")
    # The buyer has asked for offers and not yet opened the link: the profile says so, the link's page is walked.
    record_consents(session, buyer.email, buyer, ConsentRecord("/account/", "127.0.0.1", marketing=True))
    session.commit()
    order = paid_order(session, buyer.id, "1100000.00", paid_at=days_ago(40), refunded="17240.00")
    paid_order(session, buyer.id, "48000.00", paid_at=days_ago(400))
    paid_order(session, other.id, "350000.00", paid_at=days_ago(200))
    session.commit()
    recalc_tiers(session)
    assign_managers(session, [buyer.id, other.id], manager.id)
    paid_order(session, wide.id, "2400000.00", paid_at=days_ago(3)).region_code = "86"  # Ханты-Мансийский АО — Югра
    add_note(session, buyer_id=buyer.id, author_id=manager.id, body="Просит счёт на юрлицо")
    open_task(
        session,
        buyer_id=buyer.id,
        title="Позвонить по оплате",
        due_at=utcnow() + timedelta(days=1),
        assignee_id=manager.id,
    )
    tier_codes = list(session.scalars(select(Tier.code).order_by(Tier.threshold_amount)))[-2:]
    create_promo(
        session,
        PromoData(
            code="VIP12",
            kind="percent",
            percent=Decimal("12.5"),
            fixed_amount=None,
            min_order_amount=None,
            starts_at=None,
            ends_at=None,
            usage_limit=None,
            per_buyer_limit=None,
            tier_codes=tier_codes,
        ),
    )
    campaign = create_campaign(session)
    synonym = SearchSynonym(word="шмотка", alternatives=["толстовка", "худи"])
    session.add(synonym)
    shipment, batch = shipment_in_a_batch(session, order)
    publish_defaults(session, Seller.from_config(app_config))
    supplier, payout = _settled(session, order)
    dispute, _photo = dispute_with_photo(session, order, str(Path(tempfile.gettempdir()) / "walk-media"))
    quote = _sent_quote(session, buyer, product)
    for action in (AuditAction.ORDER_REFUND, AuditAction.BUYER_VIEW, AuditAction.TIER_CHANGE):
        record(session, admin, action, "buyer", buyer.id, "127.0.0.1")
    bank_payment = _bank_payment_to_review(session)
    session.commit()
    values = {
        "buyer_id": buyer.id,
        "campaign_id": campaign.id,
        "segment_id": campaign.segment_id,
        "tier_id": session.scalar(select(Tier.id).order_by(Tier.threshold_amount)),
        "number": order.number,
        "synonym_id": synonym.id,
        "shipment_id": shipment.id,
        "batch_number": batch.number,
        "leg_id": batch.legs[0].id,
        "document": "privacy",
        "supplier_id": supplier.id,
        "batch_id": payout.id,
        "dispute_id": dispute.id,
        "document_id": bank_payment.id,
        "upd_id": company_upd(session).id,
        "quote_id": quote.id,
    }
    category = product.category
    pending = pending_marketing_consent(session, buyer.email)
    assert pending is not None
    values["confirm_path"] = "/account/consents/marketing/confirm/" + make_confirm_token(pending, "test-secret-key")
    return World(f"/product/{product.id}-{product.slug}", f"/catalog/{category.slug}", order.number, values)


def _bank_payment_to_review(session: Session) -> BankDocument:
    """A bank payment waiting for review, with a long payer name and purpose (the queue and its page)."""
    statement = BankImport(filename="kl_to_1c_01.12.2026-05.12.2026.txt", documents=1, to_review=1)
    session.add(statement)
    session.flush()
    document = BankDocument(
        import_id=statement.id,
        doc_date=utcnow().date(),
        number="100500",
        payer_account="40702810500000000777",
        amount=Decimal("123456.78"),
        payer_name="Общество с ограниченной ответственностью «Производственно-торговая компания Северо-Запад»",
        payer_inn="7707083893",
        purpose="Оплата по счёту № 17 от 01.12.2026 за спортивные товары по договору поставки № 2026/11-СЗ, "
        "в т.ч. НДС 22 % — 22 262,57 руб.",
        state=DocumentState.REVIEW,
        reason=ReviewReason.NO_ORDER,
    )
    session.add(document)
    session.flush()
    return document


def _sent_quote(session: Session, buyer: Buyer, product: Product) -> Quote:
    """A quote sent to the buyer (their account lists it; the CRM's quote pages have one to show)."""
    now = utcnow()
    quote = new_quote(session, buyer, None, now + timedelta(days=14), "Цены действуют на партию от 10 штук")
    lines = [LineInput(product.id, 10)]
    save_draft(
        session,
        quote,
        lines,
        current_pricing(session),
        valid_until=quote.valid_until,
        note=quote.note,
        now=now,
        version=quote.version,
    )
    send_quote(session, quote, QuotePolicy(), now, version=quote.version)
    return quote


def _settled(session: Session, order: Order) -> tuple[Supplier, PayoutBatch]:
    """The order's goods from a supplier with a long name, confirmed by the buyer: the ledger backfilled, a payout
    batch open (the statement and payout pages have figures)."""
    supplier = create_supplier(session, name="Гуанчжоуская фабрика спортивной обуви и снаряжения «Восточный ветер»")
    order.lines.append(
        OrderLine(
            supplier_id=supplier.id,
            sku="SKU-1",
            title="Кроссовки мужские беговые",
            quantity=1,
            unit_price=order.total_amount,
            line_amount=order.total_amount,
            commission_bp=800,
        )
    )
    order.status, order.completed_at = OrderStatus.COMPLETED, utcnow()
    session.commit()
    for _batch in backfill(session, returns_commission=True):
        session.commit()
    payout = create_batch(session, None)
    session.commit()
    return supplier, payout


def _crm_paths(app: Flask, values: dict[str, object]) -> list[str]:
    """Every CRM page a signed-in admin reaches by GET, its arguments filled from the world."""
    paths = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if not rule.rule.startswith("/crm") or "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if rule.rule.endswith(".csv"):
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give the walk a value for {missing}"
        built = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
        assert built is not None
        paths.append(built[1])
    return paths


def _check(page, shots, path: str, width_name: str, problems: list[str]) -> None:
    response = page.goto(path)
    assert response is not None and response.status < 400, f"{path}: HTTP {response and response.status}"
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    shots(page, f"{width_name}-{name}")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        wide = ", ".join(page.evaluate(WIDE_ELEMENTS))
        problems.append(f"{width_name} {path}: the page scrolls sideways ({widths[0]} px in {widths[1]} px): {wide}")
    if width_name == "laptop" and path in FIT_ON_LAPTOP:
        boxes = page.evaluate(
            "[...document.querySelectorAll('.table-scroll')].map(box => [box.scrollWidth, box.clientWidth])"
        )
        for inner, outer in boxes:
            if inner > outer:
                problems.append(f"{width_name} {path}: a table scrolls in its box ({inner} px in {outer} px)")
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => ['critical', 'serious'].includes(v.impact))"
        ".map(v => [v.impact, v.id, v.help, v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')])"
    )
    for impact, rule_id, help_text, targets in violations:
        problems.append(f"{width_name} {path}: axe {impact} {rule_id} ({help_text}): {targets}")
    for alt in page.evaluate(ALT_REPEATS):
        problems.append(f"{width_name} {path}: a picture's alt text repeats the title next to it: {alt!r}")
    if not ORDER_PAGES.match(path):
        shown = page.inner_text("body")
        for found in sorted({match.group(0) for match in RAW_CODES.finditer(shown)}):
            problems.append(f"{width_name} {path}: shows the internal code {found!r}")


@pytest.mark.parametrize("role", ["buyer", "staff"])
@pytest.mark.parametrize("width_name", WIDTHS)
def test_every_crm_and_account_page_fits_a_laptop_and_a_phone_and_passes_axe(
    browser, live_server, app, session, shots, width_name, role
):
    if not AXE.exists():
        pytest.skip("axe-core is missing: run `make browsers` (npm ci)")
    world = _world(session, app.config)
    context = browser.new_context(
        base_url=live_server, locale="ru-RU", viewport={"width": WIDTHS[width_name], "height": 900}
    )
    context.set_default_timeout(15000)
    context.add_init_script(AXE.read_text(encoding="utf-8"))  # every page gets axe-core before its own scripts run
    page = context.new_page()
    problems: list[str] = []
    if role == "buyer":
        for path in _guest_paths(world):
            _check(page, shots, path, width_name, problems)
        sign_in(page, "buyer@example.ru", BUYER_PASSWORD, "/account/login")
        page.goto(world.product_path)
        with page.expect_navigation():
            page.locator("form.add-to-cart button[type=submit]").click()
        for path in _buyer_paths(world):
            _check(page, shots, path, width_name, problems)
    else:
        sign_in(page, "olga@mostik.local", PASSWORD, "/crm/login")
        for path in _crm_paths(app, world.values):
            _check(page, shots, path, width_name, problems)
    context.close()
    assert not problems, "\n".join(problems)


def _guest_paths(world: World) -> list[str]:
    paths = ["/", world.category_path, world.product_path, "/search?q=кроссовки", "/cart"]
    paths += ["/account/login", "/account/register", "/account/password-reset", "/crm/login"]
    return [*paths, "/legal/privacy", "/legal/offer/v/1"]


def _buyer_paths(world: World) -> list[str]:
    paths = ["/account/", "/account/orders", "/account/buy-again", "/checkout", f"/orders/{world.order_number}"]
    paths += ["/account/privacy/", str(world.values["confirm_path"]), "/account/sessions"]
    return [*paths, "/account/quotes", f"/account/quotes/{world.values['quote_id']}"]
