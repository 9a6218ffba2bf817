"""Benchmark: one pass of 200 conditional GETs of unchanged feeds through Fetcher.

Run with ``python bench/bench_fetch.py``. Starts loopback servers whose /feeds/<n> answer
304 to a matching If-None-Match, then times ``asyncio.gather`` over 200 ``Fetcher.get``
calls (robots.txt checked too, as in real use). Three layouts:

* one host, ``per_host`` raised to the global ``concurrency`` (best case for one host);
* one host with the default ``per_host`` (what 200 feeds on one real site would get);
* ten loopback hosts (127.0.0.1 .. 127.0.0.10), 20 feeds each, default limits.

Target: well under 10 s per pass.
"""

from __future__ import annotations

import asyncio
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from everyday.fetch.http import Fetcher
from everyday.settings import FetchSettings
from fetch_servers import FEED_ETAG, FetchTestServer

FEEDS = 200
TARGET_SECONDS = 10.0


async def one_pass(settings: FetchSettings, urls: list[str]) -> tuple[float, int]:
    """Seconds for one pass over ``urls`` and how many came back 304."""
    async with Fetcher(settings) as fetcher:
        started = time.perf_counter()
        responses = await asyncio.gather(*(fetcher.get(u, etag=FEED_ETAG) for u in urls))
        elapsed = time.perf_counter() - started
    return elapsed, sum(r.not_modified for r in responses)


def run(label: str, settings: FetchSettings, hosts: list[str]) -> float:
    """Start one server per host, spread the feeds over them, and time one pass."""
    with ExitStack() as stack:
        servers = [stack.enter_context(FetchTestServer(host=h)) for h in hosts]
        urls = [servers[i % len(servers)].url(f"/feeds/{i}") for i in range(FEEDS)]
        elapsed, unchanged = asyncio.run(one_pass(settings, urls))
    verdict = "ok" if elapsed < TARGET_SECONDS and unchanged == FEEDS else "SLOW/FAIL"
    print(
        f"{label:<44} {elapsed:6.3f} s  {FEEDS / elapsed:7.0f} req/s  "
        f"304s={unchanged}/{FEEDS}  per_host={settings.per_host} "
        f"concurrency={settings.concurrency}  [{verdict}]"
    )
    return elapsed


def main() -> int:
    base = replace(FetchSettings(), allow_private=True)
    one_host = ["127.0.0.1"]
    ten_hosts = [f"127.0.0.{i}" for i in range(1, 11)]
    print(f"{FEEDS} unchanged feeds, one conditional GET each (target < {TARGET_SECONDS:g} s)")
    times = [
        run("one host, per_host raised", replace(base, per_host=base.concurrency), one_host),
        run("one host, default per_host", base, one_host),
        run("ten loopback hosts, default limits", base, ten_hosts),
    ]
    return 0 if max(times) < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
