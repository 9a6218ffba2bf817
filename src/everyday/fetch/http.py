"""The one HTTP seam: every download goes through :class:`Fetcher`, and its caps.

A ``get`` walks the redirect chain itself so each hop is checked (scheme, address, robots,
loop, count); each hop is retried on timeouts, connection errors, 429 and 5xx with
exponential backoff or the server's Retry-After; each attempt holds a per-host and a global
slot, has an overall deadline, and reads the body under raw and decoded size caps.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from .. import charset
from ..errors import (
    BlockedURLError,
    FetchError,
    HTTPStatusError,
    RobotsDisallowed,
    TimeoutError_,
    TooLargeError,
    TooManyRedirects,
)
from ..settings import FetchSettings
from .guard import (
    ACCEPT_ENCODING,
    AddressPolicy,
    GuardedBackend,
    IPAddress,
    allow_any_address,
    check_url,
    is_public_address,
    parse_hosts,
    read_capped,
)
from .hosts import HostLimiter, backoff_delay, is_retryable_status, parse_retry_after
from .robots import ROBOTS_MAX_BYTES, RobotsCache

log = logging.getLogger(__name__)

DEADLINE_FACTOR = 3.0
"""One attempt (connect, headers, whole body) must finish within ``timeout * DEADLINE_FACTOR``."""
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
GONE_STATUSES = frozenset({404, 410})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Response:
    """A finished download; ``not_modified`` is True (and ``content`` empty) for a 304."""

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    charset: str | None
    not_modified: bool
    elapsed: float


@dataclass(frozen=True)
class _Hop:
    """What one request in a redirect chain answered."""

    url: str
    status: int
    headers: dict[str, str]
    content: bytes


def _status_error(
    message: str, url: str, status: int, retry_after: float | None
) -> HTTPStatusError:
    return HTTPStatusError(message, url, status, retry_after)


def _content_type(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Media type and charset parameter of Content-Type, lowercased."""
    value = headers.get("content-type")
    if not value:
        return None, None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return media.strip().lower() or None, charset


def _transport(
    policy: AddressPolicy, limits: httpx.Limits, hosts: Mapping[str, IPAddress]
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go through :class:`GuardedBackend`."""
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx has no public hook for the network backend, so swap the pool it built for one
    # that pins connections to checked addresses (test_fetch_guard proves it is in use).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(policy, hosts=hosts),
    )
    return transport


class Fetcher:
    """Polite, capped HTTP GETs; use as ``async with Fetcher(settings) as f: await f.get(url)``.

    ``address_policy`` decides which resolved addresses may be contacted (default:
    public addresses only, or any when ``settings.allow_private``); tests pass one that
    allows 127.0.0.1 and nothing else. ``sleep`` is how backoff and crawl delays wait.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        address_policy: AddressPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings
        if address_policy is None:
            address_policy = allow_any_address if settings.allow_private else is_public_address
        self._policy = address_policy
        self._sleep = sleep
        self._hosts = HostLimiter(settings.concurrency, settings.per_host, sleep=sleep)
        self._robots = RobotsCache(self._fetch_robots, settings.user_agent)
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        s = self._settings
        n = s.concurrency
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        self._client = httpx.AsyncClient(
            transport=_transport(self._policy, limits, parse_hosts(s.hosts)),
            timeout=httpx.Timeout(s.timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": s.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        check_robots: bool = True,
        max_bytes: int | None = None,
    ) -> Response:
        """Download ``url``, conditionally when ``etag``/``last_modified`` are given.

        Args:
            url: http(s) URL to fetch.
            etag, last_modified: validators from the last download (sent as
                If-None-Match / If-Modified-Since); a 304 gives ``not_modified=True``.
            accept: Accept header, e.g. feed media types.
            check_robots: consult robots.txt (also off when ``settings.respect_robots`` is).
            max_bytes: lower cap for this download, raw and decoded.

        Raises:
            BlockedURLError, RobotsDisallowed, TooLargeError, TooManyRedirects,
            HTTPStatusError (``status``; ``retry_after`` when the server sent one),
            TimeoutError_, FetchError: see :mod:`everyday.errors`.
        """
        return await self._get(url, etag, last_modified, accept, check_robots, max_bytes, False)

    async def _get(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str | None,
        check_robots: bool,
        max_bytes: int | None,
        truncate: bool,
    ) -> Response:
        started = time.monotonic()
        headers = {"Accept": accept or "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        caps = _Caps.of(self._settings, max_bytes, truncate)
        robots = check_robots and self._settings.respect_robots
        hop = await self._follow(url, headers, caps, robots)
        media, charset = _content_type(hop.headers)
        not_modified = hop.status == 304
        log.debug("fetched url=%s final=%s status=%s", url, hop.url, hop.status)
        return Response(
            url=url,
            final_url=hop.url,
            status=hop.status,
            headers=hop.headers,
            content=hop.content,
            # A 304 need not repeat the validators; the caller's still hold (RFC 9110 §15.4.5).
            etag=hop.headers.get("etag") or (etag if not_modified else None),
            last_modified=(
                hop.headers.get("last-modified") or (last_modified if not_modified else None)
            ),
            content_type=media,
            charset=charset,
            not_modified=not_modified,
            elapsed=time.monotonic() - started,
        )

    async def _follow(self, url: str, headers: dict[str, str], caps: _Caps, robots: bool) -> _Hop:
        """Request ``url`` and each redirect target, checking every hop before it is sent."""
        seen: set[str] = set()
        current = url
        for _ in range(self._settings.max_redirects + 1):
            check_url(current, self._policy)
            seen.add(current)
            if robots:
                await self._check_robots(current)
            hop = await self._with_retries(current, headers, caps)
            location = hop.headers.get("location")
            if hop.status not in REDIRECT_STATUSES or not location:
                return _final(hop, url)
            current = urljoin(current, location.strip())
            if current in seen:
                raise TooManyRedirects(f"redirect loop at {current}", url)
        raise TooManyRedirects(f"more than {self._settings.max_redirects} redirects", url)

    async def _check_robots(self, url: str) -> None:
        try:
            rules = await self._robots.rules_for(url)
        except BlockedURLError as e:
            raise BlockedURLError(str(e), url) from e
        host = urlsplit(url).hostname or ""
        if rules.crawl_delay:
            self._hosts.set_interval(host, rules.crawl_delay)
        if not rules.allows(url, self._settings.user_agent):
            raise RobotsDisallowed("robots.txt disallows this URL", url)

    async def _fetch_robots(self, url: str) -> bytes:
        response = await self._get(url, None, None, "text/plain", False, ROBOTS_MAX_BYTES, True)
        return response.content

    async def _with_retries(self, url: str, headers: dict[str, str], caps: _Caps) -> _Hop:
        """One hop, retried on timeouts, connection errors, 429 and 5xx."""
        s = self._settings
        for attempt in range(s.retries + 1):
            last = attempt == s.retries
            try:
                hop = await self._attempt(url, headers, caps)
            except httpx.TimeoutException as e:
                if last:
                    raise TimeoutError_(f"timed out after {attempt + 1} tries: {e!r}", url) from e
                delay = backoff_delay(attempt, s.backoff, random.random())
            except httpx.TransportError as e:
                if last:
                    message = f"connection failed after {attempt + 1} tries: {e!r}"
                    raise FetchError(message, url) from e
                delay = backoff_delay(attempt, s.backoff, random.random())
            else:
                if not is_retryable_status(hop.status):
                    return hop
                retry_after = parse_retry_after(hop.headers.get("retry-after"), datetime.now(UTC))
                if last or (retry_after is not None and retry_after > s.max_retry_after):
                    message = f"HTTP {hop.status} after {attempt + 1} tries"
                    raise _status_error(message, url, hop.status, retry_after)
                delay = backoff_delay(attempt, s.backoff, random.random())
                delay = delay if retry_after is None else retry_after
            log.info("retrying url=%s attempt=%s delay=%.2f", url, attempt + 1, delay)
            await self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(self, url: str, headers: dict[str, str], caps: _Caps) -> _Hop:
        """One request under the host's slots and the overall deadline."""
        deadline = self._settings.timeout * DEADLINE_FACTOR
        async with self._hosts.slot(urlsplit(url).hostname or ""):
            try:
                async with asyncio.timeout(deadline):
                    return await self._send(url, headers, caps)
            except TimeoutError as e:
                # Not retried: a server that dribbles past the deadline would hold us again.
                raise TimeoutError_(f"no complete answer within {deadline:g}s", url) from e
            except BlockedURLError as e:
                raise BlockedURLError(str(e), url) from e

    async def _send(self, url: str, headers: dict[str, str], caps: _Caps) -> _Hop:
        if self._client is None:
            raise FetchError("Fetcher used outside 'async with'", url)
        try:
            request = self._client.build_request("GET", url, headers=headers)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
            raise BlockedURLError(f"invalid URL: {e}", url) from e
        response = await self._client.send(request, stream=True)
        try:
            hop_headers = {k.lower(): v for k, v in response.headers.items()}
            if not 200 <= response.status_code < 300:
                return _Hop(url, response.status_code, hop_headers, b"")
            caps.check_announced(hop_headers.get("content-length"), url)
            content = await read_capped(
                response.aiter_raw(),
                hop_headers.get("content-encoding", ""),
                url=url,
                max_raw=caps.raw,
                max_decoded=caps.decoded,
                truncate=caps.truncate,
            )
        except zlib.error as e:
            raise FetchError(f"body does not match its Content-Encoding: {e}", url) from e
        finally:
            await response.aclose()
        return _Hop(url, response.status_code, hop_headers, content)


def _final(hop: _Hop, url: str) -> _Hop:
    """Accept 2xx and 304; turn every other final status into HTTPStatusError."""
    if 200 <= hop.status < 300 or hop.status == 304:
        return hop
    kind = "gone" if hop.status in GONE_STATUSES else "error"
    raise _status_error(f"HTTP {hop.status} ({kind}) at {hop.url}", url, hop.status, None)


@dataclass(frozen=True)
class _Caps:
    """Size caps of one download."""

    raw: int
    decoded: int
    truncate: bool

    @classmethod
    def of(cls, settings: FetchSettings, max_bytes: int | None, truncate: bool) -> _Caps:
        raw, decoded = settings.max_body_bytes, settings.max_decompressed_bytes
        if max_bytes is not None:
            raw, decoded = min(raw, max_bytes), min(decoded, max_bytes)
        return cls(raw, decoded, truncate)

    def check_announced(self, content_length: str | None, url: str) -> None:
        """Refuse before reading when Content-Length already says the body is too big."""
        announced = content_length.strip() if content_length else ""
        if announced.isdigit() and not self.truncate and int(announced) > self.raw:
            raise TooLargeError(f"Content-Length {content_length} over {self.raw}", url)


# --- text decoding ---------------------------------------------------------------------------

sniff_charset = charset.sniff_charset  # part of the seam's interface


def decode_text(response: Response) -> str:
    """The body as text: BOM, header charset, document charset, UTF-8, windows-1252."""
    return charset.decode(response.content, response.charset)
