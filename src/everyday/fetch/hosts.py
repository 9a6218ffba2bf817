"""Politeness toward hosts: how many requests run at once, how far apart, and when to retry.

Every request attempt takes a slot: first the host's semaphore (``per_host``) and its turn
under the host's minimum spacing (robots.txt ``Crawl-delay``), then the global semaphore
(``concurrency``). The global slot is taken last so a request waiting out a crawl delay
does not hold up requests to other hosts. Backoff sleeps between retries happen outside
any slot.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

log = logging.getLogger(__name__)

MAX_CRAWL_DELAY = 60.0
"""Longest spacing honoured; a robots.txt asking for an hour between hits would stall a pass."""

Sleep = Callable[[float], Awaitable[None]]


def is_retryable_status(status: int) -> bool:
    """429 and 5xx may heal; other 4xx will not."""
    return status == 429 or 500 <= status <= 599


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(attempt: int, base: float, jitter: float) -> float:
    """Delay before retry ``attempt`` (0-based): ``base * 2**attempt``, plus up to 25% jitter."""
    return base * (2**attempt) * (1.0 + 0.25 * jitter)


def next_start(now: float, next_free: float | None, interval: float) -> tuple[float, float]:
    """When a request may start and when the one after it may, given the host's spacing."""
    start = now if next_free is None else max(now, next_free)
    return start, start + interval


class HostLimiter:
    """Global and per-host concurrency, plus a minimum interval between starts per host."""

    def __init__(
        self,
        concurrency: int,
        per_host: int,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._global = asyncio.Semaphore(max(1, concurrency))
        self._per_host = max(1, per_host)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._intervals: dict[str, float] = {}
        self._next_free: dict[str, float] = {}
        self._sleep = sleep
        self._clock = clock

    def set_interval(self, host: str, seconds: float | None) -> None:
        """Space requests to ``host`` at least ``seconds`` apart (capped at MAX_CRAWL_DELAY)."""
        host = host.lower()
        if not seconds or seconds <= 0:
            self._intervals.pop(host, None)
            return
        if seconds > MAX_CRAWL_DELAY:
            log.info("crawl-delay capped host=%s asked=%s cap=%s", host, seconds, MAX_CRAWL_DELAY)
        self._intervals[host] = min(float(seconds), MAX_CRAWL_DELAY)

    def interval(self, host: str) -> float:
        """The spacing currently applied to ``host`` (0 when none)."""
        return self._intervals.get(host.lower(), 0.0)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        """Hold a per-host and a global slot for one request attempt."""
        host = host.lower()
        sem = self._hosts.setdefault(host, asyncio.Semaphore(self._per_host))
        async with sem:
            await self._wait_turn(host)
            async with self._global:
                yield

    async def _wait_turn(self, host: str) -> None:
        interval = self._intervals.get(host)
        if interval is None:
            return
        now = self._clock()
        # Reserve the start time before sleeping so concurrent waiters queue up behind it.
        start, self._next_free[host] = next_start(now, self._next_free.get(host), interval)
        if start > now:
            await self._sleep(start - now)
