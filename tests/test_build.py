"""``everyday build`` on a collected hub: everything is written once, then only changes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from everyday.app import open_hub
from everyday.build import build_hub
from everyday.cli import build as build_cmd  # noqa: F401  (registers the command)
from everyday.cli import cli
from everyday.demo.newswire import Newswire
from everyday.pipeline import run_pass
from everyday.publish.output import MANIFEST
from everyday.settings import Settings
from everyday.taxonomy import load_taxonomy


def collect(hub_dir: Path, settings: Settings) -> None:
    with open_hub(hub_dir, settings) as hub:
        asyncio.run(run_pass(hub, datetime.now(UTC), all_sources=True))


def build(settings: Settings):  # type: ignore[no-untyped-def]
    taxonomy = load_taxonomy(settings.hub_dir, settings.site.topic)
    report, problems = build_hub(settings, taxonomy, datetime.now(UTC))
    assert problems == []
    return report


def test_build_writes_api_pages_feeds_and_assets(hub_dir: Path, settings: Settings) -> None:
    collect(hub_dir, settings)
    report = build(settings)
    site = hub_dir / "_site"
    for path in (
        "api/news/index.json",
        "index.html",
        "feed.xml",
        "atom.xml",
        "feed.json",
        "sitemap.xml",
        "search/index.json",
        "404.html",
    ):
        assert (site / path).is_file(), path
    page = json.loads((site / "api/news/index.json").read_text())
    assert set(page) == {"page", "value", "nextPage"}
    assert page["value"], "published records are listed"
    logos = list((site / "assets/images/organizations").glob("*-50x50.jpg"))
    assert logos, "provider logos are published with the site"
    home = (site / "index.html").read_text()
    assert "/assets/images/cache/" in home, "pages show the hub's cached image copies"
    assert len(report.written) > 50


def test_second_build_changes_nothing_and_new_article_changes_little(
    hub_dir: Path, settings: Settings, newswire: Newswire
) -> None:
    collect(hub_dir, settings)
    first = build(settings)
    site = hub_dir / "_site"
    mtimes = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    again = build(settings)
    assert again.written == frozenset() and again.removed == frozenset()
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()} == mtimes
    newswire.publish_more(1)
    collect(hub_dir, settings)
    third = build(settings)
    assert 0 < len(third.written) < len(first.written)


def test_build_command(hub_dir: Path, settings: Settings, tmp_path: Path) -> None:
    collect(hub_dir, settings)
    out = tmp_path / "public"
    result = CliRunner().invoke(cli, ["build", "--hub", str(hub_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "written" in result.output
    assert (out / "index.html").is_file()


def test_unreadable_record_is_reported_not_fatal(hub_dir: Path, settings: Settings) -> None:
    collect(hub_dir, settings)
    (hub_dir / "_news" / "2020-01-01-broken.md").write_text("---\ntitle: [\n---\n")
    taxonomy = load_taxonomy(hub_dir, settings.site.topic)
    _, problems = build_hub(settings, taxonomy, datetime.now(UTC))
    assert len(problems) == 1 and "2020-01-01-broken.md" in problems[0]
    assert (hub_dir / "_site" / "index.html").is_file()


def test_build_full_puts_back_what_a_plain_build_does_not(
    hub_dir: Path, settings: Settings
) -> None:
    collect(hub_dir, settings)
    site = hub_dir / "_site"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", "--hub", str(hub_dir)]).exit_code == 0
    gone = [site / "index.html", site / "api" / "news" / "index.json"]
    for path in gone:
        path.unlink()
    mtimes = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}

    plain = runner.invoke(cli, ["build", "--hub", str(hub_dir)])
    assert plain.exit_code == 0, plain.output
    assert "0 written" in plain.output  # the build state says nothing changed
    assert not any(path.exists() for path in gone)

    full = runner.invoke(cli, ["build", "--hub", str(hub_dir), "--full"])
    assert full.exit_code == 0, full.output
    assert "2 written" in full.output and "0 removed" in full.output
    assert all(path.is_file() for path in gone)
    # Every other file was rendered again but kept its bytes, so its mtime too (the
    # build token is the build's own bookkeeping and changes with every write).
    after = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file() and p not in gone}
    del after[site / MANIFEST], mtimes[site / MANIFEST]
    assert after == mtimes


def test_build_command_puts_pinned_articles_first(hub_dir: Path, settings: Settings) -> None:
    """A pin set through the store (the admin API's ``articles/pin``) leads the static
    lists too, as it leads the live API's; unpinning puts the date order back."""
    collect(hub_dir, settings)
    runner = CliRunner()
    assert runner.invoke(cli, ["build", "--hub", str(hub_dir)]).exit_code == 0
    index = hub_dir / "_site/api/news/index.json"
    items = json.loads(index.read_text())["value"]
    oldest = items[-1]["webUrl"]
    assert items[0]["webUrl"] != oldest
    with open_hub(hub_dir, settings) as hub, hub.store.transaction():
        assert hub.store.set_pinned(oldest, datetime.now(UTC))
    assert runner.invoke(cli, ["build", "--hub", str(hub_dir)]).exit_code == 0
    assert json.loads(index.read_text())["value"][0]["webUrl"] == oldest
    with open_hub(hub_dir, settings) as hub, hub.store.transaction():
        assert hub.store.set_pinned(oldest, None)
    assert runner.invoke(cli, ["build", "--hub", str(hub_dir)]).exit_code == 0
    assert json.loads(index.read_text())["value"] == items
