"""Benchmark: a pass over 200 local feeds of 50 items each, all unchanged (304s).

Issue #2 target: under 10 s on a 2-core machine. The first pass stores the 10,000 items
from feed data alone (no page fetches) so the timed second pass is purely the polling:
200 conditional GETs answered 304, schedules updated, nothing parsed, nothing written.

    python bench/bench_poll.py [--feeds 200] [--items 50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from everyday.app import open_hub
from everyday.hub import init_hub
from everyday.pipeline import run_pass
from everyday.settings import load_settings, with_overrides

NOW = datetime.now(UTC).replace(microsecond=0)


def feed_xml(n: int, items: int) -> bytes:
    entries = []
    for i in range(items):
        when = format_datetime(NOW - timedelta(minutes=10 * i + n))
        entries.append(
            f"<item><title>Feed {n} story {i} about machine learning chips</title>"
            f"<link>http://127.0.0.1:{{port}}/a/{n}/{i}</link>"
            f"<description>Story {i} of feed {n}: a new AI chip and a model.</description>"
            f"<pubDate>{when}</pubDate></item>"
        )
    body = f"<rss version='2.0'><channel><title>Feed {n}</title>{''.join(entries)}</channel></rss>"
    return body.encode()


class Handler(BaseHTTPRequestHandler):
    feeds: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.feeds.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    Handler.feeds = {
        f"/feed/{n}.xml": feed_xml(n, args.items).replace(b"{port}", str(port).encode())
        for n in range(args.feeds)
    }
    threading.Thread(target=server.serve_forever, daemon=True).start()
    urls = [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(args.feeds)]
    with tempfile.TemporaryDirectory() as tmp:
        hub_dir = init_hub(Path(tmp) / "hub", sources=urls)
        settings = load_settings(hub_dir, env={})
        settings = with_overrides(
            settings, "fetch", allow_private=True, per_host=16, respect_robots=False
        )
        settings = with_overrides(settings, "collect", fetch_pages=False, cache_images=False)
        for label in ("first pass (stores the items)", "second pass (all 304)"):
            with open_hub(hub_dir, settings) as hub:
                start = time.perf_counter()
                summary = asyncio.run(run_pass(hub, all_sources=True))
                elapsed = time.perf_counter() - start
            c = summary.counts()
            print(
                f"{label}: {elapsed:.2f} s  new={c['new']} unchanged={c['sources_unchanged']}"
                f" failed={c['sources_failed']}"
            )
    server.shutdown()


if __name__ == "__main__":
    main()
