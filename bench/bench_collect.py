"""Benchmark: the first full pass of the sample newswire (issue #2 target: under 60 s).

Every article page, lead image and provider feed is fetched over loopback, extracted,
turned into a record and written; the second pass is all 304s.

    python bench/bench_collect.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from everyday.app import open_hub
from everyday.demo.newswire import Newswire
from everyday.hub import init_hub
from everyday.pipeline import run_pass
from everyday.settings import load_settings, with_overrides


def main() -> None:
    with Newswire() as wire, tempfile.TemporaryDirectory() as tmp:
        hub_dir = init_hub(Path(tmp) / "hub", sources=wire.feed_urls)
        settings = with_overrides(
            load_settings(hub_dir, env={}), "fetch", allow_private=True, hosts=tuple(wire.hosts)
        )
        for label in ("first full pass", "second pass"):
            with open_hub(hub_dir, settings) as hub:
                start = time.perf_counter()
                summary = asyncio.run(run_pass(hub, all_sources=True))
                elapsed = time.perf_counter() - start
            c = summary.counts()
            print(
                f"{label}: {elapsed:.2f} s  new={c['new']} skipped={c['skipped']} "
                f"unchanged={c['sources_unchanged']}"
            )


if __name__ == "__main__":
    main()
