"""``everyday sources preview``: a pass's verdict on a source's items, storing nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result

from conftest import loopback_settings
from everyday.app import open_hub
from everyday.cli import cli
from everyday.cli import sources as _sources  # noqa: F401  (registers the commands)
from everyday.demo.newswire import Newswire
from everyday.pipeline import run_pass


def configure(hub_dir: Path, wire: Newswire, collect: str = "") -> None:
    """The loopback settings of the tests, written to everyday.toml (the CLI reads it)."""
    config = hub_dir / "everyday.toml"
    hosts = ", ".join(f'"{h}"' for h in wire.hosts)
    text = config.read_text().replace(
        "[fetch]\n", f"[fetch]\nallow_private = true\nretries = 1\nhosts = [{hosts}]\n", 1
    )
    config.write_text(text.replace("[collect]\n", f"[collect]\n{collect}", 1))


def preview(hub_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["sources", "preview", *args, "--hub", str(hub_dir)])


def written(hub_dir: Path) -> list[Path]:
    """Files a pass would have written: records, cached images, organizations."""
    folders = ("_news", "assets/images/cache", "_data/organizations")
    return [p for f in folders for p in (hub_dir / f).rglob("*") if p.is_file()]


def test_preview_tells_take_from_pass_and_stores_nothing(hub_dir: Path, newswire: Newswire) -> None:
    configure(hub_dir, newswire, 'exclude = ["robotaxi"]\n')
    before = written(hub_dir)
    feed = newswire.feed_urls[1]
    result = preview(hub_dir, "--pages", "--limit", "6", feed)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    takes = sum(line.startswith("take") for line in lines)
    assert lines[0] == f"{feed}: 6 newest items, {takes} a pass would take"
    rows = [line.split("\t") for line in lines[1:]]
    assert len(rows) == 6 and all(len(r) == 5 for r in rows)
    excluded = [r for r in rows if r[0] == "pass"]
    assert excluded and all("robotaxi" in r[2].lower() and "exclude" in r[3] for r in excluded)
    taken = [r for r in rows if r[0] == "take"]
    assert taken and all(r[3].startswith("new: ") for r in taken)  # the topics found
    assert written(hub_dir) == before  # no record, no cached image, no logo
    with open_hub(hub_dir) as hub:
        assert hub.store.count_articles() == 0


def test_preview_after_a_pass_and_on_a_bad_url(hub_dir: Path, newswire: Newswire) -> None:
    configure(hub_dir, newswire)
    with open_hub(hub_dir, loopback_settings(hub_dir, newswire)) as hub:
        asyncio.run(run_pass(hub, datetime.now(UTC), all_sources=True))
    rows = [
        line.split("\t") for line in preview(hub_dir, newswire.feed_urls[1]).output.splitlines()[1:]
    ]
    assert rows and {r[3] for r in rows} <= {
        "stored already",
        "failed recently: not fetched again for a while",
    }
    assert "stored already" in {r[3] for r in rows}
    missing = preview(hub_dir, newswire.base_url + "/no-such-feed.xml")
    assert missing.exit_code == 5 and "404" in missing.output
    garbage = preview(hub_dir, "not a url")
    assert garbage.exit_code == 5 and "not a url: " in garbage.output
    assert preview(hub_dir, "--limit", "0", newswire.feed_urls[1]).exit_code == 2
