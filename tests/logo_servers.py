"""A site on loopback serving whatever icons a test gives it, and icon bytes to serve.

``IconSite(routes)`` is a stdlib ThreadingHTTPServer in a daemon thread on 127.0.0.1:0.
``routes`` maps a path to ``(status, content type, body)``; every other path is 404, so a
test describes a whole site (home page, icons, manifest) in one dict and then reads
``hits`` to see what was (not) requested.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from PIL import Image, ImageDraw

from everyday.settings import FetchSettings

Route = tuple[int, str, bytes]
RED = (200, 20, 20)
BLUE = (20, 20, 200)
GREEN = (20, 160, 60)


def loopback_fetch_settings(hosts: tuple[str, ...] = ()) -> FetchSettings:
    """Fetch settings that may reach 127.0.0.1 (and pinned names), failing fast."""
    return replace(
        FetchSettings(), allow_private=True, hosts=hosts, retries=0, backoff=0.01, timeout=5.0
    )


def icon_image(size: int, color: tuple[int, int, int], *, transparent: bool = False) -> Image.Image:
    """A square icon: ``color`` with a black mark in the top-left quarter.

    With ``transparent`` the background is clear and only a coloured disc is drawn, so a
    correct flatten shows white corners.
    """
    background = (0, 0, 0, 0) if transparent else (*color, 255)
    img = Image.new("RGBA", (size, size), background)
    draw = ImageDraw.Draw(img)
    if transparent:
        draw.ellipse((size // 4, size // 4, size * 3 // 4, size * 3 // 4), fill=(*color, 255))
    draw.rectangle((0, 0, size // 8, size // 8), fill=(0, 0, 0, 255))
    return img


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def ico_bytes(frames: list[Image.Image]) -> bytes:
    """An ICO holding each frame at its own size (largest first in the call)."""
    largest, *rest = sorted(frames, key=lambda f: -f.size[0])
    buf = io.BytesIO()
    largest.save(buf, "ICO", sizes=[f.size for f in frames], append_images=rest)
    return buf.getvalue()


def home_page(*links: str) -> bytes:
    """A home page whose head holds ``links`` (raw ``<link>`` markup)."""
    head = "".join(links)
    return f"<!DOCTYPE html><html><head><title>Site</title>{head}</head><body>hi</body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.order.append(path)
        status, ctype, body = self.server.routes.get(path, (404, "text/html", b"<h1>404</h1>"))
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, Route]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.order: list[str] = []
        self.lock = threading.Lock()


class IconSite:
    """``with IconSite(routes) as site:`` serves ``routes`` at ``site.url("/")``."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self._server = _Server(routes)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> IconSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def hits(self) -> Counter[str]:
        return self._server.hits

    @property
    def order(self) -> list[str]:
        """Paths in the order they were requested (robots.txt included)."""
        return [p for p in self._server.order if p != "/robots.txt"]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"
