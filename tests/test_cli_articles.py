"""``everyday articles`` and ``everyday enrich REF``: an editor's decisions, by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from enrich_hub import chip_story_hub, open_test_hub
from everyday.cli import articles, cli, enrich  # noqa: F401  (registers the commands)
from everyday.records.files import read_record


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    """A chip story whose first article the hub holds back (a stronger take came later)."""
    return chip_story_hub(tmp_path / "hub")


def everyday(hub_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--hub", str(hub_dir)])


def held_back(hub_dir: Path) -> Path:
    return next((hub_dir / "_news").glob("*-halvorsen-h7-chip-ships.md"))


def test_publish_by_hand_holds_until_handed_back(hub_dir: Path) -> None:
    record = held_back(hub_dir)
    path = str(record.relative_to(hub_dir))
    assert read_record(record).is_published is False  # the hub's own decision
    done = everyday(hub_dir, "articles", "publish", path)
    assert done.exit_code == 0, done.output
    assert f"published by an editor: {path}" in done.output and "everyday build" in done.output
    assert read_record(record).is_published is True
    assert "by an editor" in everyday(hub_dir, "explain", path).output

    again = everyday(hub_dir, "enrich", path)  # decided again, topics and all
    assert again.exit_code == 0, again.output
    assert "1 decided" in again.output and read_record(record).is_published is True

    back = everyday(hub_dir, "articles", "auto", read_record(record).web_url)
    assert back.exit_code == 0, back.output
    assert f"not published by the hub: {path}" in back.output
    assert read_record(record).is_published is False


def test_pins_and_unknown_articles(hub_dir: Path) -> None:
    with open_test_hub(hub_dir) as hub:
        storm = next(a for a in hub.store.get_articles() if "storm" in a.path)
    url = storm.record.web_url
    assert everyday(hub_dir, "articles", "pin", url).exit_code == 0
    with open_test_hub(hub_dir) as hub:
        assert list(hub.store.get_pins()) == [storm.path]
    mixed = everyday(hub_dir, "articles", "unpin", "https://nowhere.test/x", url)
    assert mixed.exit_code == 1  # one was not found: said, and the other still done
    assert "https://nowhere.test/x" in mixed.output and f"unpinned: {storm.path}" in mixed.output
    with open_test_hub(hub_dir) as hub:
        assert hub.store.get_pins() == {}
    missing = everyday(hub_dir, "enrich", "https://nowhere.test/x")
    assert missing.exit_code == 1 and "no such article" in missing.output
    both = everyday(hub_dir, "enrich", "--recompute", url)
    assert both.exit_code == 2 and "not both" in both.output


def test_a_record_that_does_not_read_is_listed_and_the_rest_done(hub_dir: Path) -> None:
    broken = hub_dir / "_news" / "2024-05-01-broken.md"
    broken.write_text("---\ntitle: [unclosed\n", encoding="utf-8")
    record = held_back(hub_dir)
    path = str(record.relative_to(hub_dir))
    done = everyday(hub_dir, "articles", "publish", "_news/2024-05-01-broken.md", path)
    assert done.exit_code == 1, done.output
    assert "2024-05-01-broken.md" in done.output and "front matter" in done.output
    assert read_record(record).is_published is True  # the good one was still done
    again = everyday(hub_dir, "enrich", "_news/2024-05-01-broken.md")
    assert again.exit_code == 1 and "front matter" in again.output
    assert broken.read_text(encoding="utf-8") == "---\ntitle: [unclosed\n"  # left alone


def test_build_flag_shows_the_decision_on_the_site_at_once(hub_dir: Path) -> None:
    assert everyday(hub_dir, "build").exit_code == 0
    index = hub_dir / "_site" / "api" / "news" / "index.json"
    listed = [item["webUrl"] for item in json.loads(index.read_text())["value"]]
    url = listed[0]
    done = everyday(hub_dir, "articles", "unpublish", url, "--build")
    assert done.exit_code == 0, done.output
    assert "site: " in done.output and " written" in done.output
    assert [i["webUrl"] for i in json.loads(index.read_text())["value"]] == listed[1:]


def test_list_shows_the_editors_decisions_standing(hub_dir: Path) -> None:
    record = held_back(hub_dir)
    path = str(record.relative_to(hub_dir))
    assert everyday(hub_dir, "articles", "publish", path).exit_code == 0
    assert everyday(hub_dir, "articles", "pin", path).exit_code == 0
    shown = everyday(hub_dir, "articles", "list")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "pinned (1):" and lines[1].endswith(f" UTC  {path}")
    assert lines[2] == "decided by an editor (1):"
    assert lines[3] == f"  published    {path}  {read_record(record).title}"
    everyday(hub_dir, "articles", "auto", path)
    everyday(hub_dir, "articles", "unpin", path)
    assert everyday(hub_dir, "articles", "list").output.splitlines() == [
        "pinned (0):",
        "decided by an editor (0):",
    ]
