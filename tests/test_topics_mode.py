"""``[topics] mode`` switches record topics between keywords, the trained model and both."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from everyday.app import load_topic_model
from everyday.enrich.classifier import train
from everyday.enrich.classifier_files import MODEL_DIR, save
from everyday.enrich.record import choose_topics
from everyday.errors import ConfigError
from everyday.settings import Settings, with_overrides
from topics_samples import TAXONOMY, labelled_records

COOKING_ROBOT = "Humanoid robot learns to cook in a kitchen"


@pytest.fixture(scope="module")
def model():  # type: ignore[no-untyped-def]
    return train(labelled_records(), TAXONOMY)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("keywords", ("AI",)), ("model", ("AI", "Robotics")), ("union", ("AI", "Robotics"))],
)
def test_mode_decides_where_topics_come_from(model, mode: str, expected: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    assert choose_topics(COOKING_ROBOT, "", "", TAXONOMY, model, mode) == expected


def test_union_keeps_keyword_topics_the_model_dropped(model) -> None:  # type: ignore[no-untyped-def]
    cookie = "Chocolate chip cookie sales soar at the bakery"
    assert choose_topics(cookie, "", "", TAXONOMY, model, "model") == ("AI",)
    assert "AI Hardware" in choose_topics(cookie, "", "", TAXONOMY, model, "union")


def test_hub_loads_its_model_only_when_asked(
    model, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    settings = replace(Settings(), hub_dir=tmp_path)
    assert load_topic_model(settings) is None  # keywords: no model needed
    with caplog.at_level(logging.WARNING):
        assert load_topic_model(with_overrides(settings, "topics", mode="model")) is None
    assert "topics train" in caplog.text  # no model yet: keywords, and it says so
    save(model, tmp_path / MODEL_DIR)
    loaded = load_topic_model(with_overrides(settings, "topics", mode="union"))
    assert loaded is not None and loaded.predict(COOKING_ROBOT, "", "") == ("AI", "Robotics")
    with pytest.raises(ConfigError):
        load_topic_model(with_overrides(settings, "topics", mode="magic"))
