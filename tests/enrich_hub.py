"""Test helpers for the enrich stage: a hub on disk with hand-made articles (no network)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from everyday.app import open_hub
from everyday.enrich_write import fingerprint
from everyday.hub import init_hub
from everyday.models import Article, Image, Provider, Record
from everyday.pipeline import Hub
from everyday.records.files import write_record
from everyday.saving import claim_path
from everyday.settings import load_settings

NOW = datetime(2024, 5, 10, 12, tzinfo=UTC)
_SYLLABLES = [
    "ba",
    "ko",
    "ri",
    "tem",
    "lun",
    "sa",
    "vor",
    "mi",
    "den",
    "pra",
    "ul",
    "gos",
    "fe",
    "nar",
    "ti",
]
# Invented filler words: many of them, so two articles share few unless on one subject.
FILLER = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:10]]

_FUNCTION_TEXT = "the of and to a in is that for it on with as was are by this at from"
FUNCTION_WORDS = _FUNCTION_TEXT.split()

SUBJECTS = {
    "chip": "halvorsen accelerator chip memory bandwidth racks liquid cooling wafer foundry "
    "transistor inference training cluster gigabytes throughput silicon package",
    "robotaxi": "brightway robotaxi driverless vehicle intersection crash regulators permit "
    "sensors lidar pedestrians fleet downtown collision safety driver lane",
    "scanner": "aster mammography radiologists screening cancer reading study hospital "
    "patients biopsy imaging detection clinicians trial recall breast",
    "weather": "forecast rainfall storm ensemble meteorologists atmospheric pressure "
    "hurricane satellite temperature humidity simulation grid",
}


def body(subject: str, seed: int, words: int = 400) -> str:
    """An invented article text: a subject's vocabulary mixed with filler, in paragraphs."""
    rng = random.Random(seed)
    vocab = SUBJECTS[subject].split()
    tokens = []
    for _ in range(words):
        roll = rng.random()
        pool = FUNCTION_WORDS if roll < 0.3 else vocab if roll < 0.6 else FILLER
        tokens.append(rng.choice(pool))
    paragraphs = [" ".join(tokens[i : i + 60]) + "." for i in range(0, len(tokens), 60)]
    return "\n\n".join(paragraphs)


@contextmanager
def open_test_hub(hub_dir: Path, **site: object) -> Iterator[Hub]:
    """Open (creating if needed) a hub without sources; ``site`` overrides [site] values."""
    if not (hub_dir / "everyday.toml").exists():
        init_hub(hub_dir, sources=[])
    settings = load_settings(hub_dir, env={})
    if site:
        from everyday.settings import with_overrides

        settings = with_overrides(settings, "site", **site)
    with open_hub(hub_dir, settings) as hub:
        yield hub


def add_article(
    hub: Hub,
    title: str,
    text: str,
    *,
    hours: float = 0.0,
    domain: str = "example.com",
    image_width: int | None = 1200,
    slug: str | None = None,
    excerpt: str | None = None,
) -> Article:
    """Store one article the way a pass does: record file first, then the index."""
    slug = slug or title.lower().replace(" ", "-")[:40]
    record = Record(
        title=title,
        excerpt=excerpt if excerpt is not None else " ".join(text.split()[:30]) + " ...",
        published=NOW - timedelta(hours=hours),
        web_url=f"https://{domain}/news/{slug}",
        original_url=f"https://{domain}/news/{slug}",
        provider=Provider(name=domain.split(".")[0].title(), domain=domain),
        topics=("AI",),
        images=(Image(f"https://{domain}/{slug}.jpg", image_width, 675, True),)
        if image_width
        else (),
    )
    path = claim_path(hub, record)
    write_record(hub.news_dir, Path(path).name, record)
    article = Article(
        record=record, path=path, text=text, first_seen=NOW, fingerprint=fingerprint(record)
    )
    with hub.store.transaction():
        hub.store.add_article(article)
    return article


def stored(hub: Hub, url: str) -> Record:
    """The record as the index holds it now."""
    article = hub.store.get_article(url)
    assert article is not None, url
    return article.record


def chip_story_hub(hub_dir: Path) -> Path:
    """A hub with a two-article chip story (a held-back first take and the stronger one
    that came later) and one other story, all decided."""
    from everyday.enrichment import enrich_new

    with open_test_hub(hub_dir) as hub:
        a = add_article(hub, "Halvorsen H7 chip ships", body("chip", 1), hours=30)
        text = body("chip", 1) + "\n\n" + body("chip", 4, words=1000)
        b = add_article(hub, "Inside Halvorsen's new GPU racks", text, hours=5)
        c = add_article(hub, "Storm forecast for the coast", body("weather", 3), hours=10)
        enrich_new(hub, [a.record.web_url, b.record.web_url, c.record.web_url], NOW, keyring=None)
    return hub_dir
