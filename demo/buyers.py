"""A deterministic demo CRM: buyers with two years of paid orders, account managers, notes and tasks.

``seed_demo_buyers`` builds the buyers and their orders in memory from one seeded ``random.Random`` (the same N
and ``now`` give the same data). Orders, lines, payments and refunds go in as Core bulk inserts (ORM objects made
it several times slower); then the real domain code fills the rest: ``recalc_tiers`` (tiers), ``recalc_reorders``
(statistics and statuses), ``assign_managers``, ``add_note`` and ``open_task``. Dates are relative to ``now`` so
the statuses (due, overdue, lapsed) stay realistic whenever the demo is started. Nothing is mailed and no signal
is sent (the tier-up e-mail receivers never run).

Buyer kinds, by a fixed pattern so even a small N has every kind: a few large regulars (Платина), regulars who
reorder every 60–120 days (mostly Золото), regulars drifting past their expected date or lapsed, occasional
buyers, one-order buyers and registered buyers who never paid.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from crm.buyers.services import assign_managers
from crm.reorder.services import ReorderPolicy, recalc_reorders
from crm.staff.models import Role, StaffUser
from crm.staff.services import MIN_PASSWORD_LENGTH, create_staff, find_staff
from crm.tiers.services import recalc_tiers
from crm.workspace.services import add_note, open_task
from demo import load_data
from storefront.account.consents import VERSIONS
from storefront.account.identifiers import normalize_inn, normalize_ogrn, normalize_phone
from storefront.account.models import Address, Buyer, BuyerKind, Consent, ConsentKind, Tier
from storefront.catalog.models import Product, ProductStatus
from storefront.catalog.pricing import break_for_quantity
from storefront.db import utcnow
from storefront.errors import ShopError
from storefront.fx.services import current_pricing
from storefront.moscow import moscow_to_utc, to_moscow
from storefront.order.models import HistoryKind, Order, OrderLine, OrderStatus, OrderStatusChange, PaymentStatus
from storefront.order.services import format_number
from storefront.order.totals import VAT_RATE_BP, compute_totals
from storefront.payment.models import AttemptStatus, Payment, Refund, RefundState
from storefront.shipping.models import ShippingMethod
from storefront.shipping.regions import zone_for
from storefront.shipping.services import quote_method, seed_shipping_methods
from storefront.slugs import make_slug

DEFAULT_BUYERS = 300
SEED = 2026
HISTORY_DAYS = 730
PRODUCT_POOL = 400
KOPECK = Decimal("0.01")

#: The demo's account managers (README lists them; the password comes from the environment).
MANAGERS = (
    ("anna@mostik.local", "Анна Смирнова"),
    ("dmitry@mostik.local", "Дмитрий Волков"),
    ("olga@mostik.local", "Ольга Кузнецова"),
)

# --- word tables (demo/data/buyers.json) -----------------------------------------------------------------------


def _tuples(value: Any) -> Any:
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


_TABLES = {name: _tuples(value) for name, value in load_data("buyers.json").items()}
MALE: tuple[str, ...] = _TABLES["male"]
FEMALE: tuple[str, ...] = _TABLES["female"]
SURNAMES: tuple[str, ...] = _TABLES["surnames"]
PATRONYMIC_ROOTS: tuple[str, ...] = _TABLES["patronymic_roots"]
COMPANY_WORDS: tuple[str, ...] = _TABLES["company_words"]
COMPANY_FORMS: tuple[str, ...] = _TABLES["company_forms"]
#: (region code, city, postcode, streets, weight): St Petersburg and Leningrad oblast first (the marketing team's
#: home market), then the large cities.
PLACES: tuple[tuple[str, str, str, tuple[str, ...], int], ...] = _TABLES["places"]
MOBILE_CODES: tuple[str, ...] = _TABLES["mobile_codes"]
#: First-touch tags (None: came without tags).
UTM: tuple[tuple[str, str, str] | None, ...] = _TABLES["utm"]
REFUND_REASONS: tuple[str, ...] = _TABLES["refund_reasons"]
NOTES: tuple[str, ...] = _TABLES["notes"]
TASKS_OVERDUE: tuple[str, ...] = _TABLES["tasks_overdue"]
TASKS_TODAY: tuple[str, ...] = _TABLES["tasks_today"]
TASKS_LATER: tuple[str, ...] = _TABLES["tasks_later"]


class DemoSeedError(ShopError):
    """The database is not ready for the demo CRM (or already has buyers)."""


@dataclass
class DemoReport:
    buyers: int = 0
    orders: int = 0
    refunds: int = 0
    managers: int = 0
    assigned: int = 0
    notes: int = 0
    tasks: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Profile:
    kind: str  # platinum, regular, drifting, lapsed, occasional, once, never
    amount: tuple[int, int]  # order goods amount range, roubles
    interval: int = 0  # days between orders (regulars)


#: One buyer in twenty of each kind, in a fixed order so any N ≥ 20 has every kind.
PATTERN = (
    ["platinum"] + ["regular"] * 6 + ["drifting"] * 2 + ["lapsed"] + ["occasional"] * 4 + ["once"] * 4 + ["never"] * 2
)


def has_buyers(session: Session) -> bool:
    return session.execute(select(func.count()).select_from(Buyer)).scalar_one() > 0


# --- identifiers ---------------------------------------------------------------------------------------------


def company_inn(rng: random.Random, region: str) -> str:
    """A 10-digit organisation INN of the region (tax office digits, number, check digit)."""
    from stdnum.ru.inn import calc_company_check_digit

    body = f"{region}{rng.randint(1, 40):02d}{rng.randint(0, 99999):05d}"
    return normalize_inn(body + calc_company_check_digit(body))


def personal_inn(rng: random.Random, region: str) -> str:
    """A 12-digit sole proprietor's INN (two check digits)."""
    from stdnum.ru.inn import calc_personal_check_digits

    body = f"{region}{rng.randint(1, 40):02d}{rng.randint(0, 999999):06d}"
    return normalize_inn(body + calc_personal_check_digits(body))


def ogrn(rng: random.Random, region: str, proprietor: bool) -> str:
    """OGRN (13 digits) or OGRNIP (15 digits) registered in the region, with its check digit."""
    from stdnum.ru.ogrn import calc_check_digit

    while True:
        year = rng.randint(5, 23)
        if proprietor:
            body = f"3{year:02d}{region}{rng.randint(0, 999999999):09d}"
        else:
            body = f"1{year:02d}{region}{rng.randint(10, 99)}{rng.randint(0, 99999):05d}"
        check = calc_check_digit(body + "0")  # it reads all but the last digit
        if len(check) == 1:  # an OGRNIP whose remainder mod 13 is 10–12 has no valid check digit in stdnum
            return normalize_ogrn(body + check)


def mobile_phone(rng: random.Random) -> str:
    return normalize_phone(f"+7{rng.choice(MOBILE_CODES)}{rng.randint(0, 9_999_999):07d}")


# --- building ------------------------------------------------------------------------------------------------


def _profile(rng: random.Random, kind: str) -> _Profile:
    if kind == "platinum":
        return _Profile(kind, (700_000, 1_300_000), rng.randint(40, 70))
    if kind in {"regular", "drifting", "lapsed"}:
        return _Profile(kind, (160_000, 420_000), rng.randint(60, 120))
    if kind == "occasional":
        return _Profile(kind, (40_000, 180_000))
    return _Profile(kind, (30_000, 250_000))


def _order_days(rng: random.Random, profile: _Profile) -> list[float]:
    """Days before ``now`` of each paid order, oldest first."""
    if profile.kind == "never":
        return []
    if profile.kind == "once":
        return [rng.uniform(3, HISTORY_DAYS)]
    if profile.kind == "occasional":
        return sorted((rng.uniform(3, HISTORY_DAYS) for _ in range(rng.randint(2, 4))), reverse=True)
    interval = profile.interval
    # How long ago the last order was, in intervals: recent (active or due), past the expected date, or long gone.
    gap = {"drifting": rng.uniform(1.25, 1.8), "lapsed": rng.uniform(2.3, 4.0)}.get(
        profile.kind, rng.uniform(0.05, 0.9)
    )
    start = rng.uniform(300, HISTORY_DAYS)
    days, day = [], gap * interval
    while day <= start:
        days.append(day)
        day += interval * rng.uniform(0.85, 1.15)
    return sorted(days or [gap * interval], reverse=True)


@dataclass
class _Catalogue:
    products: list[Product]
    by_category: dict[int, list[Product]]
    methods: list[ShippingMethod]
    tiers: list[Tier]  # by threshold


def _load_catalogue(session: Session) -> _Catalogue:
    products = list(
        session.scalars(
            select(Product)
            .where(Product.status == ProductStatus.ACTIVE, Product.price_rub_from.is_not(None))
            .options(selectinload(Product.price_breaks), selectinload(Product.supplier))
            .order_by(Product.id)
            .limit(PRODUCT_POOL)
        )
    )
    products = [product for product in products if product.price_breaks]
    by_category: dict[int, list[Product]] = {}
    for product in products:
        by_category.setdefault(product.category_id, []).append(product)
    methods = list(
        session.scalars(
            select(ShippingMethod)
            .where(ShippingMethod.is_active.is_(True))
            .options(selectinload(ShippingMethod.rates))
            .order_by(ShippingMethod.position, ShippingMethod.id)
        )
    )
    tiers = sorted(session.scalars(select(Tier)), key=lambda tier: (tier.threshold_amount, tier.id))
    return _Catalogue(products, by_category, methods, tiers)


def _nice_quantity(raw: float, minimum: int) -> int:
    step = 100 if raw >= 2000 else 50 if raw >= 500 else 10 if raw >= 50 else 1
    return max(minimum, int(round(raw / step)) * step, 1)


#: (kind, from, to, when, note, amount) of one order history row.
HistoryStep = tuple[str, str | None, str, datetime, str, Decimal | None]


@dataclass
class _OrderRows:
    order: dict[str, Any]
    lines: list[dict[str, Any]]
    history: list[HistoryStep]
    payment: dict[str, Any]
    refund: dict[str, Any] | None


class _Builder:
    """Builds buyers and orders (not yet flushed) from one random stream."""

    def __init__(self, session: Session, rng: random.Random, now: datetime, catalogue: _Catalogue) -> None:
        self.session, self.rng, self.now, self.catalogue = session, rng, now, catalogue
        self.pricing = current_pricing(session)
        self.fx = {code: str(rate) for code, rate in self.pricing.rates.items() if code != "RUB"}
        self.emails: set[str] = set()
        self.by_id = {product.id: product for product in catalogue.products}
        self.orders: list[_OrderRows] = []

    def _email(self, local: str, domain: str) -> str:
        base = make_slug(local, fallback="buyer").replace("-", ".")
        email, n = f"{base}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{base}{n}@{domain}"
        self.emails.add(email)
        return email

    def buyer(self, index: int, profile: _Profile, order_days: list[float]) -> Buyer:
        rng = self.rng
        male = rng.random() < 0.55
        first = rng.choice(MALE if male else FEMALE)
        surname = rng.choice(SURNAMES) + ("" if male else "а")
        patronymic = rng.choice(PATRONYMIC_ROOTS) + ("ич" if male else "на")
        region, city, postcode, streets, _weight = rng.choices(PLACES, weights=[place[4] for place in PLACES])[0]
        street = f"{rng.choice(streets)}, д. {rng.randint(1, 150)}"
        phone = mobile_phone(rng)
        # Companies buy more: every large regular and most regulars are companies.
        company = rng.random() < {"platinum": 1.0, "regular": 0.8, "drifting": 0.7, "lapsed": 0.6}.get(
            profile.kind, 0.35
        )
        first_day = order_days[0] if order_days else rng.uniform(1, HISTORY_DAYS)
        registered = self.now - timedelta(days=first_day + rng.uniform(0.02, 20))
        buyer = Buyer(
            name=f"{first} {surname}",
            phone=phone,
            kind=BuyerKind.PERSON,
            created_at=registered,
            updated_at=registered,
            last_login_at=self.now - timedelta(days=rng.uniform(0, min(first_day, 60)) if order_days else first_day),
        )
        if company:
            form = rng.choice(COMPANY_FORMS)
            buyer.kind = BuyerKind.COMPANY
            if form == "ИП":
                buyer.company_name = f"ИП {surname} {first[0]}. {patronymic[0]}."
                buyer.inn = personal_inn(rng, region)
                buyer.ogrn = ogrn(rng, region, proprietor=True)
                local = f"ip {surname}"
            else:
                brand = rng.choice(COMPANY_WORDS)
                buyer.company_name = f"{form} «{brand}»"
                buyer.inn = company_inn(rng, region)
                buyer.kpp = f"{buyer.inn[:4]}01001"
                buyer.ogrn = ogrn(rng, region, proprietor=False)
                local = f"{brand} {first}"
            buyer.legal_address = f"{postcode}{rng.randint(0, 999):03d}, г. {city}, {street}, оф. {rng.randint(1, 40)}"
            buyer.email = self._email(local, "opt.demo.test")
        else:
            buyer.email = self._email(f"{first} {surname}", "demo.test")
        tags = rng.choice(UTM)
        if tags is not None:
            buyer.first_utm_source, buyer.first_utm_medium, buyer.first_utm_campaign = tags
        buyer.addresses.append(
            Address(
                region_code=region,
                city=city,
                postcode=f"{postcode}{rng.randint(0, 999):03d}",
                street=street,
                recipient=f"{surname} {first}",
                phone=phone,
                created_at=registered,
                updated_at=registered,
            )
        )
        consents = [ConsentKind.PERSONAL_DATA] + ([ConsentKind.MARKETING] if rng.random() < 0.85 else [])
        for kind in consents:
            withdrawn = kind == ConsentKind.MARKETING and rng.random() < 0.04
            address = f"10.{index % 250}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            marketing = kind == ConsentKind.MARKETING
            buyer.consents.append(
                Consent(
                    email=buyer.email,
                    kind=kind,
                    text_version=VERSIONS[kind],
                    granted_at=registered,
                    source_page="/account/register",
                    ip_address=address,
                    withdrawn_at=registered + timedelta(days=rng.uniform(10, 200)) if withdrawn else None,
                    # Demo subscribers confirmed their address (double opt-in) the moment they subscribed.
                    confirmed_at=registered if marketing else None,
                    confirmed_ip=address if marketing else None,
                )
            )
        return buyer

    def orders_for(self, buyer: Buyer, profile: _Profile, order_days: list[float]) -> None:
        """Rows (plain dicts, inserted in bulk by ``write``) for the buyer's paid orders."""
        rng, catalogue = self.rng, self.catalogue
        categories = sorted(catalogue.by_category)
        favourites = rng.sample(categories, k=min(len(categories), rng.randint(1, 3)))
        basket = sorted(
            {rng.choice(catalogue.by_category[category]).id: None for category in favourites for _ in range(3)}
        )
        address = buyer.addresses[0]
        zone = zone_for(address.region_code)
        quotable = [m for m in catalogue.methods if any(rate.zone == zone for rate in m.rates)]
        method = rng.choice(quotable) if quotable else None
        paid: list[tuple[datetime, Decimal]] = []
        for days in order_days:
            paid_at = self._working_hours(self.now - timedelta(days=days))
            # The tier at the time: the 12-month spend of the earlier payments (what checkout would have priced).
            spend = sum((amount for at, amount in paid if at > paid_at - timedelta(days=365)), Decimal(0))
            tier = next((t for t in reversed(catalogue.tiers) if t.threshold_amount <= spend), None)
            chosen = rng.sample(basket, k=min(len(basket), rng.randint(2, 5)))
            if rng.random() < 0.3:  # now and then something new
                chosen.append(rng.choice(catalogue.products).id)
            target = Decimal(rng.randint(*profile.amount))
            lines = [self._line(self.by_id[product_id], target / len(chosen)) for product_id in dict.fromkeys(chosen)]
            line_amounts = [line["line_amount"] for line in lines]
            goods = sum(line_amounts, Decimal(0))
            weight = sum(line["weight_grams"] for line in lines)
            free = bool(tier and tier.free_shipping)
            quote = quote_method(method, zone, weight, goods, free) if method else None
            totals = compute_totals(
                line_amounts,
                tier_discount_bp=tier.discount_bp if tier else 0,
                shipping=quote.amount if quote else Decimal(0),
            )
            placed = paid_at - timedelta(minutes=rng.randint(3, 240))
            order: dict[str, Any] = {
                "placement_token": uuid.UUID(int=rng.getrandbits(128)).hex,
                "buyer_id": buyer.id, "status": OrderStatus.NEW, "payment_status": PaymentStatus.PAID,
                "email": buyer.email, "phone": buyer.phone,
                "contact_name": buyer.name, "buyer_kind": str(buyer.kind), "company_name": buyer.company_name,
                "inn": buyer.inn, "kpp": buyer.kpp, "ogrn": buyer.ogrn, "legal_address": buyer.legal_address,
                "region_code": address.region_code, "city": address.city, "postcode": address.postcode,
                "street": address.street, "recipient": address.recipient, "recipient_phone": address.phone,
                "shipping_method_id": quote.method_id if quote else None,
                "shipping_method_name": quote.name if quote else "СДЭК",
                "shipping_min_days": quote.min_days if quote else 10,
                "shipping_max_days": quote.max_days if quote else 18,
                "currency": "RUB", "subtotal_amount": totals.subtotal, "tier_code": tier.code if tier else None,
                "tier_discount_bp": tier.discount_bp if tier else 0, "tier_discount_amount": totals.tier_discount,
                "promo_discount_amount": totals.promo_discount, "shipping_amount": totals.shipping,
                "total_amount": totals.total, "vat_amount": totals.vat, "fx_rates": self.fx,
                "expires_at": placed + timedelta(hours=24), "paid_at": paid_at, "delivered_at": None,
                "completed_at": None, "confirmed_at": None, "shipped_at": None, "created_at": placed,
                "updated_at": paid_at,
            }  # fmt: skip
            history = self._history(order, placed, paid_at, days)
            refund = None
            if days > 20 and rng.random() < 0.06:
                share = Decimal(rng.randint(5, 25)) / 100
                refunded_at = paid_at + timedelta(days=rng.uniform(12, min(days - 1, 30)))
                reason = rng.choice(REFUND_REASONS)
                refund = {
                    "idempotence_key": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "yookassa_refund_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "status": RefundState.SUCCEEDED, "amount": (totals.total * share).quantize(KOPECK),
                    "currency": "RUB", "description": reason, "created_at": refunded_at, "updated_at": refunded_at,
                }  # fmt: skip
                history.append(
                    (HistoryKind.PAYMENT, PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, refunded_at, reason,
                     Decimal(str(refund["amount"])))
                )  # fmt: skip
                order["payment_status"] = PaymentStatus.PARTIALLY_REFUNDED
            payment = {
                "idempotence_key": uuid.UUID(int=rng.getrandbits(128)).hex,
                "yookassa_payment_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "status": AttemptStatus.SUCCEEDED, "amount": totals.total, "currency": "RUB", "capture": True,
                "receipt": {}, "succeeded_at": paid_at, "created_at": placed, "updated_at": paid_at,
            }  # fmt: skip
            self.orders.append(_OrderRows(order, lines, history, payment, refund))
            paid.append((paid_at, totals.total))

    def _working_hours(self, moment: datetime) -> datetime:
        """The same Moscow day at a time a buyer's accountant pays (9:00–19:59), never later than now."""
        day = to_moscow(moment).date()
        at = moscow_to_utc(datetime.combine(day, clock(self.rng.randint(9, 19), self.rng.randint(0, 59))))
        return min(at, self.now - timedelta(hours=1))

    def _line(self, product: Product, target: Decimal) -> dict[str, Any]:
        assert product.price_rub_from is not None  # the catalogue holds priced products only
        breaks = sorted(product.price_breaks, key=lambda b: b.min_quantity)
        quantity = _nice_quantity(float(target / product.price_rub_from), max(product.moq, breaks[0].min_quantity))
        quantity = min(quantity, 100_000)
        unit = self.pricing.to_rub(break_for_quantity(breaks, quantity).unit_price, product.currency)
        return {
            "product_id": product.id, "supplier_id": product.supplier_id, "sku": product.sku,
            "title": product.title[:500], "quantity": quantity, "unit_price": unit, "line_amount": unit * quantity,
            "vat_rate_bp": VAT_RATE_BP, "commission_bp": product.supplier.commission_bp,
            "weight_grams": product.weight_grams * quantity,
        }  # fmt: skip

    def _history(
        self, order: dict[str, object], placed: datetime, paid_at: datetime, days_ago: float
    ) -> list[HistoryStep]:
        """Placed, paid, then confirmed → packed → shipped → delivered → completed as far as the order's age
        allows (recent orders wait on the order desk)."""
        total = Decimal(str(order["total_amount"]))
        steps: list[HistoryStep] = [
            (HistoryKind.FULFILMENT, None, OrderStatus.NEW, placed, "placed", None),
            (HistoryKind.PAYMENT, PaymentStatus.UNPAID, PaymentStatus.PAID, paid_at, "", total),
        ]
        status = OrderStatus.NEW
        stamps = {OrderStatus.CONFIRMED: "confirmed_at", OrderStatus.SHIPPED: "shipped_at",
                  OrderStatus.DELIVERED: "delivered_at", OrderStatus.COMPLETED: "completed_at"}  # fmt: skip
        for after, to in (
            (1, OrderStatus.CONFIRMED),
            (2, OrderStatus.PACKED),
            (3, OrderStatus.SHIPPED),
            (16, OrderStatus.DELIVERED),
            (26, OrderStatus.COMPLETED),
        ):
            if days_ago <= after:
                break
            at = paid_at + timedelta(days=after - self.rng.uniform(0, 1))
            steps.append((HistoryKind.FULFILMENT, status, to, at, "", None))
            status = to
            if to in stamps:
                order[stamps[to]] = at
        order["status"] = status
        return steps

    def write(self) -> int:
        """Insert the orders with their lines, history, payments and refunds (a few executemany statements);
        returns the number of refunds."""
        session = self.session
        ids = session.scalars(
            insert(Order).returning(Order.id, sort_by_parameter_order=True), [rows.order for rows in self.orders]
        ).all()
        numbers = {}
        lines, history, payments = [], [], []
        for order_id, rows in zip(ids, self.orders, strict=True):
            number = format_number(order_id, rows.order["created_at"].year)
            numbers[order_id] = number
            lines += [{**line, "order_id": order_id} for line in rows.lines]
            history += [
                {"order_id": order_id, "kind": kind, "from_status": before, "to_status": after, "note": note,
                 "amount": amount, "reference": "", "staff_id": None, "created_at": at}
                for kind, before, after, at, note, amount in rows.history
            ]  # fmt: skip
            payments.append(
                {**rows.payment, "order_id": order_id, "description": f"Оплата заказа {number}",
                 "return_url": f"/orders/{number}"}
            )  # fmt: skip
        session.execute(update(Order), [{"id": order_id, "number": number} for order_id, number in numbers.items()])
        session.execute(insert(OrderLine), lines)
        session.execute(insert(OrderStatusChange), history)
        payment_ids = session.scalars(
            insert(Payment).returning(Payment.id, sort_by_parameter_order=True), payments
        ).all()
        refunds = [
            {**rows.refund, "payment_id": payment_id, "order_id": order_id}
            for order_id, payment_id, rows in zip(ids, payment_ids, self.orders, strict=True)
            if rows.refund is not None
        ]
        if refunds:
            session.execute(insert(Refund), refunds)
        return len(refunds)


# --- the use case --------------------------------------------------------------------------------------------


def check_ready(session: Session, buyers: int, manager_password: str) -> None:
    """``DemoSeedError`` (Russian message) when the seed cannot run; nothing is written."""
    from flask_babel import gettext as _

    if buyers < 1:
        raise DemoSeedError(_("The number of buyers must be at least 1."))
    if len(manager_password) < MIN_PASSWORD_LENGTH:
        raise DemoSeedError(
            _("The managers' password is too short: use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH)
        )
    if has_buyers(session):
        raise DemoSeedError(_("There are buyers already. Demo buyers are only added to a database without buyers."))
    if not session.scalar(select(func.count()).select_from(Tier)):
        raise DemoSeedError(_("There are no tiers: run flask --app wsgi crm seed-tiers first."))
    if not session.scalar(select(func.count()).select_from(Product).where(Product.price_rub_from.is_not(None))):
        raise DemoSeedError(_("The catalogue has no priced products: run flask --app wsgi seed-demo first."))


def seed_demo_buyers(
    session: Session,
    buyers: int = DEFAULT_BUYERS,
    *,
    manager_password: str,
    reorder_policy: ReorderPolicy,
    now: datetime | None = None,
    seed: int = SEED,
) -> DemoReport:
    """Add ``buyers`` demo buyers with their orders, the demo managers, notes and tasks. Commits.

    Same ``buyers``, ``seed`` and ``now`` → the same data. Raises ``DemoSeedError`` before writing anything when
    the database is not ready (``check_ready``).
    """
    started = time.perf_counter()
    now = now or utcnow()
    check_ready(session, buyers, manager_password)
    seed_shipping_methods(session)  # orders need carriers; adds only the missing ones
    rng = random.Random(seed)
    builder = _Builder(session, rng, now, _load_catalogue(session))
    report = DemoReport()

    plan = []
    for index in range(buyers):
        profile = _profile(rng, PATTERN[index % len(PATTERN)])
        days = _order_days(rng, profile)
        buyer = builder.buyer(index, profile, days)
        plan.append((buyer, profile, days))
    session.add_all([buyer for buyer, _, _ in plan])
    session.flush()  # buyer ids for the orders
    for buyer, profile, days in plan:
        builder.orders_for(buyer, profile, days)
    report.refunds = builder.write()
    session.commit()
    report.buyers, report.orders = buyers, len(builder.orders)

    # The real recalculations fill tiers, profiles, statistics and statuses as of ``now``.
    recalc_tiers(session, now)
    recalc_reorders(session, now, policy=reorder_policy)

    managers = _managers(session, manager_password)
    report.managers = len(managers)
    report.assigned = _assign(session, managers)
    report.notes, report.tasks = _notes_and_tasks(session, rng, now, managers)
    session.commit()
    report.tiers = dict(
        Counter(
            name
            for name in session.scalars(
                select(Tier.name).join(Buyer, Buyer.tier_id == Tier.id).order_by(Tier.threshold_amount)
            )
        )
    )
    report.seconds = time.perf_counter() - started
    return report


def _managers(session: Session, password: str) -> list[StaffUser]:
    managers = []
    for email, name in MANAGERS:
        staff = find_staff(session, email)
        if staff is None:
            staff = create_staff(session, email=email, role=Role.ACCOUNT_MANAGER, password=password, name=name)
        if staff.role == Role.ACCOUNT_MANAGER and staff.is_active:
            managers.append(staff)
    return managers


def _assign(session: Session, managers: list[StaffUser]) -> int:
    """Buyers whose tier comes with a dedicated manager, round robin; the first two of the lowest such tier are
    left unassigned, so «VIP без менеджера» has something to show."""
    if not managers:
        return 0
    rows = session.execute(
        select(Buyer.id, Tier.threshold_amount)
        .join(Tier, Tier.id == Buyer.tier_id)
        .where(Tier.dedicated_manager.is_(True))
        .order_by(Buyer.id)
    ).all()
    if not rows:
        return 0
    lowest = min(threshold for _, threshold in rows)
    left_out = [buyer_id for buyer_id, threshold in rows if threshold == lowest][:2]
    chosen = [buyer_id for buyer_id, _ in rows if buyer_id not in left_out]
    for position, manager in enumerate(managers):
        assign_managers(session, chosen[position :: len(managers)], manager.id)
    return len(chosen)


def _notes_and_tasks(session: Session, rng: random.Random, now: datetime, managers: list[StaffUser]) -> tuple[int, int]:
    """A few notes on managed buyers; per manager an overdue task, two due today (Moscow) and one later."""
    from crm.buyers.models import BuyerProfile

    notes = tasks = 0
    today = to_moscow(now).date()
    for manager in managers:
        buyer_ids = list(
            session.scalars(
                select(BuyerProfile.buyer_id)
                .where(BuyerProfile.manager_id == manager.id)
                .order_by(BuyerProfile.buyer_id)
            )
        )
        if not buyer_ids:
            continue
        for buyer_id in buyer_ids[::2]:
            note = add_note(session, buyer_id=buyer_id, author_id=manager.id, body=rng.choice(NOTES))
            note.created_at = now - timedelta(days=rng.uniform(1, 90))
            notes += 1
        due = [
            (
                rng.choice(TASKS_OVERDUE),
                moscow_to_utc(datetime.combine(today - timedelta(days=rng.randint(1, 4)), clock(11))),
            ),
            (TASKS_TODAY[0], moscow_to_utc(datetime.combine(today, clock(12)))),
            (TASKS_TODAY[1], moscow_to_utc(datetime.combine(today, clock(17)))),
            (
                rng.choice(TASKS_LATER),
                moscow_to_utc(datetime.combine(today + timedelta(days=rng.randint(3, 10)), clock(10))),
            ),
        ]
        for (title, due_at), buyer_id in zip(due, rng.sample(buyer_ids * 4, k=len(due)), strict=False):
            open_task(session, buyer_id=buyer_id, title=title, due_at=due_at, assignee_id=manager.id,
                      created_by_id=manager.id)  # fmt: skip
            tasks += 1
    session.flush()
    return notes, tasks


# --- the demo buyer's sign-in ----------------------------------------------------------------------------------


def demo_buyer_login(session: Session, email: str, password: str) -> Buyer:
    """Give one demo buyer with paid orders the sign-in ``email`` / ``password`` (and a Telegram and WhatsApp, so the
    card shows every contact link). Picks a managed buyer below the top tier with the most paid orders, so their
    account page has a next tier to show. Idempotent: a buyer who already signs in with ``email`` is returned as is.
    Flushes; the caller commits. ``DemoSeedError`` when there is no demo buyer with orders yet."""
    from flask_babel import gettext as _

    from crm.buyers.models import BuyerProfile
    from storefront.account.services import hash_password

    existing = session.scalar(select(Buyer).where(Buyer.email == email))
    if existing is not None:
        return existing
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DemoSeedError(_("The password is too short: use at least %(num)s characters.", num=MIN_PASSWORD_LENGTH))
    top = session.scalar(select(func.max(Tier.threshold_amount)))
    paid = func.count(Order.id)
    chosen = session.scalar(
        select(Buyer)
        .join(Order, Order.buyer_id == Buyer.id)
        .join(Tier, Tier.id == Buyer.tier_id)
        .outerjoin(BuyerProfile, BuyerProfile.buyer_id == Buyer.id)
        .where(Order.paid_at.is_not(None), Tier.threshold_amount < top, Buyer.erased_at.is_(None))
        .group_by(Buyer.id, BuyerProfile.manager_id)
        .order_by(BuyerProfile.manager_id.is_(None), paid.desc(), Buyer.id)
        .limit(1)
    )
    if chosen is None:
        raise DemoSeedError(_("There are no demo buyers with orders: run flask --app wsgi crm seed-demo-buyers first."))
    session.execute(update(Consent).where(Consent.buyer_id == chosen.id).values(email=email))
    chosen.email = email
    chosen.password_hash = hash_password(password)
    chosen.telegram = "mostik_demo_buyer"
    chosen.whatsapp = chosen.phone
    session.flush()
    return chosen
