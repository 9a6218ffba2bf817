"""Benchmark the enrich stage on a real hub: SQLite index + record files on disk.

Targets (issue 3): add one article to a 100,000-article hub (load its window, index it,
cluster + related + heat, rewrite the affected record files, update the index) in < 1 s;
enrich 10,000 articles from scratch in < 60 s on this 2-core machine.

    .venv/bin/python bench/bench_enrich_hub.py                     # 100k hub + 10k scratch
    .venv/bin/python bench/bench_enrich_hub.py --articles 20000    # quicker
    .venv/bin/python bench/bench_enrich_hub.py --dir /tmp/hub100k  # keep the hub, reuse it

The synthetic articles (see ``bench_enrich.py``): a Zipf vocabulary, 600 subjects, 300-900
words each, 5% near-copies, 10 providers; spread evenly over ``--days`` (730: ~137 a day
at 100k, busier than the real hubs). Generation writes the record files without fsync and
the index in large transactions; it is setup, not measured, and takes minutes at 100k.
The last two weeks are then decided by ``enrich --recompute --since`` so the new
article's neighbours carry real related lists. Numbers are printed, nothing asserted.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from everyday.app import open_hub
from everyday.enrich_write import fingerprint
from everyday.enrichment import enrich_new, recompute
from everyday.hub import init_hub
from everyday.models import Article, Image, Provider, Record
from everyday.pipeline import Hub
from everyday.records.layout import format_record
from everyday.settings import load_settings

sys.path.insert(0, str(Path(__file__).parent))
from bench_enrich import synthetic

END = datetime(2024, 12, 31, tzinfo=UTC)
DOMAINS = [f"outlet{n}.example" for n in range(10)]


def make_article(n: int, title: str, text: str, when: datetime, rng: random.Random) -> Article:
    domain = rng.choice(DOMAINS)
    url = f"https://{domain}/news/{n}"
    record = Record(
        title=title or f"Article {n}",
        excerpt=" ".join(text.split()[:35]) + " ...",
        published=when.replace(microsecond=0),
        web_url=url,
        original_url=url,
        provider=Provider(domain.split(".")[0].title(), domain),
        topics=("AI",),
        images=(Image(f"https://{domain}/img/{n}.jpg", rng.choice((640, 1200)), 675, True),),
    )
    path = f"_news/{record.published.date().isoformat()}-article-{n}.md"
    return Article(
        record=record, path=path, text=text, first_seen=when, fingerprint=fingerprint(record)
    )


def generate(hub: Hub, count: int, days: int, seed: int = 7) -> list[Article]:
    """Store ``count`` undecided articles spread over ``days`` before END; return none kept."""
    rng = random.Random(seed)
    hub.news_dir.mkdir(parents=True, exist_ok=True)
    start = END - timedelta(days=days)
    batch: list[Article] = []
    for n, (item, title, text) in enumerate(synthetic(count, seed)):
        # bench_enrich spreads over 60 days: stretch its dates over ``days``
        offset = (item.published - datetime(2024, 1, 1, tzinfo=UTC)) / timedelta(days=60)
        article = make_article(n, title, text, start + timedelta(days=days) * offset, rng)
        (hub.settings.hub_dir / article.path).write_text(format_record(article.record))
        batch.append(article)
        if len(batch) == 5000 or n == count - 1:
            with hub.store.transaction():
                for a in batch:
                    hub.store.add_article(a)
            batch.clear()
            print(f"  generated {n + 1}", file=sys.stderr, flush=True)
    return batch


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_hub(base: Path, count: int, days: int) -> None:
    hub_dir = base / f"hub{count}"
    fresh = not (hub_dir / "everyday.toml").exists()
    if fresh:
        init_hub(hub_dir, sources=[])
    with open_hub(hub_dir, load_settings(hub_dir, env={})) as hub:
        if fresh:
            t = time.perf_counter()
            generate(hub, count, days)
            print(f"generated {count} articles in {time.perf_counter() - t:.0f} s")
            t = time.perf_counter()
            report = recompute(hub, END, since=END - timedelta(days=14), keyring=None)
            print(f"decided the last 14 days ({report.targets}) in {time.perf_counter() - t:.1f} s")
        print(f"hub: {hub.store.count_articles()} articles")
        rng = random.Random(99)
        recent = hub.store.get_articles(limit=1)[0]
        for attempt in range(3):
            n = count + 1000 + attempt
            text = recent.text if attempt == 2 else next(iter(synthetic(1, seed=1000 + attempt)))[2]
            article = make_article(n, f"New article {n}", text, END - timedelta(hours=2), rng)
            hub.news_dir.joinpath(Path(article.path).name).write_text(format_record(article.record))
            with hub.store.transaction():
                hub.store.add_article(article)
            t = time.perf_counter()
            report = enrich_new(hub, [article.record.web_url], END, keyring=None)
            took = time.perf_counter() - t
            kind = "a near-copy of the newest" if attempt == 2 else "a fresh article"
            print(
                f"add one ({kind}): {took * 1000:.0f} ms; window {report.considered} articles, "
                f"{len(report.rewritten)} record files rewritten, {len(report.demoted)} demoted"
            )
    print(f"peak RSS so far: {peak_rss_mb():.0f} MB")


def bench_scratch(base: Path, count: int) -> None:
    hub_dir = base / f"scratch{count}"
    shutil.rmtree(hub_dir, ignore_errors=True)
    init_hub(hub_dir, sources=[])
    with open_hub(hub_dir, load_settings(hub_dir, env={})) as hub:
        generate(hub, count, days=max(14, count // 137))
        phases: dict[str, float] = {}
        last = [time.perf_counter(), "load"]

        def on_event(kind: str, data: dict[str, object]) -> None:
            if kind == "phase":
                now = time.perf_counter()
                phases[str(last[1])] = phases.get(str(last[1]), 0) + now - float(last[0])
                last[:] = [now, str(data["name"])]

        t = time.perf_counter()
        report = recompute(hub, END, keyring=None, on_event=on_event)
        took = time.perf_counter() - t
        phases[str(last[1])] = time.perf_counter() - float(last[0])
    shown = ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
    print(
        f"enrich {count} from scratch: {took:.1f} s ({shown}); "
        f"{len(report.rewritten)} files written, {report.published} published"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--articles", type=int, default=100_000, help="size of the big hub (0: skip)"
    )
    parser.add_argument("--days", type=int, default=730, help="days the big hub spans")
    parser.add_argument(
        "--scratch", type=int, default=10_000, help="articles enriched at once (0: skip)"
    )
    parser.add_argument("--dir", type=Path, help="where the hubs live (kept; default: temp)")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="everyday-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        if args.scratch:
            bench_scratch(base, args.scratch)
        if args.articles:
            bench_hub(base, args.articles, args.days)
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
