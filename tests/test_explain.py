"""``everyday explain``: every derived number of a record traced to its signals."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from enrich_hub import chip_story_hub, open_test_hub
from everyday.cli import cli, enrich  # noqa: F401  (registers the commands)
from everyday.errors import EverydayError
from everyday.explain import explain, render


@pytest.fixture
def hub_dir(tmp_path: Path) -> Path:
    """A hub with a two-article chip story (leader and follower) and one other story."""
    return chip_story_hub(tmp_path / "hub")


def test_explanation_traces_every_number(hub_dir: Path) -> None:
    with open_test_hub(hub_dir) as hub:
        leader = explain(hub, "https://example.com/news/inside-halvorsen's-new-gpu-racks")
        follower = explain(hub, "_news/2024-05-09-halvorsen-h7-chip-ships.md")
    record = leader.article.record
    assert (
        sum(points for _, points in leader.quality.parts) == record.quality == leader.quality.value
    )
    assert ("text >= 1200 words", 22) in leader.quality.parts
    assert leader.tier.startswith("unknown provider")
    assert leader.decision.heat == record.heat == record.quality + 10  # type: ignore[operator]
    assert leader.decision.published == record.is_published
    assert [(m.topic, m.keyword, m.field) for m in leader.topics.matches if m.field == "title"] == [
        ("AI Hardware", "gpu", "title")
    ]
    (listed,) = [n for n in leader.neighbours if n.listed]
    assert listed.cosine >= listed.bar == 0.25
    assert [n.listed for n in leader.neighbours] == [True, False]  # the weather story: shown, below
    assert follower.decision.heat == -1 and "follower" in follower.decision.reason
    assert follower.story == leader.story and follower.story_members == (record.title,)


def test_render_and_command(hub_dir: Path) -> None:
    with open_test_hub(hub_dir) as hub:
        lines = render(explain(hub, "_news/2024-05-09-halvorsen-h7-chip-ships.md"))
    text = "\n".join(lines)
    assert "follower: a related article has quality" in text
    assert "   +30  base" in text
    assert "[listed] cosine" in text
    result = CliRunner().invoke(
        cli, ["explain", "_news/2024-05-09-halvorsen-h7-chip-ships.md", "--hub", str(hub_dir)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Halvorsen H7 chip ships"
    assert "heat: -1" in result.output


def test_unknown_article_is_a_clear_error(hub_dir: Path) -> None:
    with open_test_hub(hub_dir) as hub, pytest.raises(EverydayError, match="no such article"):
        explain(hub, "https://nowhere.test/x")
    result = CliRunner().invoke(cli, ["explain", "https://nowhere.test/x", "--hub", str(hub_dir)])
    assert result.exit_code == 5
    assert "no such article" in result.output
