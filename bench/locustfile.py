"""What the load test's users do (``python -m bench.load`` runs it; ``locust -f bench/locustfile.py`` by hand).

Buyers browse the home page and categories, search (the labelled everyday queries of ``bench/search_queries.tsv``),
open products, add to the cart, check out as guests and pay through the YooKassa stand-in (its control endpoint
plays the card holder; the stand-in then notifies the shop, as YooKassa would). Staff sign in to the CRM and open
the order and buyer lists, an order and a buyer card. Every step is named, so the report has a p95 per step.

The load generator plays the TLS-terminating proxy: production cookies are ``Secure``, and it sends them back over
loopback HTTP (``behind_the_proxy``).
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

BENCH_DIR = Path(__file__).resolve().parent
QUERIES = [
    line.split("\t", 1)[0]
    for line in (BENCH_DIR / "search_queries.tsv").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PLACEMENT = re.compile(r'name="placement_token"[^>]*value="([^"]+)"')
FINGERPRINT = re.compile(r'name="cart_fingerprint"[^>]*value="([^"]*)"')
PRODUCT_LINK = re.compile(r'href="(/product/\d+-[^"]+)"')
CATEGORY_LINK = re.compile(r'href="(/catalog/[^"?#]+)"')
ORDER_LINK = re.compile(r'href="(/crm/orders/MK-[^"?]+)"')
BUYER_LINK = re.compile(r'href="(/crm/buyers/\d+)"')
STANDIN = os.environ.get("LOAD_STANDIN_URL", "http://127.0.0.1:8765")
STAFF = [
    (os.environ.get("LOAD_STAFF_EMAIL", "admin@mostik.local"), os.environ.get("LOAD_STAFF_PASSWORD", "")),
]
GUEST = {
    "name": "Анна Смирнова",
    "phone": "+7 916 123-45-67",
    "kind": "person",
    "region_code": "78",
    "city": "Санкт-Петербург",
    "postcode": "191186",
    "street": "Невский пр., д. 1, кв. 5",
    "recipient": "Анна Смирнова",
    "recipient_phone": "+7 916 123-45-67",
    "consent_personal_data": "y",
    "pickup_point": "SPB41",
}


def behind_the_proxy(user: HttpUser) -> None:
    """Send ``Secure`` cookies over plain HTTP, as the proxy in front of the app would after TLS. (requests copies
    the jar into a fresh one for every request, so a cookie policy would not survive: the flag is cleared instead.)"""
    prepare = user.client.prepare_request

    def prepare_request(request):  # noqa: ANN001, ANN202
        for cookie in user.client.cookies:
            cookie.secure = False
        return prepare(request)

    user.client.prepare_request = prepare_request  # type: ignore[method-assign]


class Buyer(HttpUser):
    weight = 9
    wait_time = between(1, 3)

    def on_start(self) -> None:
        behind_the_proxy(self)
        self.products: list[str] = []
        self.categories: list[str] = []
        self.method_id = os.environ["LOAD_SHIPPING_METHOD_ID"]  # СДЭК to a pickup point (bench/load.py)
        self.home()

    @task(3)
    def home(self) -> None:
        page = self.client.get("/", name="home").text
        self.categories = CATEGORY_LINK.findall(page) or self.categories
        self.products = PRODUCT_LINK.findall(page) or self.products

    @task(4)
    def category(self) -> None:
        if self.categories:
            page = self.client.get(random.choice(self.categories), name="category").text
            self.products = PRODUCT_LINK.findall(page) or self.products

    @task(6)
    def search(self) -> None:
        page = self.client.get("/search", params={"q": random.choice(QUERIES)}, name="search").text
        self.products = PRODUCT_LINK.findall(page) or self.products

    @task(4)
    def product(self) -> None:
        if self.products:
            self.client.get(random.choice(self.products), name="product")

    @task(1)
    def buy(self) -> None:
        if not self.products:
            return
        product_page = self.client.get(random.choice(self.products), name="product").text
        product_id = re.search(r'name="product_id"[^>]*value="(\d+)"', product_page)
        csrf = CSRF.search(product_page)
        if not product_id or not csrf:
            return
        minimum = re.search(r'id="add-qty"[^>]*value="(\d+)"', product_page)
        quantity = minimum.group(1) if minimum else "1"
        self.client.post(
            "/cart/add",
            data={"csrf_token": csrf.group(1), "product_id": product_id.group(1), "quantity": quantity},
            name="cart add",
        )
        form = self.client.get("/checkout", name="checkout").text
        csrf, placement, fingerprint = (pattern.search(form) for pattern in (CSRF, PLACEMENT, FINGERPRINT))
        if not (csrf and placement and fingerprint):
            return
        with self.client.post(
            "/checkout",
            data={
                **GUEST,
                "email": f"load{random.randrange(10**9)}@example.ru",
                "csrf_token": csrf.group(1),
                "placement_token": placement.group(1),
                "cart_fingerprint": fingerprint.group(1),
                "shipping_method": self.method_id,
                "action": "place",
            },
            name="checkout place",
            allow_redirects=False,
            catch_response=True,
        ) as placed:
            if placed.status_code != 303:
                placed.failure(f"checkout answered {placed.status_code}")
                return
            order_url = placed.headers["Location"]
        number = re.search(r"/orders/([^/?]+)", order_url)
        token = re.search(r"[?&]t=([^&]+)", order_url)
        if not number:
            return
        query = f"?t={token.group(1)}" if token else ""
        started = self.client.get(f"/orders/{number.group(1)}/pay{query}", name="pay", allow_redirects=False)
        payment = re.search(r"/checkout/([\w-]+)", started.headers.get("Location", ""))
        if payment:  # the card holder pays on YooKassa's page; the stand-in notifies the shop
            self.client.post(f"{STANDIN}/_fake/payments/{payment.group(1)}/pay", json={}, name="stand-in pay")
        self.client.get(f"/orders/{number.group(1)}{query}", name="order page")


class Staff(HttpUser):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self) -> None:
        behind_the_proxy(self)
        email, password = random.choice(STAFF)
        page = self.client.get("/crm/login", name="crm login").text
        csrf = CSRF.search(page)
        self.client.post(
            "/crm/login",
            data={"csrf_token": csrf.group(1) if csrf else "", "email": email, "password": password},
            name="crm login",
        )

    @task(3)
    def orders(self) -> None:
        page = self.client.get("/crm/orders", name="crm orders").text
        links = ORDER_LINK.findall(page)
        if links:
            self.client.get(random.choice(links), name="crm order")

    @task(2)
    def buyers(self) -> None:
        page = self.client.get("/crm/buyers/", name="crm buyers").text
        links = BUYER_LINK.findall(page)
        if links:
            self.client.get(random.choice(links), name="crm buyer card")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/crm/", name="crm dashboard")
