"""Real HTTP servers on loopback for the fetch tests: polite, slow, broken and hostile routes.

``FetchTestServer`` is a stdlib ThreadingHTTPServer in a daemon thread. Each instance counts
hits per path and records request headers, so a test can check what was (not) sent.

Routes (GET):
    /ok                      200 text
    /feed                    ETag "v1" + Last-Modified; 304 when either validator matches
    /feeds/<n>               like /feed, one per n (the benchmark's 200 feeds)
    /slow-headers            sleeps SLOW_SECONDS before answering
    /pause                   sleeps 0.2 s, then 200 (concurrency tests watch ``max_active``)
    /dribble                 Content-Length 100, then one byte every 0.1 s
    /endless                 no length, 64 KiB chunks until the client leaves
    /huge-length             announces a terabyte, sends 1 KiB
    /bomb                    gzip of 50 MB of zeros (~50 KB on the wire)
    /gzip                    small gzip body;  /deflate-raw: raw deflate body
    /loop/a, /loop/b         redirect to each other
    /chain/<n>               redirects n times, then 200 "end of chain"
    /redirect?to=<url>       302 to any URL
    /retry?status=S&fail=N&after=A   S (with Retry-After A if given) N times, then 200
    /status/<code>           that status
    /latin1-as-utf8          b"caf\\xe9" labelled charset=utf-8
    /cp1252-unlabelled       cp1252 bytes, no charset anywhere
    /meta-charset            latin-1 bytes declared only in <meta charset>
    /private/...             200 (robots tests disallow it)
    /robots.txt              ``robots``: text -> 200, int -> that status, None -> 404
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import sys
import threading
import time
import zlib
from collections import Counter
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from everyday.fetch.http import Fetcher, Response
from everyday.settings import FetchSettings

SLOW_SECONDS = 1.0
FEED_ETAG = '"v1"'
FEED_LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"
FEED_BODY = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel/></rss>'


@functools.cache
def gzip_bomb(size: int = 50_000_000) -> bytes:
    """``size`` zeros, gzipped (built once, in memory, a megabyte at a time)."""
    z = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1_000_000)
    parts = [z.compress(block) for _ in range(size // len(block))]
    return b"".join([*parts, z.flush()])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.server.lock:
            self.server.hits[path] += 1
            hit = self.server.hits[path]
            self.server.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        with self.server.lock:
            self.server.active += 1
            self.server.max_active = max(self.server.max_active, self.server.active)
        try:
            self._route(path, query, hit)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with self.server.lock:
                self.server.active -= 1

    def _route(self, path: str, query: dict[str, str], hit: int) -> None:
        head, _, rest = path.lstrip("/").partition("/")
        simple = {
            "ok": lambda: self._send(200, b"hello", "text/plain"),
            "private": lambda: self._send(200, b"secret", "text/plain"),
            "robots.txt": self._robots,
            "feed": self._feed,
            "feeds": self._feed,
            "slow-headers": self._slow_headers,
            "pause": self._pause,
            "dribble": self._dribble,
            "endless": self._endless,
            "huge-length": self._huge_length,
            "bomb": lambda: self._send(
                200, gzip_bomb(), "text/plain", {"Content-Encoding": "gzip"}
            ),
            "gzip": self._gzip,
            "deflate-raw": self._deflate_raw,
            "loop": lambda: self._redirect("/loop/b" if rest == "a" else "/loop/a"),
            "chain": lambda: self._chain(int(rest or 0)),
            "redirect": lambda: self._redirect(query["to"]),
            "retry": lambda: self._retry(query, hit),
            "status": lambda: self._send(int(rest), b"status", "text/plain"),
            "latin1-as-utf8": lambda: self._send(200, b"caf\xe9", "text/html; charset=utf-8"),
            "cp1252-unlabelled": lambda: self._send(
                200, "\u201cquoted\u201d café".encode("cp1252"), "text/html"
            ),
            "meta-charset": lambda: self._send(
                200, '<meta charset="iso-8859-1"><p>naïve</p>'.encode("latin-1"), "text/html"
            ),
        }
        simple.get(head, lambda: self._send(404, b"not found", "text/plain"))()

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _robots(self) -> None:
        robots = self.server.robots
        if isinstance(robots, str):
            self._send(200, robots.encode(), "text/plain")
        else:
            self._send(robots or 404, b"no robots", "text/plain")

    def _feed(self) -> None:
        validators = {"ETag": FEED_ETAG, "Last-Modified": FEED_LAST_MODIFIED}
        if (
            self.headers.get("If-None-Match") == FEED_ETAG
            or self.headers.get("If-Modified-Since") == FEED_LAST_MODIFIED
        ):
            self.send_response(304)
            for key, value in validators.items():
                self.send_header(key, value)
            self.end_headers()
            return
        self._send(200, FEED_BODY, "application/rss+xml", validators)

    def _slow_headers(self) -> None:
        time.sleep(SLOW_SECONDS)
        self._send(200, b"late", "text/plain")

    def _pause(self) -> None:
        time.sleep(0.2)
        self._send(200, b"paused", "text/plain")

    def _dribble(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        for _ in range(100):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.1)

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        chunk = b"y" * 65536
        for _ in range(16384):  # stop after 1 GiB even if nobody hangs up
            self.wfile.write(chunk)

    def _huge_length(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(10**12))
        self.end_headers()
        self.close_connection = True
        self.wfile.write(b"z" * 1024)

    def _gzip(self) -> None:
        body = gzip.compress(b"squeezed " * 100)
        self._send(200, body, "text/plain", {"Content-Encoding": "gzip"})

    def _deflate_raw(self) -> None:
        z = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        body = z.compress(b"raw deflate " * 50) + z.flush()
        self._send(200, body, "text/plain", {"Content-Encoding": "deflate"})

    def _redirect(self, location: str, status: int = 302) -> None:
        self._send(status, b"", "text/plain", {"Location": location})

    def _chain(self, n: int) -> None:
        if n <= 0:
            self._send(200, b"end of chain", "text/plain")
        else:
            self._redirect(f"/chain/{n - 1}", 301)

    def _retry(self, query: dict[str, str], hit: int) -> None:
        if hit > int(query.get("fail", "1")):
            self._send(200, b"recovered", "text/plain")
            return
        extra = {"Retry-After": query["after"]} if "after" in query else {}
        self._send(int(query.get("status", "503")), b"busy", "text/plain", extra)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response is what the hostile routes are for; stay quiet."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    robots: str | int | None
    hits: Counter[str]
    requests: list[tuple[str, dict[str, str]]]
    lock: threading.Lock
    active: int
    max_active: int


class FetchTestServer:
    """A running loopback server; use ``with FetchTestServer() as srv: srv.url("/ok")``."""

    def __init__(self, robots: str | int | None = None, host: str = "127.0.0.1") -> None:
        self._server = _Server((host, 0), _Handler)
        self._server.robots = robots
        self._server.hits = Counter()
        self._server.requests = []
        self._server.lock = threading.Lock()
        self._server.active = 0
        self._server.max_active = 0
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def hits(self) -> Counter[str]:
        """Requests served, per path (query string excluded)."""
        return self._server.hits

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """(path, lowercased request headers) of every request, in order."""
        return self._server.requests

    @property
    def max_active(self) -> int:
        """Most requests the server was handling at the same moment."""
        return self._server.max_active

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> FetchTestServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- shared test helpers ---------------------------------------------------------------------

TEST_SETTINGS = replace(
    FetchSettings(),
    timeout=0.3,
    backoff=0.01,
    retries=2,
    max_retry_after=10.0,
    max_body_bytes=1_000_000,
    max_decompressed_bytes=5_000_000,
    allow_private=True,
)
"""Small timeouts and backoffs so hostile routes fail fast; loopback allowed."""


class RecordingSleep:
    """A ``sleep`` for Fetcher that records each requested delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def fetch(url: str, settings: FetchSettings = TEST_SETTINGS, **kwargs: Any) -> Response:
    """Run one ``Fetcher.get`` in a fresh event loop (``sleep``/``address_policy`` pass through)."""
    options = {k: kwargs.pop(k) for k in ("sleep", "address_policy") if k in kwargs}

    async def go() -> Response:
        async with Fetcher(settings, **options) as fetcher:
            return await fetcher.get(url, **kwargs)

    return asyncio.run(go())
