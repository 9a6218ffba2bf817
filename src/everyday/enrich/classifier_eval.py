"""How well topics agree with a hub's own labels: the keyword tagger, the model, both.

Held-out scoring for ``everyday topics eval`` and the pinned floors in the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..models import Record
from ..taxonomy import Taxonomy
from .classifier import MODES, combine, text_of, train
from .topics import assign_topics


@dataclass(frozen=True)
class Agreement:
    """How well predicted topics match the records' own, over non-root topics."""

    records: int
    agreement: float  # share of records whose topic set matches exactly
    micro_f1: float


Split = tuple[Sequence[int], Sequence[int]]  # (train rows, test rows)


def score_topics(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], root: str
) -> Agreement:
    """Exact-set agreement and micro-F1, ignoring the root (every record has it)."""
    agree = tp = fp = fn = 0
    for want, got in zip(gold, predicted, strict=True):
        w, g = set(want) - {root}, set(got) - {root}
        agree += w == g
        tp, fp, fn = tp + len(w & g), fp + len(g - w), fn + len(w - g)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return Agreement(len(gold), agree / len(gold) if gold else 1.0, f1)


def time_split(records: Sequence[Record], fraction: float = 0.7) -> list[Split]:
    """Train on the oldest ``fraction``, test on the newest rest (how a hub lives)."""
    rows = sorted(range(len(records)), key=lambda i: (records[i].published, records[i].web_url))
    cut = round(len(rows) * fraction)
    return [(rows[:cut], rows[cut:])]


def kfold_splits(records: Sequence[Record], k: int = 5, seed: int = 0) -> list[Split]:
    """``k`` shuffled folds: every record is tested once by a model that never saw it."""
    rows = np.random.default_rng(seed).permutation(len(records))
    parts = np.array_split(rows, k)
    return [
        ([int(r) for j, p in enumerate(parts) if j != i for r in p], [int(r) for r in part])
        for i, part in enumerate(parts)
    ]


def evaluate(
    records: Sequence[Record],
    taxonomy: Taxonomy,
    splits: Sequence[Split],
    texts: Mapping[str, str] | None = None,
    *,
    seed: int = 0,
    min_examples: int = 3,
) -> dict[str, Agreement]:
    """Score the keyword tagger, the model and their union on held-out records, per mode.

    Predictions of every split are pooled before scoring (micro over all test records).
    """
    gold: list[tuple[str, ...]] = []
    predicted: dict[str, list[tuple[str, ...]]] = {mode: [] for mode in MODES}
    order = tuple(t.name for t in taxonomy.topics)
    for train_rows, test_rows in splits:
        model = train(
            [records[i] for i in train_rows], taxonomy, texts, seed, min_examples=min_examples
        )
        for i in test_rows:
            r = records[i]
            text = text_of(r, texts)
            keywords = assign_topics(r.title, r.excerpt, text, taxonomy)
            learned = model.predict(r.title, r.excerpt, text)
            gold.append(r.topics)
            predicted["keywords"].append(keywords)
            predicted["model"].append(learned)
            predicted["union"].append(
                combine(keywords, learned, "union", order=order, max_topics=model.max_topics)
            )
    return {mode: score_topics(gold, got, taxonomy.root) for mode, got in predicted.items()}
