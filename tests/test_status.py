"""``everyday status``: what a hub's operator checks (records, sources, passes, site),
read from a real hub, index and built site; and it changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from build_samples import make_record, write_records
from everyday.build import build_hub
from everyday.cli import cli
from everyday.hub import init_hub
from everyday.models import Article, Source
from everyday.settings import Settings, load_settings
from everyday.store.sqlite import SQLiteStore
from everyday.taxonomy import load_taxonomy

NOW = datetime.now(UTC)
CONFIGURED = "https://config.example/feed.xml"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["status", *args], catch_exceptions=False)


def make_hub(root: Path) -> Settings:
    hub = init_hub(root / "hub", title="Status Daily", sources=[CONFIGURED])
    return load_settings(hub, env={})


def fill(settings: Settings, count: int) -> list[Article]:
    """``count`` record files, indexed as a pass stores them."""
    taxonomy = load_taxonomy(settings.hub_dir, settings.site.topic)
    records = [make_record(n, taxonomy, is_published=n != 3) for n in range(1, count + 1)]
    paths = write_records(settings, records)
    articles = [
        Article(record=r, path=p.relative_to(settings.hub_dir).as_posix())
        for r, p in zip(records, paths, strict=True)
    ]
    with SQLiteStore(settings.path(settings.storage.database)) as store:
        for article in articles:
            store.add_article(article)
    return articles


@pytest.fixture
def busy_hub(tmp_path: Path) -> Settings:
    """Records, a built site, sources in every state and two passes, one unfinished."""
    settings = make_hub(tmp_path)
    fill(settings, 6)
    with SQLiteStore(settings.path(settings.storage.database)) as store:
        store.add_source(Source("https://ok.example/feed", last_checked=NOW, next_check=NOW))
        store.add_source(
            Source(
                "https://down.example/feed",
                last_checked=NOW - timedelta(hours=2),
                next_check=NOW + timedelta(hours=1),
                error_count=4,
                last_error="http-503: [bold]Service Unavailable[/bold]",
            )
        )
        store.add_source(Source("https://off.example/feed", paused=True, error_count=9))
        late = NOW - timedelta(hours=2)  # due two hours ago, polled every 30 min: no collector
        store.add_source(Source("https://late.example/feed", last_checked=late, next_check=late))
        first = store.add_run(NOW - timedelta(hours=1))
        counts = {"new": 6, "updated": 1, "skipped": 2, "sources_polled": 3, "sources_failed": 1}
        skipped = {"https://a.example/1": "off-topic: no topic", "https://a.example/2": "http-404"}
        summary = {**counts, "skipped_articles": skipped}
        store.set_run(first, NOW - timedelta(hours=1) + timedelta(seconds=42), counts, summary)
        store.add_run(NOW - timedelta(minutes=5))  # still running, or killed
    taxonomy = load_taxonomy(settings.hub_dir, settings.site.topic)
    build_hub(settings, taxonomy, NOW)
    return settings


def test_a_busy_hub_at_a_glance(busy_hub: Settings) -> None:
    result = invoke("--hub", str(busy_hub.hub_dir))
    assert result.exit_code == 1, result.output  # a failing source needs a person
    lines = result.output.splitlines()
    assert lines[0] == f"Status Daily (topic AI) in {busy_hub.hub_dir}"
    assert "records: 6 files, 6 in the index (sqlite)" in lines
    assert any(line.startswith("newest published: ") for line in lines)
    assert "sources: 4 (1 paused, 2 due now, 1 overdue, 1 failing)" in lines
    assert any(line.startswith("  overdue: 1 due for longer than their interval") for line in lines)
    failing = [line for line in lines if line.startswith("  failing: ")]
    assert len(failing) == 1  # the paused one with 9 errors is not failing: nobody polls it
    assert failing[0].startswith("  failing: https://down.example/feed: 4 errors in a row")
    assert failing[0].endswith("http-503: [bold]Service Unavailable[/bold]")  # not markup
    assert "(2 h ago)" in failing[0]
    assert f"  new in everyday.toml, not polled yet: {CONFIGURED}" in lines
    passes = lines[lines.index("passes (latest 2):") + 1 :][:2]
    assert passes[0].endswith("did not finish (still running, or stopped)")  # newest first
    assert passes[1].endswith(
        ", 42 s: 6 new, 1 updated, 2 skipped (off-topic 1, http-404 1), 1 of 3 sources failed"
    )
    site = busy_hub.path(busy_hub.publish.out_dir)
    files = sum(1 for p in site.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert lines[-1].startswith(f"site: {site}, built ") and lines[-1].endswith(f", {files} files")


def test_json_for_monitoring(busy_hub: Settings) -> None:
    result = invoke("--hub", str(busy_hub.hub_dir), "--json", "--passes", "1")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["needsAttention"] is True
    assert data["records"]["files"] == 6 and data["records"]["indexed"] == 6
    assert data["records"]["newest"]["path"].startswith("_news/")
    by_url = {s["url"]: s for s in data["sources"]}
    assert by_url["https://down.example/feed"]["failing"] is True
    assert by_url["https://off.example/feed"]["failing"] is False  # paused: not a failure
    assert by_url["https://ok.example/feed"]["due"] is True
    assert by_url["https://ok.example/feed"]["overdue"] is False  # due just now
    assert by_url["https://late.example/feed"]["overdue"] is True
    assert data["unsynced"] == [CONFIGURED]
    assert len(data["passes"]) == 1 and data["passes"][0]["finished"] is None
    assert data["passes"][0]["skippedBy"] == {}
    older = json.loads(invoke("--hub", str(busy_hub.hub_dir), "--json").output)["passes"][1]
    assert older["skippedBy"] == {"off-topic": 1, "http-404": 1}
    assert data["site"]["built"].endswith("Z") and data["site"]["files"] > 6


def test_a_new_hub_is_fine_and_says_what_to_run(tmp_path: Path) -> None:
    settings = make_hub(tmp_path)
    result = invoke("--hub", str(settings.hub_dir))
    assert result.exit_code == 0, result.output
    assert "records: 0 files, 0 in the index (sqlite)" in result.output
    assert "passes: none yet (everyday run)" in result.output
    assert "site: not built in" in result.output and "(everyday build)" in result.output


def test_status_changes_nothing_in_the_hub(busy_hub: Settings) -> None:
    def snapshot() -> dict[str, tuple[bytes, int]]:
        return {
            str(p): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in busy_hub.hub_dir.rglob("*")
            if p.is_file() and "everyday.db" not in p.name  # SQLite may refresh statistics
        }

    before = snapshot()
    assert invoke("--hub", str(busy_hub.hub_dir)).exit_code == 1
    assert invoke("--hub", str(busy_hub.hub_dir), "--json").exit_code == 1
    assert snapshot() == before


def test_overdue_sources_alone_need_attention(tmp_path: Path) -> None:
    """The collector stopped: nothing fails, but sources wait past their interval."""
    settings = make_hub(tmp_path)
    with SQLiteStore(settings.path(settings.storage.database)) as store:
        waiting = NOW - timedelta(hours=1)
        store.add_source(Source("https://late.example/feed", next_check=waiting))
        store.add_source(Source("https://soon.example/feed", next_check=NOW + timedelta(minutes=9)))
    result = invoke("--hub", str(settings.hub_dir))
    assert result.exit_code == 1, result.output
    assert "sources: 2 (0 paused, 1 due now, 1 overdue, 0 failing)" in result.output
