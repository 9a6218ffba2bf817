"""robots.txt: RFC 9309 status handling, caching, crawl delay, and the Fetcher obeying it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from everyday.errors import (
    BlockedURLError,
    FetchError,
    HTTPStatusError,
    RobotsDisallowed,
    TimeoutError_,
    TooManyRedirects,
)
from everyday.fetch.http import Fetcher
from everyday.fetch.robots import (
    RobotsCache,
    origin_of,
    product_token,
    robots_url,
    rules_from_body,
    rules_from_error,
)
from fetch_servers import TEST_SETTINGS, FetchTestServer, RecordingSleep, fetch

UA = TEST_SETTINGS.user_agent
ROBOTS = "User-agent: *\nDisallow: /private\n"


def test_product_token_and_urls() -> None:
    assert product_token(UA) == "everyday"
    assert robots_url("https://Example.org:8443/a/b?q=1#f") == "https://Example.org:8443/robots.txt"
    assert origin_of("HTTP://Example.org/x") == "http://example.org"


def test_rules_from_body() -> None:
    rules = rules_from_body(ROBOTS.encode(), UA)
    assert not rules.allows("http://h/private/x", UA)
    assert rules.allows("http://h/public", UA)
    assert rules.crawl_delay is None


def test_group_for_our_agent_wins_over_star() -> None:
    body = b"User-agent: everyday\nDisallow: /\nCrawl-delay: 3\n\nUser-agent: *\nDisallow:\n"
    rules = rules_from_body(body, UA)
    assert not rules.allows("http://h/anything", UA)
    assert rules.allows("http://h/anything", "otherbot/1.0")
    assert rules.crawl_delay == 3.0


def test_garbage_body_is_not_fatal() -> None:
    rules = rules_from_body(b"\xff\xfe<html>\x00not robots</html>", UA)
    assert rules.allows("http://h/x", UA)


@pytest.mark.parametrize(
    ("error", "allowed"),
    [
        (HTTPStatusError("x", "u", 404), True),
        (HTTPStatusError("x", "u", 410), True),
        (HTTPStatusError("x", "u", 401), True),  # RFC 9309 §2.3.1.3: every 4xx is "unavailable"
        (HTTPStatusError("x", "u", 403), True),
        (HTTPStatusError("x", "u", 429), False),
        (HTTPStatusError("x", "u", 500), False),
        (HTTPStatusError("x", "u", 503), False),
        (TimeoutError_("x", "u"), False),
        (FetchError("x", "u"), False),
        (TooManyRedirects("x", "u"), True),
    ],
)
def test_rules_from_error_follow_rfc_9309(error: FetchError, allowed: bool) -> None:
    assert rules_from_error(error).allows("http://h/x", UA) is allowed


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cache_fetches_once_per_origin_and_ttl() -> None:
    calls: list[str] = []
    clock = _Clock()

    async def fetch_body(url: str) -> bytes:
        calls.append(url)
        await asyncio.sleep(0.01)
        return ROBOTS.encode()

    cache = RobotsCache(fetch_body, UA, ttl=100.0, clock=clock)

    async def go() -> None:
        await asyncio.gather(*(cache.allows(f"http://a.example/p{i}") for i in range(5)))
        assert await cache.allows("http://b.example/") is True
        clock.now = 50.0
        assert await cache.allows("http://a.example/private/1") is False
        clock.now = 150.0
        await cache.allows("http://a.example/")

    asyncio.run(go())
    assert calls == [
        "http://a.example/robots.txt",
        "http://b.example/robots.txt",
        "http://a.example/robots.txt",
    ]


def test_failed_fetch_is_cached_briefly() -> None:
    calls: list[str] = []
    clock = _Clock()

    async def failing(url: str) -> bytes:
        calls.append(url)
        raise HTTPStatusError("down", url, 503)

    cache = RobotsCache(failing, UA, ttl=1000.0, error_ttl=10.0, clock=clock)

    async def go() -> list[bool]:
        first = await cache.allows("http://a.example/")
        clock.now = 5.0
        second = await cache.allows("http://a.example/")
        clock.now = 11.0
        third = await cache.allows("http://a.example/")
        return [first, second, third]

    assert asyncio.run(go()) == [False, False, False]
    assert len(calls) == 2


# --- the Fetcher obeying robots.txt ----------------------------------------------------------


def _get_all(srv: FetchTestServer, paths: list[str], **kwargs: object) -> list[object]:
    """Fetch paths with one Fetcher; each result is the body or the exception type."""
    settings = kwargs.pop("settings", TEST_SETTINGS)

    async def go() -> list[object]:
        async with Fetcher(settings, sleep=RecordingSleep()) as f:  # type: ignore[arg-type]
            results: list[object] = []
            for path in paths:
                try:
                    results.append((await f.get(srv.url(path), **kwargs)).content)  # type: ignore[arg-type]
                except FetchError as e:
                    results.append(type(e))
            return results

    return asyncio.run(go())


def test_disallowed_path_is_refused_and_robots_fetched_once() -> None:
    with FetchTestServer(robots=ROBOTS) as srv:
        assert _get_all(srv, ["/ok", "/private/x", "/ok"]) == [b"hello", RobotsDisallowed, b"hello"]
        assert srv.hits["/robots.txt"] == 1 and srv.hits["/private"] == 0
        sent = dict(srv.requests)["/robots.txt"]
        assert sent["user-agent"] == UA


@pytest.mark.parametrize(
    ("status", "allowed"), [(404, True), (403, True), (401, True), (500, False)]
)
def test_robots_status_decides(status: int, allowed: bool) -> None:
    with FetchTestServer(robots=status) as srv:
        expected = b"hello" if allowed else RobotsDisallowed
        assert _get_all(srv, ["/ok"]) == [expected]
        assert srv.hits["/ok"] == (1 if allowed else 0)


def test_robots_can_be_ignored_by_setting_or_per_call() -> None:
    with FetchTestServer(robots="User-agent: *\nDisallow: /\n") as srv:
        assert _get_all(srv, ["/ok"]) == [RobotsDisallowed]
        no_robots = replace(TEST_SETTINGS, respect_robots=False)
        assert _get_all(srv, ["/ok"], settings=no_robots) == [b"hello"]
        assert _get_all(srv, ["/ok"], check_robots=False) == [b"hello"]


def test_crawl_delay_spaces_requests_to_the_host() -> None:
    sleep = RecordingSleep()
    with FetchTestServer(robots="User-agent: *\nCrawl-delay: 5\n") as srv:

        async def go() -> None:
            async with Fetcher(TEST_SETTINGS, sleep=sleep) as f:
                for _ in range(3):
                    await f.get(srv.url("/ok"))

        asyncio.run(go())
    # RecordingSleep returns at once, so the third request's turn is two intervals away
    assert len(sleep.delays) == 2
    assert 4.0 < sleep.delays[0] <= 5.0 and 9.0 < sleep.delays[1] <= 10.0


def test_robots_fetch_is_capped_and_truncated() -> None:
    # a huge robots.txt is cut at 500 KiB and still parsed (RFC 9309 §2.5)
    big = "User-agent: *\nDisallow: /private\n" + "# padding\n" * 100_000
    with FetchTestServer(robots=big) as srv:
        assert _get_all(srv, ["/private/x", "/ok"]) == [RobotsDisallowed, b"hello"]


def test_blocked_host_reports_blocked_not_robots() -> None:
    with FetchTestServer(robots=ROBOTS) as srv:
        url = f"http://localhost:{srv.port}/ok"
        with pytest.raises(BlockedURLError):
            fetch(url, settings=replace(TEST_SETTINGS, allow_private=False))
