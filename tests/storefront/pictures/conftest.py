"""A real HTTP server on 127.0.0.1 serving pictures, junk, redirects and slow answers to the downloader."""

from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from storefront.pictures.fetch import FetchLimits

#: The downloader's timeout in these tests; /slow waits longer than it.
TIMEOUT = 0.5
MAX_BYTES = 200_000


def jpeg_with_exif() -> bytes:
    """A 1200×600 JPEG whose EXIF says «rotate 90°» (orientation 6) and names a camera."""
    image = Image.new("RGB", (1200, 600), (200, 40, 40))
    image.paste((30, 30, 200), (0, 0, 600, 600))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x0110] = "Secret Camera"  # Model
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=85)
    return out.getvalue()


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (300, 500), (0, 0, 0, 0))
    image.paste((20, 160, 60, 255), (50, 50, 250, 450))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp_picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), (240, 200, 20)).save(out, "WEBP", quality=50)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (200, 200), colour) for colour in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A few bytes claiming a 10-gigapixel PNG: only the header is real."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "image/jpeg"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Send no Content-Length (the body ends when the connection closes).
    unsized: bool = False


class PictureServer:
    """``routes`` maps a path to what it answers; ``hits`` counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                route = server.routes.get(self.path, Route(status=404, body=b"not found", content_type="text/plain"))
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    for name, value in route.headers.items():
                        self.send_header(name, value.replace("{port}", str(server.port)))
                    if not route.unsized:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the downloader hung up (a body too large, a timeout)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="picture-server", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> PictureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def picture_bytes() -> dict[str, bytes]:
    return {
        "jpeg": jpeg_with_exif(),
        "png": png_with_alpha(),
        "webp": webp_picture(),
        "gif": animated_gif(),
        "bomb": png_bomb(),
    }


@pytest.fixture
def picture_server(picture_bytes: dict[str, bytes]) -> Iterator[PictureServer]:
    """The allowed server: good pictures and every kind of bad answer."""
    with PictureServer() as server:
        server.routes.update(
            {
                "/good.jpg": Route(body=picture_bytes["jpeg"]),
                "/good.png": Route(body=picture_bytes["png"], content_type="image/png"),
                "/good.webp": Route(body=picture_bytes["webp"], content_type="image/webp"),
                "/anim.gif": Route(body=picture_bytes["gif"], content_type="image/gif"),
                "/bomb.png": Route(body=picture_bytes["bomb"], content_type="image/png"),
                "/page.html": Route(body=b"<html><body>no picture here</body></html>" * 20, content_type="text/html"),
                "/huge.jpg": Route(body=b"\xff" * (MAX_BYTES * 3)),
                "/huge-unsized.jpg": Route(body=b"\xff" * (MAX_BYTES * 3), unsized=True),
                "/slow.jpg": Route(body=picture_bytes["jpeg"], delay=TIMEOUT * 4),
                "/broken.jpg": Route(status=500, body=b"oops", content_type="text/plain"),
                "/to-good": Route(status=302, headers={"Location": "/good.png"}),
                "/loop": Route(status=302, headers={"Location": "/loop"}),
                "/to-metadata": Route(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
                "/to-private": Route(status=301, headers={"Location": "http://10.1.2.3/secret.jpg"}),
                "/to-file": Route(status=302, headers={"Location": "file:///etc/passwd"}),
            }
        )
        yield server


@pytest.fixture
def internal_server(picture_bytes: dict[str, bytes]) -> Iterator[PictureServer]:
    """A second loopback server NOT in the allow-list, serving a real picture: only the address check keeps
    the downloader away from it."""
    with PictureServer() as server:
        server.routes["/secret.png"] = Route(body=picture_bytes["png"], content_type="image/png")
        yield server


@pytest.fixture
def limits(picture_server: PictureServer) -> FetchLimits:
    return FetchLimits(
        max_bytes=MAX_BYTES,
        timeout=TIMEOUT,
        max_redirects=3,
        allowed_private=frozenset({f"127.0.0.1:{picture_server.port}"}),
    )


@pytest.fixture
def route(picture_server: PictureServer) -> Callable[[str, Route], str]:
    def add(path: str, answer: Route) -> str:
        picture_server.routes[path] = answer
        return picture_server.url(path)

    return add
