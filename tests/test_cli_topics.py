"""``everyday topics train | eval | show`` on a small labelled hub, as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from everyday.cli import cli, topics  # noqa: F401  (registers the commands)
from everyday.enrich.classifier_files import ARRAYS_FILE, MODEL_DIR, MODEL_FILE, load_model
from everyday.hub import init_hub
from everyday.records.files import write_record
from everyday.taxonomy import TOPICS_DIR
from topics_samples import TAXONOMY, labelled_records


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def said(result: Result) -> str:
    """The output with whitespace collapsed: the console wraps long lines at 80 columns."""
    return " ".join(result.output.split())


def make_hub(folder: Path, count: int | None = None) -> Path:
    """A hub whose taxonomy is the sample one and whose records are the labelled stories."""
    hub = init_hub(folder, sources=[])
    for old in (hub / TOPICS_DIR).glob("*.yaml"):
        old.unlink()
    for n, t in enumerate(TAXONOMY.topics):
        data = {"_id": t.id, "name": t.name, "parent": t.parent, "keywords": list(t.keywords)}
        (hub / TOPICS_DIR / f"{n:02d}-{t.id}.yaml").write_text(yaml.safe_dump(data), "utf-8")
    for n, record in enumerate(labelled_records()[:count]):
        write_record(hub / "_news", f"{record.published:%Y-%m-%d}-story-{n}.md", record)
    return hub


@pytest.fixture(scope="module")
def trained_hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    hub = make_hub(tmp_path_factory.mktemp("trained") / "hub")
    return hub, invoke("topics", "train", "--hub", str(hub))


def test_train_saves_a_model_and_reports_counts(trained_hub: tuple[Path, Result]) -> None:
    hub, result = trained_hub
    assert result.exit_code == 0, result.output
    for topic in ("AI Hardware", "Robotics", "TensorFlow"):
        assert topic in said(result)
    assert "skipped AI in Autos: 1 example(s), need 3" in said(result)
    assert "held-out micro-F1" in said(result)
    assert (hub / MODEL_DIR / MODEL_FILE).is_file() and (hub / MODEL_DIR / ARRAYS_FILE).is_file()
    assert load_model(hub / MODEL_DIR).examples["Robotics"] == 12


def test_show_explains_the_prediction(trained_hub: tuple[Path, Result]) -> None:
    hub, _ = trained_hub
    result = invoke("topics", "show", "Humanoid robot walks in a mall", "--hub", str(hub))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "model:    AI, Robotics" in lines
    assert "keywords: AI" in lines  # Robotics has no keywords
    assert "humanoid" in said(result)  # the words behind the score


def test_eval_compares_keywords_model_and_union(trained_hub: tuple[Path, Result]) -> None:
    hub, _ = trained_hub
    result = invoke("topics", "eval", "--hub", str(hub))
    assert result.exit_code == 0, result.output
    for row in ("time 70/30", "5-fold", "keywords", "model", "union"):
        assert row in said(result)


def test_show_without_a_model_exits_1(tmp_path: Path) -> None:
    hub = make_hub(tmp_path / "hub", count=3)
    result = invoke("topics", "show", "Anything", "--hub", str(hub))
    assert result.exit_code == 1
    assert "no topic model here" in said(result)
    assert "everyday topics train" in said(result)


def test_train_with_too_few_records_exits_1(tmp_path: Path) -> None:
    hub = make_hub(tmp_path / "hub", count=5)
    result = invoke("topics", "train", "--hub", str(hub))
    assert result.exit_code == 1
    assert "need at least 10 labelled records" in said(result)
    assert not (hub / MODEL_DIR).exists()


def test_train_when_every_topic_is_too_rare_exits_1(tmp_path: Path) -> None:
    hub = make_hub(tmp_path / "hub")
    result = invoke("topics", "train", "--hub", str(hub), "--min-examples", "40")
    assert result.exit_code == 1
    assert "no topic has 40 or more example records" in said(result)


def test_an_unreadable_record_is_skipped_not_fatal(tmp_path: Path) -> None:
    hub = make_hub(tmp_path / "hub")
    (hub / "_news" / "2024-05-01-broken.md").write_text("---\ntitle: [\n---\n", "utf-8")
    result = invoke("topics", "train", "--hub", str(hub))
    assert result.exit_code == 0, result.output
    assert "1 unreadable record file(s) skipped" in said(result)


def test_outside_a_hub_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("topics", "train")
    assert result.exit_code == 3
    assert "not inside a hub" in said(result)


@pytest.mark.parametrize("command", [(), ("train",), ("eval",), ("show",)])
def test_every_topics_command_has_help_with_an_example(command: tuple[str, ...]) -> None:
    result = invoke("topics", *command, "--help")
    assert result.exit_code == 0
    assert "Example" in said(result)
