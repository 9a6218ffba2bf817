"""A pass against hostile sources and article links: each failure is reported once with a
reason, the pass goes on, and records already stored do not change."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import loopback_settings
from everyday.app import open_hub
from everyday.demo.newswire import Newswire
from everyday.pipeline import run_pass
from everyday.records.files import iter_record_files
from everyday.settings import Settings, with_overrides
from everyday.summary import RunSummary
from fetch_servers import FetchTestServer

HOSTILE_LINKS = ("/bomb", "/endless", "/loop/a", "/status/500", "/status/410", "/huge-length")


@pytest.fixture
def hostile() -> Iterator[FetchTestServer]:
    with FetchTestServer() as server:
        yield server


@pytest.fixture
def trap_feed(hostile: FetchTestServer) -> Iterator[str]:
    """An RSS feed on its own server whose items all link to hostile pages."""
    items = "".join(
        f"<item><title>Trap {n}</title><link>{hostile.url(path)}</link></item>"
        for n, path in enumerate(HOSTILE_LINKS)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Traps</title>{items}</channel></rss>'

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/traps.xml"
    server.shutdown()
    server.server_close()


def strict(settings: Settings) -> Settings:
    """Small caps so the hostile routes trip them quickly."""
    return with_overrides(
        settings,
        "fetch",
        max_body_bytes=1_000_000,
        max_decompressed_bytes=2_000_000,
        timeout=3.0,
        retries=0,
    )


def run(hub_dir: Path, settings: Settings) -> RunSummary:
    with open_hub(hub_dir, settings) as hub:
        return asyncio.run(run_pass(hub, datetime.now(UTC), all_sources=True))


def snapshot(hub_dir: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in iter_record_files(hub_dir / "_news")}


def test_hostile_sources_fail_alone_and_stored_records_stay(
    hub_dir: Path, newswire: Newswire, hostile: FetchTestServer, trap_feed: str
) -> None:
    settings = loopback_settings(hub_dir, newswire)
    first = run(hub_dir, settings)
    assert len(first.new) >= 50
    before = snapshot(hub_dir)

    bad_sources = [
        hostile.url(p)
        for p in ("/bomb", "/endless", "/loop/a", "/status/503", "/status/410", "/ok")
    ]
    settings = replace(strict(settings), sources=(*settings.sources, *bad_sources, trap_feed))
    second = run(hub_dir, settings)

    failed = second.sources_failed
    assert "TooLargeError" in failed[hostile.url("/bomb")]
    assert "TooLargeError" in failed[hostile.url("/endless")]
    assert "TooManyRedirects" in failed[hostile.url("/loop/a")]
    assert "503" in failed[hostile.url("/status/503")]
    assert "410" in failed[hostile.url("/status/410")]
    assert "ParseError" in failed[hostile.url("/ok")]  # plain text where a feed should be
    skipped = second.skipped
    assert "TooLargeError" in skipped[hostile.url("/bomb")]
    assert "TooManyRedirects" in skipped[hostile.url("/loop/a")]
    assert "http-500" in skipped[hostile.url("/status/500")]
    assert "http-410" in skipped[hostile.url("/status/410")]
    assert "TooLargeError" in skipped[hostile.url("/huge-length")]
    assert second.new == [] and second.updated == []
    assert snapshot(hub_dir) == before


def test_private_addresses_are_blocked_unless_allowed(hub_dir: Path, newswire: Newswire) -> None:
    settings = with_overrides(loopback_settings(hub_dir, newswire), "fetch", allow_private=False)
    summary = run(hub_dir, settings)
    assert summary.new == []
    assert set(summary.sources_failed) == set(settings.sources)
    assert all("BlockedURLError" in r for r in summary.sources_failed.values())
    assert snapshot(hub_dir) == {}
