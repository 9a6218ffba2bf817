"""Heat and published: the seed's rule, and every scored corpus record reproduced."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from enrich_corpus import AI_DIRS, POWERAPPS_DIRS, records
from everyday.enrich.heat import FOLLOWER_HEAT, decide, decide_all, heat_drift


def test_leader_heat_is_quality_plus_ten_per_related() -> None:
    decision = decide(64, [40, 64, 12], threshold=60)
    assert decision.heat == 94
    assert decision.leader and decision.published
    assert "94" in decision.reason and "threshold 60" in decision.reason


def test_any_stronger_related_article_makes_a_follower() -> None:
    decision = decide(89, [120, 40], threshold=60)
    assert decision.heat == FOLLOWER_HEAT
    assert not decision.leader and not decision.published
    assert "120" in decision.reason


def test_equal_quality_does_not_demote() -> None:
    assert decide(70, [70, 70], threshold=60).heat == 90


def test_threshold_is_inclusive() -> None:
    assert decide(60, [], threshold=60).published
    assert not decide(59, [], threshold=60).published
    assert not decide(54, [], threshold=60).published
    assert decide(54, [10, 20, 30, 40, 50, 54], threshold=60).heat == 114


def test_missing_related_quality_counts_as_zero() -> None:
    assert decide(30, [None, None], threshold=60).heat == 50


def test_a_stronger_newcomer_demotes_the_old_leader() -> None:
    quality = {"old": 80, "weak": 50}
    before = decide_all(["old", "weak"], quality, {"old": ["weak"], "weak": ["old"]}, 60)
    assert before["old"].published and before["old"].heat == 90
    assert before["weak"].heat == FOLLOWER_HEAT
    quality["new"] = 95
    related = {"old": ["new", "weak"], "weak": ["new", "old"], "new": ["old", "weak"]}
    after = decide_all(["old", "weak", "new"], quality, related, 60)
    assert after["old"].heat == FOLLOWER_HEAT and not after["old"].published
    assert after["new"].heat == 115 and after["new"].published


def test_heat_drift() -> None:
    ours = decide(72, [], threshold=70)
    assert heat_drift(73, ours) == 1
    assert heat_drift(-1, ours) is None


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("dirs", "threshold", "expected"),
    [
        # ai: 54 scored records, 37 with related lists; heat +0 on 51, +1 on 3.
        (AI_DIRS, 60, {0: 51, 1: 3}),
        # powerapps: 674 scored, no related lists (heat == quality); +1 once, +2 once.
        (POWERAPPS_DIRS, 70, {0: 672, 1: 1, 2: 1}),
    ],
)
def test_every_scored_corpus_record_is_reproduced(
    corpus: Path, dirs: tuple[str, ...], threshold: int, expected: dict[int, int]
) -> None:
    drift: Counter[int | None] = Counter()
    wrong = []
    for record in records(corpus, dirs):
        if record.quality is None or record.heat is None:
            continue
        related = [entry.quality for entry in record.related or ()]
        decision = decide(record.quality, related, threshold)
        drift[heat_drift(record.heat, decision)] += 1
        if decision.published != record.is_published:
            wrong.append(record.title)
    assert wrong == []
    assert dict(drift) == expected  # never a leader/follower mismatch, drift only 0..2
