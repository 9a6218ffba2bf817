"""Rate limits: one token bucket per (kind, who), in memory, per server process.

``who`` is the API key id when a request carries a valid key, else the client address,
so a key's allowance follows it across addresses and anonymous clients share nothing.
Decisions are pure given ``now`` (seconds on a monotonic clock), so tests need no sleep.
With several worker processes each keeps its own buckets: the effective limit is the
configured one times the number of workers (docs/serve.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """``per_second`` tokens refill continuously up to ``burst``; 0 per second = no limit."""

    per_second: float
    burst: int

    @property
    def is_unlimited(self) -> bool:
        return self.per_second <= 0


@dataclass(frozen=True)
class Decision:
    """Allowed, or how many seconds until a token is back (``Retry-After``)."""

    allowed: bool
    retry_after: int = 0


class Limiter:
    """Token buckets keyed by ``(kind, who)``, pruned when too many are idle."""

    def __init__(self, rates: dict[str, Rate], max_buckets: int = 100_000) -> None:
        self.rates = rates
        self.max_buckets = max_buckets
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, at

    def take(self, kind: str, who: str, now: float) -> Decision:
        """Spend one token of ``who``'s ``kind`` bucket if there is one."""
        rate = self.rates.get(kind)
        if rate is None or rate.is_unlimited:
            return Decision(True)
        key = (kind, who)
        tokens, at = self._buckets.get(key, (float(rate.burst), now))
        tokens = min(float(rate.burst), tokens + (now - at) * rate.per_second)
        if tokens >= 1.0:
            self._store(key, (tokens - 1.0, now), now)
            return Decision(True)
        self._store(key, (tokens, now), now)
        return Decision(False, max(1, math.ceil((1.0 - tokens) / rate.per_second)))

    def _store(self, key: tuple[str, str], value: tuple[float, float], now: float) -> None:
        self._buckets[key] = value
        if len(self._buckets) > self.max_buckets:
            self._prune(now)

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes nothing."""
        full = [
            key
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rates[key[0]].per_second >= self.rates[key[0]].burst
        ]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) > self.max_buckets:  # a flood of addresses: forget the oldest
            for key in sorted(self._buckets, key=lambda k: self._buckets[k][1])[
                : len(self._buckets) // 2
            ]:
                del self._buckets[key]
