"""Fetcher against real loopback servers: conditional GET, caps, redirects, retries, limits."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from everyday.errors import (
    BlockedURLError,
    FetchError,
    HTTPStatusError,
    TimeoutError_,
    TooLargeError,
    TooManyRedirects,
)
from everyday.fetch.hosts import (
    MAX_CRAWL_DELAY,
    HostLimiter,
    backoff_delay,
    is_retryable_status,
    next_start,
    parse_retry_after,
)
from everyday.fetch.http import Fetcher, Response, decode_text
from fetch_servers import (
    FEED_ETAG,
    FEED_LAST_MODIFIED,
    TEST_SETTINGS,
    FetchTestServer,
    RecordingSleep,
    fetch,
)


@pytest.fixture
def server() -> Iterator[FetchTestServer]:
    with FetchTestServer() as srv:
        yield srv


def _page_hits(srv: FetchTestServer) -> int:
    return sum(n for path, n in srv.hits.items() if path != "/robots.txt")


# --- plain and conditional GET ---------------------------------------------------------------


def test_ok_response_fields_and_request_headers(server: FetchTestServer) -> None:
    r = fetch(server.url("/ok"), accept="text/plain")
    assert (r.status, r.content, r.not_modified) == (200, b"hello", False)
    assert r.url == r.final_url == server.url("/ok")
    assert r.content_type == "text/plain" and r.charset is None
    assert r.headers["content-length"] == "5"
    sent = dict(server.requests)["/ok"]
    assert sent["user-agent"] == TEST_SETTINGS.user_agent
    assert "gzip" in sent["accept-encoding"] and sent["accept"] == "text/plain"


def test_first_download_returns_validators(server: FetchTestServer) -> None:
    r = fetch(server.url("/feed"))
    assert r.status == 200 and r.content.startswith(b"<?xml")
    assert (r.etag, r.last_modified) == (FEED_ETAG, FEED_LAST_MODIFIED)


def test_etag_gives_304_not_modified(server: FetchTestServer) -> None:
    r = fetch(server.url("/feed"), etag=FEED_ETAG)
    assert (r.status, r.not_modified, r.content, r.etag) == (304, True, b"", FEED_ETAG)
    assert dict(server.requests)["/feed"]["if-none-match"] == FEED_ETAG


def test_last_modified_gives_304(server: FetchTestServer) -> None:
    r = fetch(server.url("/feed"), last_modified=FEED_LAST_MODIFIED)
    assert r.not_modified and r.last_modified == FEED_LAST_MODIFIED


def test_stale_etag_gets_full_body(server: FetchTestServer) -> None:
    r = fetch(server.url("/feed"), etag='"old"')
    assert not r.not_modified and r.content


def test_gzip_and_raw_deflate_are_decoded(server: FetchTestServer) -> None:
    assert fetch(server.url("/gzip")).content == b"squeezed " * 100
    assert fetch(server.url("/deflate-raw")).content == b"raw deflate " * 50


# --- caps and deadlines ----------------------------------------------------------------------


def test_slow_headers_time_out_after_retries(server: FetchTestServer) -> None:
    sleep = RecordingSleep()
    with pytest.raises(TimeoutError_) as info:
        fetch(server.url("/slow-headers"), sleep=sleep)
    assert info.value.url == server.url("/slow-headers")
    assert server.hits["/slow-headers"] == TEST_SETTINGS.retries + 1
    assert len(sleep.delays) == TEST_SETTINGS.retries


def test_dribbling_body_hits_the_overall_deadline_once(server: FetchTestServer) -> None:
    with pytest.raises(TimeoutError_, match="no complete answer"):
        fetch(server.url("/dribble"))
    assert server.hits["/dribble"] == 1


def test_endless_body_is_cut_at_the_cap(server: FetchTestServer) -> None:
    with pytest.raises(TooLargeError, match="body over"):
        fetch(server.url("/endless"))


def test_announced_huge_length_is_refused(server: FetchTestServer) -> None:
    with pytest.raises(TooLargeError, match="Content-Length"):
        fetch(server.url("/huge-length"))


def test_gzip_bomb_is_refused_by_decoded_cap(server: FetchTestServer) -> None:
    with pytest.raises(TooLargeError, match="decoded"):
        fetch(server.url("/bomb"))


def test_max_bytes_lowers_the_cap_per_call(server: FetchTestServer) -> None:
    with pytest.raises(TooLargeError):
        fetch(server.url("/ok"), max_bytes=3)


# --- redirects -------------------------------------------------------------------------------


def test_redirect_chain_within_limit_is_followed(server: FetchTestServer) -> None:
    r = fetch(server.url(f"/chain/{TEST_SETTINGS.max_redirects}"))
    assert r.content == b"end of chain" and r.final_url == server.url("/chain/0")
    assert r.url == server.url(f"/chain/{TEST_SETTINGS.max_redirects}")


def test_redirect_chain_over_limit(server: FetchTestServer) -> None:
    with pytest.raises(TooManyRedirects, match="more than"):
        fetch(server.url(f"/chain/{TEST_SETTINGS.max_redirects + 1}"))


def test_redirect_loop_is_detected(server: FetchTestServer) -> None:
    with pytest.raises(TooManyRedirects, match="loop"):
        fetch(server.url("/loop/a"))
    assert server.hits["/loop/a"] == 1 and server.hits["/loop/b"] == 1


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.org/x", "gopher://x/"])
def test_redirect_to_other_scheme_is_blocked(server: FetchTestServer, target: str) -> None:
    with pytest.raises(BlockedURLError, match="scheme"):
        fetch(server.url(f"/redirect?to={target}"))


# --- retries and status errors ---------------------------------------------------------------


def test_retry_after_is_honoured_then_success(server: FetchTestServer) -> None:
    sleep = RecordingSleep()
    r = fetch(server.url("/retry?status=429&fail=1&after=7"), sleep=sleep)
    assert r.content == b"recovered" and sleep.delays == [7.0]


def test_retry_after_beyond_limit_fails_at_once(server: FetchTestServer) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(server.url("/retry?status=429&fail=1&after=120"), sleep=RecordingSleep())
    assert info.value.status == 429 and info.value.retry_after == 120.0  # type: ignore[attr-defined]
    assert server.hits["/retry"] == 1


def test_503_twice_then_ok_with_growing_backoff(server: FetchTestServer) -> None:
    sleep = RecordingSleep()
    r = fetch(server.url("/retry?status=503&fail=2"), sleep=sleep)
    assert r.content == b"recovered" and server.hits["/retry"] == 3
    assert len(sleep.delays) == 2 and sleep.delays[1] > sleep.delays[0]


def test_5xx_beyond_retries_raises_with_status(server: FetchTestServer) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(server.url("/retry?status=502&fail=9"), sleep=RecordingSleep())
    assert info.value.status == 502 and server.hits["/retry"] == TEST_SETTINGS.retries + 1


@pytest.mark.parametrize("status", [404, 410, 403, 400])
def test_client_errors_are_not_retried(server: FetchTestServer, status: int) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(server.url(f"/status/{status}"))
    assert info.value.status == status and server.hits[f"/status/{status}"] == 1


def test_connection_refused_is_a_fetch_error_after_retries() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleep = RecordingSleep()
    with pytest.raises(FetchError, match="connection failed"):
        fetch(f"http://127.0.0.1:{port}/", sleep=sleep, check_robots=False)
    assert len(sleep.delays) == TEST_SETTINGS.retries


def test_get_outside_context_manager_fails_clearly() -> None:
    async def go() -> None:
        await Fetcher(TEST_SETTINGS).get("http://127.0.0.1:9/", check_robots=False)

    with pytest.raises(FetchError, match="async with"):
        asyncio.run(go())


# --- concurrency -----------------------------------------------------------------------------


def _parallel(srv: FetchTestServer, n: int, *, per_host: int, concurrency: int) -> int:
    settings = replace(
        TEST_SETTINGS,
        timeout=5.0,
        respect_robots=False,
        per_host=per_host,
        concurrency=concurrency,
    )

    async def go() -> None:
        async with Fetcher(settings) as f:
            await asyncio.gather(*(f.get(srv.url(f"/pause?i={i}")) for i in range(n)))

    asyncio.run(go())
    return srv.max_active


def test_per_host_limit_serialises_one_host(server: FetchTestServer) -> None:
    assert _parallel(server, 4, per_host=1, concurrency=8) == 1


def test_global_limit_caps_all_hosts(server: FetchTestServer) -> None:
    assert _parallel(server, 4, per_host=8, concurrency=1) == 1


def test_requests_overlap_when_limits_allow(server: FetchTestServer) -> None:
    assert _parallel(server, 4, per_host=4, concurrency=8) > 1


def test_host_interval_spaces_request_starts() -> None:
    sleep = RecordingSleep()
    clock = iter([100.0, 100.0, 100.5]).__next__
    limiter = HostLimiter(4, 4, sleep=sleep, clock=clock)
    limiter.set_interval("Example.org", 2.0)

    async def go() -> None:
        for _ in range(3):
            async with limiter.slot("example.org"):
                pass

    asyncio.run(go())
    # starts at 100, 102, 104: waits 0, 2.0 (at 100.0) and 3.5 (at 100.5)
    assert sleep.delays == [2.0, 3.5]


def test_host_interval_is_capped_and_clearable() -> None:
    limiter = HostLimiter(1, 1)
    limiter.set_interval("a.example", 3600)
    assert limiter.interval("a.example") == MAX_CRAWL_DELAY
    limiter.set_interval("a.example", None)
    assert limiter.interval("a.example") == 0.0


def test_next_start_is_pure() -> None:
    assert next_start(10.0, None, 2.0) == (10.0, 12.0)
    assert next_start(10.0, 11.0, 2.0) == (11.0, 13.0)
    assert next_start(10.0, 5.0, 2.0) == (10.0, 12.0)


# --- retry policy, pure ----------------------------------------------------------------------


def test_retry_after_parsing() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_doubles_with_bounded_jitter() -> None:
    assert [backoff_delay(a, 0.5, 0.0) for a in range(3)] == [0.5, 1.0, 2.0]
    assert backoff_delay(1, 0.5, 0.999) < 1.25
    assert is_retryable_status(429) and is_retryable_status(503)
    assert not is_retryable_status(404) and not is_retryable_status(403)


# --- text decoding ---------------------------------------------------------------------------


def test_latin1_labelled_utf8_decodes_without_crashing(server: FetchTestServer) -> None:
    r = fetch(server.url("/latin1-as-utf8"))
    assert r.charset == "utf-8" and decode_text(r) == "café"


def test_unlabelled_cp1252(server: FetchTestServer) -> None:
    assert decode_text(fetch(server.url("/cp1252-unlabelled"))) == "\u201cquoted\u201d café"


def test_meta_charset_is_sniffed(server: FetchTestServer) -> None:
    assert "naïve" in decode_text(fetch(server.url("/meta-charset")))


def _response(content: bytes, charset: str | None = None) -> Response:
    return Response(
        url="http://x/",
        final_url="http://x/",
        status=200,
        headers={},
        content=content,
        etag=None,
        last_modified=None,
        content_type="text/html",
        charset=charset,
        not_modified=False,
        elapsed=0.0,
    )


@pytest.mark.parametrize(
    ("content", "charset", "expected"),
    [
        ("héllo".encode("utf-16"), None, "héllo"),
        (b"\xef\xbb\xbfh\xc3\xa9", "iso-8859-1", "hé"),  # BOM beats the header
        ('<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1"), None, None),
        (b"plain \xff\xfe\xfd", "x-no-such-charset", None),
        (b'<meta charset="utf-16"><p>ok</p>', None, '<meta charset="utf-16"><p>ok</p>'),
        ("Grüße".encode("koi8-r", errors="replace"), "koi8-r", None),
    ],
)
def test_decode_text_never_crashes(
    content: bytes, charset: str | None, expected: str | None
) -> None:
    text = decode_text(_response(content, charset))
    assert isinstance(text, str) and text
    if expected is not None:
        assert text == expected
