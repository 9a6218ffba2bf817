"""Adaptive polling: publishing rhythm, gentle growth, error backoff, Retry-After, is_due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from everyday.models import Source
from everyday.settings import CollectSettings
from everyday.sources.schedule import (
    MAX_RETRY_AFTER,
    PollOutcome,
    is_due,
    next_check,
    publishing_interval,
)

NOW = datetime(2023, 11, 7, 12, 0, tzinfo=UTC)
SETTINGS = CollectSettings(interval=1800, min_interval=300, max_interval=86400)
HOUR = 3600


def hours_ago(*hours: float) -> tuple[datetime, ...]:
    return tuple(NOW - timedelta(hours=h) for h in hours)


def src(**kw: object) -> Source:
    return Source(url="https://a.example/rss", **kw)  # type: ignore[arg-type]


def test_interval_follows_the_median_gap_between_entries() -> None:
    outcome = PollOutcome(ok=True, new_items=1, entry_dates=hours_ago(0.5, 2.5, 4.5, 6.5, 30))
    after = next_check(src(), NOW, outcome, SETTINGS)
    assert after.interval_seconds == 2 * HOUR  # gaps 2,2,2,23.5 h -> median 2 h
    assert after.next_check == NOW + timedelta(hours=2)
    assert after.last_checked == NOW


def test_only_the_newest_entries_count() -> None:
    old_daily = [40 + 24 * i for i in range(30)]  # a month of daily posts, long ago...
    recent = [0.25 * i for i in range(10)]  # ...then ten posts 15 minutes apart
    rhythm = publishing_interval(hours_ago(*recent, *old_daily), NOW)
    assert rhythm == 15 * 60


def test_a_quiet_source_is_polled_less_than_its_old_rhythm_says() -> None:
    outcome = PollOutcome(ok=True, entry_dates=hours_ago(48, 49, 50, 51))  # hourly, 2 days ago
    after = next_check(src(), NOW, outcome, SETTINGS)
    assert after.interval_seconds == 12 * HOUR  # a quarter of the 48 h silence


def test_interval_is_clamped_to_the_settings() -> None:
    fast = PollOutcome(ok=True, new_items=5, entry_dates=hours_ago(0, 0.01, 0.02, 0.03))
    slow = PollOutcome(ok=True, entry_dates=hours_ago(24 * 60, 24 * 90))
    assert next_check(src(), NOW, fast, SETTINGS).interval_seconds == 300
    assert next_check(src(), NOW, slow, SETTINGS).interval_seconds == 86400


def test_identical_or_future_dates_give_no_rhythm() -> None:
    assert publishing_interval(hours_ago(1, 1, 1), NOW) is None
    assert publishing_interval((), NOW) is None
    future = (NOW + timedelta(days=3), NOW + timedelta(days=1), NOW - timedelta(hours=1))
    assert publishing_interval(future, NOW) == HOUR  # the future reads as now


def test_naive_dates_are_read_as_utc() -> None:
    naive = tuple(d.replace(tzinfo=None) for d in hours_ago(1, 3))
    assert publishing_interval(naive, NOW.replace(tzinfo=None)) == 2 * HOUR


@pytest.mark.parametrize(
    "outcome",
    [PollOutcome(ok=True, not_modified=True), PollOutcome(ok=True, new_items=0)],
    ids=["304", "nothing-new"],
)
def test_nothing_new_lengthens_gently(outcome: PollOutcome) -> None:
    after = next_check(src(interval_seconds=3600), NOW, outcome, SETTINGS)
    assert after.interval_seconds == 4500


def test_growth_stops_at_max_interval() -> None:
    source = src(interval_seconds=1800)
    for _ in range(50):
        source = next_check(source, NOW, PollOutcome(ok=True, not_modified=True), SETTINGS)
    assert source.interval_seconds == 86400


def test_new_items_without_dates_keep_the_interval() -> None:
    after = next_check(src(interval_seconds=5000), NOW, PollOutcome(ok=True, new_items=3), SETTINGS)
    assert after.interval_seconds == 5000


def test_unset_interval_starts_from_settings() -> None:
    after = next_check(src(interval_seconds=0), NOW, PollOutcome(ok=True, new_items=2), SETTINGS)
    assert after.interval_seconds == SETTINGS.interval


def test_errors_back_off_exponentially_and_keep_the_interval() -> None:
    source = src(interval_seconds=HOUR)
    delays = []
    for _ in range(7):
        source = next_check(source, NOW, PollOutcome(ok=False, error="HTTP 503"), SETTINGS)
        assert source.next_check is not None
        delays.append((source.next_check - NOW).total_seconds() / HOUR)
    assert delays == [1, 2, 4, 8, 16, 24, 24]  # capped at max_interval
    assert source.error_count == 7
    assert source.last_error == "HTTP 503"
    assert source.interval_seconds == HOUR


def test_many_errors_do_not_overflow() -> None:
    source = src(error_count=10_000)
    after = next_check(source, NOW, PollOutcome(ok=False, error="x"), SETTINGS)
    assert after.next_check == NOW + timedelta(seconds=86400)


def test_success_resets_errors() -> None:
    failing = src(error_count=4, last_error="timeout")
    after = next_check(failing, NOW, PollOutcome(ok=True, new_items=1), SETTINGS)
    assert (after.error_count, after.last_error) == (0, None)


def test_error_without_message_still_records_one() -> None:
    after = next_check(src(), NOW, PollOutcome(ok=False), SETTINGS)
    assert after.last_error


def test_retry_after_is_honoured_but_bounded() -> None:
    asked = PollOutcome(ok=False, error="HTTP 429", retry_after=5 * HOUR)
    assert next_check(src(), NOW, asked, SETTINGS).next_check == NOW + timedelta(hours=5)
    shorter = PollOutcome(ok=False, error="HTTP 429", retry_after=10)
    assert next_check(src(), NOW, shorter, SETTINGS).next_check == NOW + timedelta(seconds=1800)
    absurd = PollOutcome(ok=False, error="HTTP 503", retry_after=365 * 86400)
    expected = NOW + timedelta(seconds=MAX_RETRY_AFTER)
    assert next_check(src(), NOW, absurd, SETTINGS).next_check == expected


def test_retry_after_on_success_delays_too() -> None:
    outcome = PollOutcome(ok=True, new_items=1, retry_after=3 * HOUR)
    assert next_check(src(), NOW, outcome, SETTINGS).next_check == NOW + timedelta(hours=3)


def test_is_due() -> None:
    assert is_due(src(), NOW)  # never checked
    assert is_due(src(next_check=NOW), NOW)
    assert not is_due(src(next_check=NOW + timedelta(seconds=1)), NOW)
    assert is_due(src(next_check=NOW - timedelta(days=1)), NOW)
    assert not is_due(src(paused=True), NOW)
    assert is_due(src(next_check=datetime(2023, 11, 7, 11, 0)), NOW)  # naive read as UTC


def test_next_check_does_not_mutate_and_keeps_other_fields() -> None:
    source = src(title="A", etag='"v1"', paused=True)
    after = next_check(source, NOW, PollOutcome(ok=True), SETTINGS)
    assert source.last_checked is None
    assert (after.title, after.etag, after.paused, after.url) == ("A", '"v1"', True, source.url)


def test_inverted_bounds_do_not_crash() -> None:
    odd = CollectSettings(min_interval=7200, max_interval=600)
    after = next_check(src(), NOW, PollOutcome(ok=True, new_items=1), odd)
    assert after.interval_seconds == 7200
