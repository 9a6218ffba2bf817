"""Decide when to poll a source next, from what the last poll found (pure: ``now`` is passed in).

The interval follows how often the source publishes: the median gap between its newest
entry dates, stretched when it has gone quiet, clamped to
[``min_interval``, ``max_interval``]. Without dates it drifts: longer after a 304 or a
poll with nothing new, unchanged after new items. Errors back off exponentially (capped
at ``max_interval``) without forgetting the learned interval; Retry-After is honoured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median

from ..models import Source
from ..settings import CollectSettings
from .normalize import as_utc

RECENT_ENTRIES = 10  # newest entry dates measured; older history says little about today
GROWTH = 1.25  # a poll with nothing new lengthens the interval by a quarter
QUIET_DIVISOR = 4  # a source silent for 4 days is polled at least daily
MAX_RETRY_AFTER = 7 * 86400.0  # a server asking for more than a week is probably wrong
_MAX_DOUBLINGS = 32  # keeps 2**n small; max_interval caps long before this


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of a source found.

    ``entry_dates`` are the published (or updated) dates of the entries the source listed,
    new or not; ``retry_after`` is the server's Retry-After in seconds.
    """

    ok: bool
    not_modified: bool = False
    new_items: int = 0
    error: str | None = None
    retry_after: float | None = None
    entry_dates: tuple[datetime, ...] = ()


def _clamp(seconds: float, settings: CollectSettings) -> int:
    upper = max(settings.max_interval, settings.min_interval)
    return int(min(max(seconds, settings.min_interval), upper))


def publishing_interval(dates: tuple[datetime, ...], now: datetime) -> float | None:
    """Return seconds between posts (median gap of the newest dates), or None if unknown.

    Dates in the future are read as ``now`` (clock skew); identical dates count once,
    because feeds that stamp every item with the build time say nothing about rhythm.
    """
    now = as_utc(now)
    distinct = sorted({min(as_utc(d), now) for d in dates}, reverse=True)[:RECENT_ENTRIES]
    if len(distinct) < 2:
        return None
    gaps = [(newer - older).total_seconds() for newer, older in pairwise(distinct)]
    return median(gaps)


def _interval_after_success(
    source: Source, now: datetime, outcome: PollOutcome, settings: CollectSettings
) -> int:
    current = source.interval_seconds if source.interval_seconds > 0 else settings.interval
    rhythm = publishing_interval(outcome.entry_dates, now)
    if rhythm is not None:
        newest = max(min(as_utc(d), now) for d in outcome.entry_dates)
        quiet = (now - newest).total_seconds() / QUIET_DIVISOR
        return _clamp(max(rhythm, quiet), settings)
    if outcome.not_modified or outcome.new_items == 0:
        return _clamp(current * GROWTH, settings)
    return _clamp(current, settings)


def _backoff(interval: int, error_count: int, settings: CollectSettings) -> float:
    """First error: the usual interval (one glitch costs nothing); then doubling, capped."""
    doublings = min(max(error_count - 1, 0), _MAX_DOUBLINGS)
    return float(min(interval * 2**doublings, max(settings.max_interval, settings.min_interval)))


def next_check(
    source: Source, now: datetime, outcome: PollOutcome, settings: CollectSettings
) -> Source:
    """Return the source updated after a poll: schedule, interval and error state.

    Args:
        source: the source as it was before the poll.
        now: when the poll finished (aware; naive is read as UTC).
        outcome: what the poll found.
        settings: the collect settings (interval bounds).

    Returns:
        A copy with ``last_checked``, ``next_check``, ``interval_seconds``,
        ``error_count`` and ``last_error`` set.
    """
    now = as_utc(now)
    if outcome.ok:
        interval = _interval_after_success(source, now, outcome, settings)
        delay = float(interval)
        error_count, last_error = 0, None
    else:
        base = source.interval_seconds if source.interval_seconds > 0 else settings.interval
        interval = _clamp(base, settings)
        error_count = source.error_count + 1
        delay = _backoff(interval, error_count, settings)
        last_error = outcome.error or "unknown error"
    if outcome.retry_after is not None and outcome.retry_after > 0:
        delay = max(delay, min(outcome.retry_after, MAX_RETRY_AFTER))
    return replace(
        source,
        last_checked=now,
        next_check=now + timedelta(seconds=delay),
        interval_seconds=interval,
        error_count=error_count,
        last_error=last_error,
    )


def is_due(source: Source, now: datetime) -> bool:
    """Tell whether a source should be polled at ``now`` (never when paused)."""
    if source.paused:
        return False
    return source.next_check is None or as_utc(source.next_check) <= as_utc(now)
