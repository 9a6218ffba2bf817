"""End to end: the sample newswire on 127.0.0.1 -> a pass -> record files + index."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image as PILImage

from conftest import loopback_settings
from everyday.app import open_hub
from everyday.demo.content import WireArticle
from everyday.demo.newswire import Newswire
from everyday.enrich.images import cache_name
from everyday.errors import ConfigError
from everyday.pipeline import run_pass
from everyday.records.check import check_tree
from everyday.records.files import iter_record_files, read_record
from everyday.settings import Settings, load_settings, with_overrides
from everyday.summary import RunSummary


def run(hub_dir: Path, settings: Settings, **kwargs: object) -> RunSummary:
    with open_hub(hub_dir, settings) as hub:
        return asyncio.run(run_pass(hub, datetime.now(UTC), all_sources=True, **kwargs))  # type: ignore[arg-type]


def good_articles(newswire: Newswire) -> list:
    """The wire's articles except those only announced by its truncated feed."""
    broken = {b.provider for b in newswire.broken_items if b.kind == "malformed-feed"}
    return [a for a in newswire.articles if a.provider not in broken]


def records(hub_dir: Path) -> dict[str, Path]:
    return {read_record(p).web_url: p for p in iter_record_files(hub_dir / "_news")}


def test_first_pass_stores_every_good_article(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    summary = run(hub_dir, settings)
    stored = records(hub_dir)
    assert len(summary.new) == len(stored) >= 50
    # every article the wire published is there once, but for those of the truncated feed
    wire_urls = {a.canonical_url for a in good_articles(newswire)}
    assert wire_urls <= set(stored), wire_urls - set(stored)
    assert check_tree(hub_dir / "_news") == []
    with open_hub(hub_dir, settings) as hub:
        assert hub.store.count_articles() == len(stored)


def test_records_carry_provider_topics_and_real_image_sizes(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    run(hub_dir, settings)
    by_url = {read_record(p).web_url: read_record(p) for p in iter_record_files(hub_dir / "_news")}
    cached = 0
    for article in good_articles(newswire):
        record = by_url[article.canonical_url]
        assert record.topics[0] == "AI"
        if article.canonical_url == article.url:  # not a copy pointing at its original
            assert record.title == article.title
        assert record.provider.name
        assert record.excerpt and len(record.excerpt) <= 320
        assert record.published.tzinfo is not None
        if record.images and record.images[0].is_cached:
            img = record.images[0]
            path = (
                hub_dir
                / "assets/images/cache"
                / cache_name(img.url, Path(img.url).suffix[1:] or "jpg")
            )
            with PILImage.open(next(path.parent.glob(path.stem + ".*"))) as real:
                assert real.size == (img.width, img.height)
            cached += 1
    assert cached >= len(newswire.articles) // 2


def test_broken_items_are_skipped_with_reasons(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    summary = run(hub_dir, settings)
    reasons = " ".join(summary.skipped.values())
    assert "http-404" in reasons
    assert "not an HTML page" in reasons
    assert "RobotsDisallowed" in reasons
    malformed = next(b for b in newswire.broken_items if b.kind == "malformed-feed")
    # feedparser recovers the truncated feed's items: a warning on the source, not a failure
    assert any(w.startswith(malformed.url) and "well-formed" in w for w in summary.warnings)
    bad_image = next(b for b in newswire.broken_items if b.kind == "bad-image")
    stored = [read_record(p) for p in iter_record_files(hub_dir / "_news")]
    with_bad = [r for r in stored if r.images and r.images[0].url == bad_image.url]
    assert with_bad and with_bad[0].images[0].is_cached is False


def test_second_pass_finds_nothing_and_writes_nothing(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    run(hub_dir, settings)
    before = {p: p.stat().st_mtime_ns for p in iter_record_files(hub_dir / "_news")}
    newswire.request_log.clear()
    summary = run(hub_dir, settings)
    assert summary.new == [] and summary.updated == []
    assert summary.sources_unchanged == len(newswire.feed_urls) - len(summary.sources_failed)
    assert {p: p.stat().st_mtime_ns for p in iter_record_files(hub_dir / "_news")} == before
    feed_requests = [h for _, path, h in newswire.request_log if "feed" in path or "atom" in path]
    assert feed_requests and all("if-none-match" in {k.lower() for k in h} for h in feed_requests)


def test_new_articles_on_the_wire_are_picked_up_once(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    run(hub_dir, settings)
    fresh = newswire.publish_more(3)
    summary = run(hub_dir, settings)
    assert sorted(summary.new) == sorted(a.canonical_url for a in fresh)
    assert len(records(hub_dir)) == len(set(records(hub_dir)))


def test_a_failing_source_is_recorded_and_the_pass_goes_on(
    hub_dir: Path, newswire: Newswire
) -> None:
    settings = loopback_settings(hub_dir, newswire)
    settings = with_overrides(settings, "fetch", retries=0)
    from dataclasses import replace

    dead = "http://127.0.0.1:9/feed.xml"  # discard port: connection refused
    settings = replace(settings, sources=(*settings.sources, dead))
    summary = run(hub_dir, settings)
    assert dead in summary.sources_failed
    assert len(summary.new) >= 50
    with open_hub(hub_dir, settings) as hub:
        source = hub.store.get_source(dead)
    assert source is not None and source.error_count == 1 and source.last_error


def same_page(url: str, article: WireArticle) -> bool:
    """Whether ``url`` (as a feed announced it: tracking query, redirect) is the article's."""
    links = (article.feed_url, article.url, article.canonical_url)
    return urlsplit(url).path in {urlsplit(link).path for link in links}


CHIP_WORDS = re.compile(r"\b(chips?|semiconductors?|gpus?)\b", re.IGNORECASE)


def test_a_topic_hub_keeps_its_topic_and_skips_excluded_items_unfetched(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    # A chips hub polling a general AI newswire, which also hides one outlet's items.
    for old in (hub_dir / "_data/topics").glob("*.yaml"):
        old.unlink()
    (hub_dir / "_data/topics/00-chips.yaml").write_text(
        "taxonomy: topic\n_id: chips\nname: Chips\nkeywords:\n"
        "  - chip\n  - chips\n  - semiconductor\n  - gpu\n",
        encoding="utf-8",
    )
    pattern = re.escape(urlsplit(newswire.articles[0].url).netloc)  # one outlet's host
    settings = with_overrides(settings, "collect", require_topic=True, exclude=(pattern,))
    settings = with_overrides(settings, "site", topic="Chips")
    summary = run(hub_dir, settings)

    stored = [read_record(p) for p in iter_record_files(hub_dir / "_news")]
    off = {u for u, why in summary.skipped.items() if why.startswith("off-topic")}
    out = {u for u, why in summary.skipped.items() if why.startswith("excluded")}
    assert stored and off and out, summary.skip_reasons()
    assert {r.topics for r in stored} == {("Chips",)}, {r.topics for r in stored}
    by_url = {a.canonical_url: a for a in newswire.articles}
    for record in stored:  # each is about chips somewhere in what was collected
        wire = by_url.get(record.web_url)
        said = f"{record.title} {record.excerpt} {wire.text if wire else ''}"
        assert CHIP_WORDS.search(said), record.title
    # The skipped ones were fetched and read, and are not (the wire's broken items aside).
    skipped = [a for a in newswire.articles if any(same_page(u, a) for u in off)]
    assert len(skipped) >= len(off) - len(newswire.broken_items)
    for wire in skipped:
        assert not CHIP_WORDS.search(f"{wire.title} {wire.summary}"), wire.title
    fetched = {path for _, path, _ in newswire.request_log}
    for url in out:  # excluded before their page was asked for
        assert re.search(pattern, url, re.IGNORECASE)
        assert urlsplit(url).path not in fetched

    # Reported once: the next pass neither fetches nor reports them again.
    newswire.request_log.clear()
    again = run(hub_dir, settings)
    assert not set(again.skipped) & (off | out)
    fetched = {path for _, path, _ in newswire.request_log}
    assert not {urlsplit(u).path for u in off | out} & fetched


def test_bad_exclude_patterns_are_a_config_error(hub_dir: Path) -> None:
    config = hub_dir / "everyday.toml"
    config.write_text(
        config.read_text().replace("[collect]\n", '[collect]\nexclude = ["(unclosed"]\n', 1)
    )
    with pytest.raises(ConfigError, match=r"\[collect\] exclude: '\(unclosed' is not a pattern"):
        load_settings(hub_dir, env={})


def test_a_dedicated_source_keeps_all_its_articles(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    (hub_dir / "_data/topics/00-ai.yaml").write_text(
        "taxonomy: topic\n_id: ai\nname: AI\nkeywords:\n  - no such words anywhere\n",
        encoding="utf-8",
    )
    for other in (hub_dir / "_data/topics").glob("*.yaml"):
        if other.name != "00-ai.yaml":
            other.unlink()
    dedicated = newswire.feed_urls[1]
    settings = with_overrides(
        settings, "collect", require_topic=True, dedicated_sources=(dedicated,)
    )
    summary = run(hub_dir, settings)
    with open_hub(hub_dir, settings) as hub:
        sources = {a.source_url for a in hub.store.get_articles()}
    assert sources == {dedicated}  # no topic anywhere: only the dedicated feed's articles
    assert summary.new and sum(r.startswith("off-topic") for r in summary.skipped.values()) > 0
