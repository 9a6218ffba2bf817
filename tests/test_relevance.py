"""What a topic hub keeps: the root's own keywords, counted as the tagger counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from everyday.models import FeedEntry, Provider, Record
from everyday.relevance import excluded_by, is_dedicated, is_on_topic
from everyday.taxonomy import Taxonomy, Topic

CHIPS = Taxonomy(
    topics=(
        Topic("chips", "Chips", keywords=("chip", "chips", "semiconductor")),
        Topic("gpus", "GPUs", parent="Chips", keywords=("gpu",)),
    ),
    root="Chips",
)


def record(title: str = "Council meets", excerpt: str = "", topics: tuple[str, ...] = ("Chips",)):  # type: ignore[no-untyped-def]
    return Record(
        title=title,
        excerpt=excerpt,
        published=datetime(2024, 5, 1, tzinfo=UTC),
        web_url="https://news.example/a",
        provider=Provider("News", "news.example"),
        topics=topics,
    )


@pytest.mark.parametrize(
    ("title", "excerpt", "text", "kept"),
    [
        ("New chip ships", "", "", True),  # once in the title is enough
        ("Council meets", "Chips were mentioned.", "", False),  # once in the excerpt is not
        ("Council meets", "Chips, and one more chip.", "", True),  # twice is
        ("Council meets", "", "a chip, a semiconductor", False),  # twice in the text is not
        ("Council meets", "", "a chip, a semiconductor, chips", True),  # three times is
        ("Council meets", "", "", False),
        ("Council meets", "Potato chips chips", "", True),  # words, not meanings
        ("Chipmunks spotted", "", "", False),  # whole words only
    ],
)
def test_the_roots_keywords_count_as_strongly_as_a_topics(
    title: str, excerpt: str, text: str, kept: bool
) -> None:
    assert is_on_topic(record(title, excerpt), text, CHIPS) is kept


def test_one_word_found_by_two_keywords_counts_once() -> None:
    # "chips" is found by both "chip" (plural allowed) and "chips": one mention, not two.
    assert is_on_topic(record(excerpt="Chips were mentioned."), "", CHIPS) is False


def test_any_topic_besides_the_root_is_enough() -> None:
    assert is_on_topic(record(topics=("Chips", "GPUs")), "", CHIPS) is True


def test_exclude_patterns_and_dedicated_sources() -> None:
    entry = FeedEntry(url="https://news.example/podcasts/7", source_url="https://news.example/")
    assert excluded_by(entry, ["^sponsored", "/podcasts?/"]) == "/podcasts?/"
    sponsored = FeedEntry(url="https://news.example/x", source_url="s", title="SPONSORED: buy")
    assert excluded_by(sponsored, ["^sponsored"]) == "^sponsored"
    assert excluded_by(FeedEntry(url="https://news.example/y", source_url="s"), ["^sp"]) is None
    assert is_dedicated("https://robots.example/feed.xml", ["https://robots.example/"])
    assert not is_dedicated("https://news.example/feed.xml", ["https://robots.example/", ""])


def test_a_pattern_that_backtracks_forever_on_a_hostile_title_is_cut_off() -> None:
    # With the standard engine this search takes longer than the universe has left.
    hostile = FeedEntry(url="https://news.example/z", source_url="s", title="a" * 60 + "!")
    assert excluded_by(hostile, ["^(a|aa)+$", "!$"]) == "!$"  # the next pattern still runs
