"""robots.txt: fetched once per origin, cached, and read the way RFC 9309 says.

RFC 9309 §2.3.1: a 2xx body is parsed; 4xx means "unavailable", so everything is allowed
(this includes 401/403, as Google does); 5xx or an unreachable server means "complete
disallow" until a later try succeeds, so those answers are cached only briefly. 429 is
treated like 5xx: the server asked us to back off. After too many redirects the file is
"unavailable" (§2.3.1.2). Only the first 500 KiB are parsed (§2.5).

Matching uses :mod:`urllib.robotparser`, which applies the first matching rule rather
than RFC 9309's longest match; the two agree on the usual files.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from ..errors import BlockedURLError, FetchError, HTTPStatusError, TooManyRedirects

log = logging.getLogger(__name__)

ROBOTS_MAX_BYTES = 500 * 1024
TTL = 24 * 3600.0
"""RFC 9309 §2.4: a cached robots.txt should not be used for more than 24 hours."""
ERROR_TTL = 300.0
"""How long a 5xx/unreachable "disallow all" stands before we ask again."""


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt allows; ``parser`` is None for allow-all or disallow-all."""

    allow_all: bool = False
    disallow_all: bool = False
    parser: RobotFileParser | None = None
    crawl_delay: float | None = None

    def allows(self, url: str, user_agent: str) -> bool:
        """True when ``user_agent`` may fetch ``url``."""
        if self.disallow_all:
            return False
        if self.allow_all or self.parser is None:
            return True
        return self.parser.can_fetch(product_token(user_agent), url)

    @property
    def is_temporary(self) -> bool:
        """True for the "disallow all" of a failed fetch, which is cached only briefly."""
        return self.disallow_all


ALLOW_ALL = RobotsRules(allow_all=True)
DISALLOW_ALL = RobotsRules(disallow_all=True)


def product_token(user_agent: str) -> str:
    """The name robots.txt groups match on: ``everyday`` in ``everyday/0.1 (+https://...)``."""
    return user_agent.split("/", 1)[0].split(" ", 1)[0].strip() or "*"


def robots_url(url: str) -> str:
    """Where the robots.txt governing ``url`` lives (same scheme, host and port)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def origin_of(url: str) -> str:
    """The cache key for ``url``: scheme and authority, lowercased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def rules_from_body(body: bytes, user_agent: str) -> RobotsRules:
    """Parse a robots.txt body (UTF-8 per RFC 9309; bad bytes are replaced, never fatal)."""
    text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    delay = parser.crawl_delay(product_token(user_agent))
    return RobotsRules(parser=parser, crawl_delay=float(delay) if delay else None)


def rules_from_error(error: FetchError) -> RobotsRules:
    """Rules when robots.txt could not be fetched: 4xx allows all, anything else disallows."""
    if isinstance(error, TooManyRedirects):
        return ALLOW_ALL
    if isinstance(error, HTTPStatusError) and 400 <= error.status < 500 and error.status != 429:
        return ALLOW_ALL
    return DISALLOW_ALL


FetchBody = Callable[[str], Awaitable[bytes]]
"""Downloads a robots.txt URL and returns its body, raising FetchError on failure."""


@dataclass(frozen=True)
class _Entry:
    rules: RobotsRules
    expires: float


class RobotsCache:
    """Rules per origin, each fetched at most once per TTL even under concurrent requests."""

    def __init__(
        self,
        fetch: FetchBody,
        user_agent: str,
        *,
        ttl: float = TTL,
        error_ttl: float = ERROR_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._user_agent = user_agent
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules_for(self, url: str) -> RobotsRules:
        """The rules governing ``url``, fetching robots.txt if the cached copy is stale.

        Raises:
            BlockedURLError: the origin itself is blocked by the address policy.
        """
        origin = origin_of(url)
        async with self._locks.setdefault(origin, asyncio.Lock()):
            entry = self._entries.get(origin)
            if entry is not None and entry.expires > self._clock():
                return entry.rules
            rules = await self._load(robots_url(url))
            ttl = self._error_ttl if rules.is_temporary else self._ttl
            self._entries[origin] = _Entry(rules, self._clock() + ttl)
            return rules

    async def allows(self, url: str) -> bool:
        """True when our user agent may fetch ``url``."""
        return (await self.rules_for(url)).allows(url, self._user_agent)

    async def _load(self, url: str) -> RobotsRules:
        try:
            body = await self._fetch(url)
        except BlockedURLError as e:
            if origin_of(e.url) == origin_of(url):
                raise  # the host itself is off limits: say so, not "robots disallows"
            log.info("robots.txt redirected to a blocked address url=%s", url)
            return DISALLOW_ALL
        except FetchError as e:
            rules = rules_from_error(e)
            log.info("robots.txt unavailable url=%s error=%r allow_all=%s", url, e, rules.allow_all)
            return rules
        return rules_from_body(body, self._user_agent)
