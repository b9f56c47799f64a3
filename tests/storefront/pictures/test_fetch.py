"""The guarded downloader against a real HTTP server on 127.0.0.1: what it brings back and what it refuses."""

from __future__ import annotations

import time

import pytest

from storefront.pictures.fetch import FetchError, FetchLimits, fetch, is_public, resolve
from tests.storefront.pictures.conftest import TIMEOUT, Route


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.10.0.5",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::",
    ],
)
def test_internal_and_special_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "77.88.55.242", "2a00:1450:4010:c05::8b"])
def test_internet_addresses_are_public(address):
    assert is_public(address)


def test_a_host_resolving_to_loopback_is_refused_unless_allowed():
    with pytest.raises(FetchError) as refused:
        resolve("localhost", 8080)
    assert refused.value.reason == "internal_address" and not refused.value.retry
    assert resolve("localhost", 8080, {"localhost:8080"}) in ("127.0.0.1", "::1")
    with pytest.raises(FetchError):
        resolve("localhost", 8081, {"localhost:8080"})  # another port of an allowed host is not allowed


@pytest.mark.parametrize("name", ["good.jpg", "good.png", "good.webp", "anim.gif"])
def test_an_allowed_server_s_picture_is_downloaded(picture_server, limits, picture_bytes, name):
    kind = {"good.jpg": "jpeg", "good.png": "png", "good.webp": "webp", "anim.gif": "gif"}[name]
    assert fetch(picture_server.url(f"/{name}"), limits) == picture_bytes[kind]


def test_without_the_allow_list_even_the_test_server_is_refused(picture_server):
    with pytest.raises(FetchError) as refused:
        fetch(picture_server.url("/good.png"), FetchLimits(timeout=TIMEOUT))
    assert refused.value.reason == "internal_address"
    assert picture_server.hits.get("/good.png") is None  # refused before connecting


def test_a_redirect_is_followed_and_checked(picture_server, limits, picture_bytes):
    assert fetch(picture_server.url("/to-good"), limits) == picture_bytes["png"]


def test_a_redirect_to_a_loopback_server_outside_the_allow_list_is_refused(
    picture_server, internal_server, limits, route
):
    url = route("/to-loopback", Route(status=302, headers={"Location": internal_server.url("/secret.png")}))
    with pytest.raises(FetchError) as refused:
        fetch(url, limits)
    assert refused.value.reason == "internal_address" and not refused.value.retry
    assert internal_server.hits == {}  # never connected
    # … and by name: «localhost» on that port resolves to loopback too.
    url = route(
        "/to-localhost",
        Route(status=307, headers={"Location": f"http://localhost:{internal_server.port}/secret.png"}),
    )
    with pytest.raises(FetchError, match="internal_address"):
        fetch(url, limits)
    assert internal_server.hits == {}


@pytest.mark.parametrize("path", ["/to-metadata", "/to-private"])
def test_a_redirect_to_a_private_or_link_local_address_is_refused(picture_server, limits, path):
    with pytest.raises(FetchError) as refused:
        fetch(picture_server.url(path), limits)
    assert refused.value.reason == "internal_address"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a.jpg", "file:///etc/passwd", "gopher://example.com/", "data:image/png;base64,AAAA"]
)
def test_only_http_and_https_are_fetched(url, limits):
    with pytest.raises(FetchError) as refused:
        fetch(url, limits)
    assert refused.value.reason == "scheme" and not refused.value.retry


def test_a_redirect_to_another_scheme_is_refused(picture_server, limits):
    with pytest.raises(FetchError, match="scheme"):
        fetch(picture_server.url("/to-file"), limits)


def test_redirects_stop_after_the_limit(picture_server, limits):
    with pytest.raises(FetchError, match="too_many_redirects"):
        fetch(picture_server.url("/loop"), limits)
    assert picture_server.hits["/loop"] == limits.max_redirects + 1


@pytest.mark.parametrize("path", ["/huge.jpg", "/huge-unsized.jpg"])
def test_a_body_over_the_cap_is_refused_while_streaming(picture_server, limits, path):
    with pytest.raises(FetchError) as refused:
        fetch(picture_server.url(path), limits)
    assert refused.value.reason == "too_large" and not refused.value.retry


def test_a_slow_server_times_out(picture_server, limits):
    started = time.monotonic()
    with pytest.raises(FetchError) as refused:
        fetch(picture_server.url("/slow.jpg"), limits)
    assert refused.value.reason == "timeout" and refused.value.retry
    assert time.monotonic() - started < TIMEOUT * 3


def test_error_statuses_say_whether_a_retry_may_help(picture_server, limits):
    with pytest.raises(FetchError) as server_error:
        fetch(picture_server.url("/broken.jpg"), limits)
    assert server_error.value.reason == "http_status" and server_error.value.retry
    with pytest.raises(FetchError) as missing:
        fetch(picture_server.url("/missing.jpg"), limits)
    assert missing.value.detail == "404" and not missing.value.retry


def test_an_unresolvable_host_is_retried_later(limits):
    with pytest.raises(FetchError) as refused:
        fetch("http://no-such-host.invalid/a.jpg", limits)
    assert refused.value.reason == "dns" and refused.value.retry


@pytest.fixture
def tls_server(picture_bytes, tmp_path):
    """The picture server behind TLS with a self-signed certificate for «localhost» (made by openssl)."""
    import shutil
    import ssl
    import subprocess

    from tests.storefront.pictures.conftest import PictureServer

    if shutil.which("openssl") is None:
        pytest.skip("openssl is missing")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    with PictureServer() as server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
        server.routes["/good.png"] = Route(body=picture_bytes["png"], content_type="image/png")
        yield server


def test_https_checks_the_certificate_of_the_url_s_host(tls_server):
    limits = FetchLimits(timeout=TIMEOUT * 4, allowed_private=frozenset({f"localhost:{tls_server.port}"}))
    with pytest.raises(FetchError) as refused:
        fetch(f"https://localhost:{tls_server.port}/good.png", limits)
    assert refused.value.reason == "connection" and refused.value.detail == "SSLError"  # self-signed: not trusted
