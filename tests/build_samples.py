"""Invented hubs of many records for the build tests and ``bench/bench_build.py``.

Records get made-up titles and excerpts, topics of the default AI taxonomy, a few hundred
outlets, images (some cached by the hub), related links to each other and heat/quality, and
are written as record files exactly as the pipeline writes them (``format_record``).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from everyday.hub import init_hub
from everyday.models import Image, Provider, Record, Related
from everyday.records.frontmatter import format_record
from everyday.records.slug import record_filename
from everyday.settings import Settings, load_settings, with_overrides
from everyday.taxonomy import Taxonomy, load_taxonomy

START = datetime(2023, 1, 1, 6, 0, tzinfo=UTC)
STEP = timedelta(minutes=7)
WORDS = [
    "model",
    "training",
    "dataset",
    "benchmark",
    "robot",
    "vision",
    "transformer",
    "chip",
    "policy",
    "regulation",
    "startup",
    "funding",
    "agent",
    "chatbot",
    "research",
    "lab",
    "open",
    "source",
    "cloud",
    "inference",
    "safety",
    "compiler",
    "memory",
    "cluster",
    "sensor",
    "drone",
    "hospital",
    "bank",
    "school",
    "court",
    "factory",
]
VERBS = ("launches", "tests", "delays", "opens", "buys", "trains", "ships", "rethinks")


def make_hub(root: Path, *, page_size: int = 20, paging: str = "seed") -> tuple[Settings, Taxonomy]:
    """A hub with the default AI taxonomy and no records yet."""
    hub = init_hub(root, title="Bench Every Day", sources=[])
    settings = load_settings(hub, env={})
    settings = with_overrides(settings, "site", page_size=page_size)
    settings = with_overrides(settings, "publish", paging=paging)
    return settings, load_taxonomy(hub, settings.site.topic)


def make_record(n: int, taxonomy: Taxonomy, *, outlets: int = 300, **changes: object) -> Record:
    """Record number ``n``: seven minutes after ``n - 1``; most are published."""
    rng = random.Random(n)
    topics = [t.name for t in taxonomy.topics if t.name != taxonomy.root]
    words = rng.sample(WORDS, 8)
    outlet = n % outlets
    domain = f"outlet{outlet}.example.com"
    published = START + n * STEP
    related = tuple(
        Related(
            title=f"Earlier take {m} on {words[5]}",
            excerpt=f"What outlet {m % outlets} said about {words[6]}.",
            published=START + m * STEP,
            web_url=f"https://outlet{m % outlets}.example.com/news/{m}",
            provider=Provider(f"Outlet {m % outlets}", f"outlet{m % outlets}.example.com"),
            quality=50 + m % 40,
        )
        for m in sorted({max(0, n - rng.randrange(1, 60)) for _ in range(n % 3)})
        if m != n
    )
    values: dict[str, object] = {
        "title": f"{words[0].title()} {VERBS[n % len(VERBS)]} {words[1]} {words[2]} ({n})",
        "excerpt": " ".join([*words, *rng.choices(WORDS, k=30)]).capitalize() + ".",
        "published": published,
        "web_url": f"https://{domain}/news/{n}",
        "original_url": f"https://{domain}/news/{n}?utm_source=feed",
        "provider": Provider(
            f"Outlet {outlet}", domain, (Image(f"https://{domain}/logo-50x50.png", 50, 50),)
        ),
        "quality": 40 + (n * 7) % 60,
        "heat": 30 + (n * 13) % 70,
        "is_published": n % 10 != 0,
        "topics": (taxonomy.root, *rng.sample(topics, 1 + n % 2)),
        "images": (Image(f"https://img.example.net/{n}.jpg", 1200, 675, n % 4 == 0),),
        "related": related or None,
    }
    values.update(changes)
    return Record(**values)  # type: ignore[arg-type]


def record_path(record: Record) -> str:
    """The record's file name in ``_news``."""
    return record_filename(record.published.date(), record.title)


def write_records(settings: Settings, records: list[Record]) -> list[Path]:
    """Write record files the way the pipeline does; return their paths."""
    folder = settings.hub_dir / settings.storage.news_dir
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in records:
        path = folder / record_path(record)
        path.write_text(format_record(record), encoding="utf-8")
        paths.append(path)
    return paths


def fill(settings: Settings, taxonomy: Taxonomy, count: int, start: int = 1) -> list[Record]:
    """Write records ``start .. start+count-1``."""
    records = [make_record(n, taxonomy) for n in range(start, start + count)]
    write_records(settings, records)
    return records


def cache_images(settings: Settings, records: list[Record]) -> int:
    """Put a small file in the hub's image cache for each record image marked cached."""
    from everyday.enrich.images import cache_name

    folder = settings.path(settings.storage.assets_dir) / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for record in records:
        for image in record.images:
            if image.is_cached:
                (folder / cache_name(image.url, "jpg")).write_bytes(
                    b"\xff\xd8jpeg" + image.url.encode()
                )
                count += 1
    return count


def clusters_of(records: list[Record], every: int = 5) -> dict[str, str]:
    """Story clusters: every ``every``-th record joins the story of the record before it."""
    clusters = {}
    for i, record in enumerate(records):
        if i and i % every == 0:
            story = f"story-{i}"
            clusters[f"_news/{record_path(records[i - 1])}"] = story
            clusters[f"_news/{record_path(record)}"] = story
    return clusters


def retitled(record: Record, title: str) -> Record:
    """The same record with another title (its file keeps its name)."""
    return replace(record, title=title)


def spy(monkeypatch: Any, owner: Any, name: str) -> list[tuple[Any, ...]]:
    """Record the arguments of every call to ``owner.name`` (which still runs)."""
    calls: list[tuple[Any, ...]] = []
    real = getattr(owner, name)

    def recording(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(owner, name, recording)
    return calls
