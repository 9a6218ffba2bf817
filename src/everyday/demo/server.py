"""The newswire's HTTP plumbing: a response value, ETags, conditional GET, the stdlib handler.

The handler knows nothing about providers: it hands each request to the object the
server carries as ``server.wire`` (anything with ``respond`` and ``request_log``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Response:
    """What the server sends for one path."""

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    last_modified: datetime | None = None
    location: str | None = None
    etag: str = ""


Route = Callable[[], Response]


class Wire(Protocol):
    """What the handler needs from the network it serves."""

    request_log: list[tuple[str, str, dict[str, str]]]

    def respond(self, method: str, target: str, headers: dict[str, str]) -> Response: ...


def text_response(text: str, ctype: str, last_modified: datetime | None = None) -> Response:
    """A 200 with a UTF-8 text body."""
    return Response(200, text.encode(), ctype + "; charset=utf-8", last_modified)


def etag(body: bytes) -> str:
    """A strong ETag derived from the body, so unchanged content keeps its tag."""
    return '"' + hashlib.sha1(body).hexdigest()[:20] + '"'


def conditional(resp: Response, headers: dict[str, str]) -> Response:
    """Tag a 200 with its ETag, and turn it into a 304 when the client's copy is fresh."""
    if resp.status != 200:
        return resp
    resp = replace(resp, etag=etag(resp.body))
    return replace(resp, status=304, body=b"") if is_fresh(resp, headers) else resp


def is_fresh(resp: Response, headers: dict[str, str]) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; If-Modified-Since only when it is absent."""
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or resp.etag in tags
    ims = headers.get("if-modified-since")
    if ims and resp.last_modified is not None:
        try:
            return resp.last_modified.replace(microsecond=0) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class Handler(BaseHTTPRequestHandler):
    """GET and HEAD for the wire the server carries; logs requests at debug level."""

    server_version = "NewswireDemo/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; avoid 40 ms stalls

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        wire: Wire = self.server.wire  # type: ignore[attr-defined]
        headers = {k.lower(): v for k, v in self.headers.items()}
        wire.request_log.append((self.command, self.path, headers))
        resp = wire.respond(self.command, self.path, headers)
        self.send_response(resp.status)
        if resp.status in (200, 304):
            self.send_header("ETag", resp.etag)
            if resp.last_modified is not None:
                self.send_header("Last-Modified", format_datetime(resp.last_modified, usegmt=True))
            self.send_header("Cache-Control", "max-age=60")
        if resp.location:
            self.send_header("Location", resp.location)
        if resp.status != 304:
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if not head and resp.status != 304:
            self.wfile.write(resp.body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("newswire request %s", format % args)
