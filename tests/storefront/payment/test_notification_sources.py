"""Only YooKassa's addresses may send notifications; X-Forwarded-For counts only behind our own proxy."""

import pytest
from flask import Flask

from storefront import payment
from storefront.config import load_config
from storefront.payment.notification_sources import NotificationSourcePolicy, parse_networks
from storefront.payment.yookassa import YooKassaGateway

#: YooKassa's published notification ranges (yookassa.md §4): the reference the default setting must equal.
YOOKASSA_NETWORKS = (
    "185.71.76.0/27",
    "185.71.77.0/27",
    "77.75.153.0/25",
    "77.75.156.11/32",
    "77.75.156.35/32",
    "77.75.154.128/25",
    "2a02:5180::/32",
)
published = NotificationSourcePolicy.from_config(YOOKASSA_NETWORKS)


@pytest.mark.parametrize(
    "address",
    [
        "185.71.76.1",
        "185.71.77.31",
        "77.75.153.127",
        "77.75.156.11",
        "77.75.156.35",
        "77.75.154.200",
        "2a02:5180:0:1509::1",
        "2a02:5180:ffff::1",  # inside the /32 but outside the SDK's four /64s
        "::ffff:185.71.76.5",  # IPv4-mapped IPv6 from a dual-stack socket
    ],
)
def test_published_yookassa_addresses_are_allowed(address):
    assert published.is_allowed(address)


@pytest.mark.parametrize(
    "address",
    [
        "185.71.76.32",
        "77.75.156.12",
        "127.0.0.1",
        "10.0.0.1",
        "2a02:5181::1",
        "::1",
        "",
        None,
        "not-an-ip",
        "185.71.76.1, 10.0.0.1",
    ],
)
def test_other_or_malformed_addresses_are_refused(address):
    assert not published.is_allowed(address)


def test_forwarded_for_is_ignored_without_a_trusted_proxy():
    assert not published.is_allowed("203.0.113.9", forwarded_for="185.71.76.1")


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_sender():
    policy = NotificationSourcePolicy.from_config(YOOKASSA_NETWORKS, "10.0.0.0/8")

    assert policy.is_allowed("10.0.0.2", forwarded_for="185.71.76.1")
    assert policy.is_allowed("10.0.0.2", forwarded_for="203.0.113.9, 185.71.76.1, 10.0.0.5")
    # A sender cannot smuggle an allowed address to the left of its own.
    assert not policy.is_allowed("10.0.0.2", forwarded_for="185.71.76.1, 203.0.113.9")
    assert not policy.is_allowed("10.0.0.2", forwarded_for="garbage")
    assert not policy.is_allowed("10.0.0.2", forwarded_for="10.0.0.3")
    assert not policy.is_allowed("10.0.0.2")  # the proxy itself is not YooKassa


def test_addresses_with_ports_are_understood():
    policy = NotificationSourcePolicy.from_config(YOOKASSA_NETWORKS, "127.0.0.1")

    assert policy.is_allowed("127.0.0.1", forwarded_for="185.71.76.1:51234")
    assert policy.is_allowed("127.0.0.1", forwarded_for="[2a02:5180::7]:443")


def test_tests_and_the_demo_can_allow_loopback():
    policy = NotificationSourcePolicy.from_config("127.0.0.1, ::1")

    assert policy.is_allowed("127.0.0.1")
    assert policy.is_allowed("::1")
    assert not policy.is_allowed("127.0.0.2")


def test_a_bad_network_in_the_configuration_is_named():
    with pytest.raises(ValueError, match="300.1.1.1"):
        parse_networks("185.71.76.0/27, 300.1.1.1")


def test_the_default_configuration_is_the_published_list(tmp_path, monkeypatch):
    monkeypatch.delenv("YOOKASSA_NOTIFICATION_NETWORKS", raising=False)
    config = load_config(tmp_path, {"MOSTIK_ENV": "testing", "SECRET_KEY": "x"})

    assert parse_networks(config["YOOKASSA_NOTIFICATION_NETWORKS"]) == parse_networks(YOOKASSA_NETWORKS)
    assert config["TRUSTED_PROXIES"] == ""
    assert config["YOOKASSA_TIMEOUT_SECONDS"] == 10.0


def test_the_payment_area_builds_its_gateway_and_allowlist_from_the_config():
    app = Flask(__name__)
    app.config.update(
        YOOKASSA_SHOP_ID="100500",
        YOOKASSA_SECRET_KEY="test_standin_secret_key",
        YOOKASSA_API_URL="http://127.0.0.1:8765/v3",
        YOOKASSA_TIMEOUT_SECONDS=3.0,
        YOOKASSA_NOTIFICATION_NETWORKS="127.0.0.1",
        TRUSTED_PROXIES="",
        ORDER_PAYING_GRACE_MINUTES=15,
    )

    payment.init_app(app)

    gateway = app.extensions["payment_gateway"]
    assert isinstance(gateway, YooKassaGateway)
    assert gateway.settings.timeout_seconds == 3.0
    assert app.extensions["notification_sources"].is_allowed("127.0.0.1")
    gateway.close()


def test_without_credentials_there_is_no_gateway():
    app = Flask(__name__)
    app.config.update(
        YOOKASSA_SHOP_ID=None,
        YOOKASSA_SECRET_KEY=None,
        YOOKASSA_NOTIFICATION_NETWORKS="127.0.0.1",
        TRUSTED_PROXIES="",
        ORDER_PAYING_GRACE_MINUTES=15,
    )

    payment.init_app(app)

    assert app.extensions["payment_gateway"] is None


def test_behind_our_proxy_limits_and_audit_see_the_client_and_the_scheme(tmp_path):
    """One list of proxies for everything: the WSGI layer puts the client's address and scheme in place."""
    import wsgi
    from tests.support.database import make_test_config

    app = wsgi.create_app(make_test_config("sqlite://", tmp_path, TRUSTED_PROXIES="10.0.0.0/8"))

    @app.get("/whoami")
    def whoami():
        from flask import request

        return f"{request.remote_addr} {request.scheme}"

    client = app.test_client()
    through_proxy = {"REMOTE_ADDR": "10.0.0.2"}
    headers = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"}
    answer = client.get("/whoami", headers=headers, environ_base=through_proxy).get_data(as_text=True)
    assert answer == "203.0.113.9 https"  # the hop our proxy saw; what the client wrote to its left is ignored
    direct = client.get("/whoami", headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert direct.get_data(as_text=True) == "198.51.100.4 http"  # not our proxy: its headers mean nothing
