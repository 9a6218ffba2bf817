"""Related lists and story clusters from similarity scores (pure given the scores).

``SCHEMA.md`` §i/§vi.4: an article's ``related`` list holds the other articles on the same
subject published within about a week either side, sorted by quality (highest first;
ties: earliest first, as in 28 of 30 ties on the seed), never the article itself. The
seed's lists were 98.9% reciprocated; ours are symmetric by construction, because a pair is
related when its (symmetric) similarity passes the bar, whichever article arrived first.

Two articles are related when their TF-IDF cosine reaches ``RelatedRules.min_score`` or
they are near-copies (MinHash Jaccard >= ``duplicate_jaccard``). A *story* is narrower:
union-find over near-copies and pairs with cosine >= ``story_score`` (one event told by
several providers). Identical generic titles ("Weekly roundup") do not make a pair: the
title is a few words of a long text, so unrelated bodies keep the cosine low.

The scores come from :class:`everyday.enrich.similarity.SimilarityIndex`; the functions
here only decide, so they can be tested with hand-made scores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .similarity import WEEK, SimilarityIndex


@dataclass(frozen=True)
class Item:
    """What the related decision needs to know of an article besides its text."""

    id: str
    published: datetime
    quality: int = 0


@dataclass(frozen=True)
class RelatedRules:
    """Thresholds of the related and story decisions (tunable per hub).

    ``min_score`` suits full texts (title + excerpt + body); with titles and excerpts
    only, cosines run lower (``docs/enrich.md`` has the measured trade-off).
    """

    window: timedelta = WEEK
    min_score: float = 0.25
    story_score: float = 0.5
    duplicate_jaccard: float = 0.5
    max_related: int | None = None  # None keeps lists symmetric; the seed went up to 73


EXCERPT_ONLY = RelatedRules(min_score=0.05, story_score=0.4)
"""Rules for articles known by title and excerpt only (imported records have no text):
cosines of such pairs are low (seed related pairs: median 0.095), so the bar is lower.
Measured on the ai hub: precision 0.67, recall 0.69 (``docs/enrich.md``)."""


@dataclass(frozen=True)
class Update:
    """Related lists changed by one new article: the article itself and its neighbours."""

    related: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def affected(self) -> frozenset[str]:
        return frozenset(self.related)


@dataclass(frozen=True)
class PairScores:
    """Pairwise precision and recall of a predicted relation against labels."""

    precision: float
    recall: float
    predicted: int
    expected: int
    correct: int

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def related_for(
    article: Item,
    candidates: Iterable[tuple[Item, float]],
    rules: RelatedRules = RelatedRules(),
) -> tuple[Item, ...]:
    """The related list of ``article`` from scored candidates, strongest first.

    Args:
        article: the article whose list this is.
        candidates: other articles with their similarity to ``article`` (cosine, or
            Jaccard for near-copies; either passing its bar counts).
        rules: window, thresholds and optional cap.

    Returns:
        Articles within the window whose score passes, by quality desc then date.
    """
    chosen = {
        item.id: item
        for item, score in candidates
        if item.id != article.id
        and score >= rules.min_score
        and abs(item.published - article.published) <= rules.window
    }
    return _ordered(chosen.values(), rules)


def link_all(
    items: Mapping[str, Item], pairs: Iterable[tuple[str, str, float]], rules: RelatedRules
) -> dict[str, tuple[str, ...]]:
    """Every article's related ids from scored pairs (symmetric; unknown ids ignored)."""
    linked: dict[str, set[str]] = defaultdict(set)
    for a, b, score in pairs:
        if a == b or a not in items or b not in items or score < rules.min_score:
            continue
        if abs(items[a].published - items[b].published) > rules.window:
            continue
        linked[a].add(b)
        linked[b].add(a)
    return {
        doc: tuple(i.id for i in _ordered([items[o] for o in others], rules))
        for doc, others in linked.items()
    }


def link_new(
    new: Item,
    scored: Iterable[tuple[str, float]],
    current: Mapping[str, Sequence[str]],
    items: Mapping[str, Item],
    rules: RelatedRules = RelatedRules(),
) -> Update:
    """Related lists to rewrite after ``new`` arrives (or changes), without touching others.

    ``scored`` are the new article's neighbours with their scores; ``current`` the lists
    as stored; ``items`` must hold ``new`` and every id in ``scored``.
    """
    mine = related_for(new, ((items[d], s) for d, s in scored if d in items), rules)
    mine_ids = {i.id for i in mine}
    before = set(current.get(new.id, ()))
    changed: dict[str, tuple[str, ...]] = {new.id: tuple(i.id for i in mine)}
    for other in mine_ids | before:
        others = set(current.get(other, ())) - {new.id}
        if other in mine_ids:
            others.add(new.id)
        known = [items[o] for o in others if o in items]
        changed[other] = tuple(i.id for i in _ordered(known, rules))
    return Update(related=changed)


def scored_neighbours(
    index: SimilarityIndex, doc_id: str, rules: RelatedRules = RelatedRules()
) -> list[tuple[str, float]]:
    """Neighbours of an indexed article, near-copies counted as passing ``min_score``."""
    scores = dict(index.neighbours(doc_id, rules.window, min_score=rules.min_score))
    for other, _ in index.duplicates(doc_id, rules.window, min_jaccard=rules.duplicate_jaccard):
        scores[other] = max(scores.get(other, 0.0), rules.min_score)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def story_clusters(
    ids: Iterable[str], pairs: Iterable[tuple[str, str, float]], min_score: float
) -> list[tuple[str, ...]]:
    """Group articles into stories: connected components of pairs scoring >= ``min_score``.

    Every id is in exactly one cluster (singletons included); clusters and their members
    are sorted, so the result is stable.
    """
    parent: dict[str, str] = {doc: doc for doc in ids}

    def find(doc: str) -> str:
        while parent[doc] != doc:
            parent[doc] = parent[parent[doc]]
            doc = parent[doc]
        return doc

    for a, b, score in pairs:
        if score >= min_score and a in parent and b in parent:
            root_a, root_b = find(a), find(b)
            if root_a != root_b:
                parent[max(root_a, root_b)] = min(root_a, root_b)
    groups: dict[str, list[str]] = defaultdict(list)
    for doc in parent:
        groups[find(doc)].append(doc)
    return sorted(tuple(sorted(members)) for members in groups.values())


def story_pairs(
    index: SimilarityIndex, rules: RelatedRules = RelatedRules()
) -> list[tuple[str, str, float]]:
    """Pairs that make one story: near-copies (scored 1.0) and cosine >= ``story_score``."""
    pairs = index.similar_pairs(rules.window, rules.story_score)
    copies = index.duplicate_pairs(rules.window, rules.duplicate_jaccard)
    return pairs + [(a, b, 1.0) for a, b, _ in copies]


def pair_scores(
    predicted: Iterable[frozenset[str]], expected: Iterable[frozenset[str]]
) -> PairScores:
    """Precision/recall of predicted unordered pairs against expected ones."""
    got, want = set(predicted), set(expected)
    correct = len(got & want)
    return PairScores(
        precision=correct / len(got) if got else 1.0,
        recall=correct / len(want) if want else 1.0,
        predicted=len(got),
        expected=len(want),
        correct=correct,
    )


def cluster_pairs(clusters: Iterable[Sequence[str]]) -> set[frozenset[str]]:
    """All unordered pairs of ids that share a cluster."""
    return {
        frozenset((a, b))
        for members in clusters
        for n, a in enumerate(members)
        for b in members[n + 1 :]
    }


def evaluate_clusters(
    articles: Sequence[tuple[str, str, datetime]],
    labels: Mapping[str, str],
    rules: RelatedRules = RelatedRules(),
    index: SimilarityIndex | None = None,
) -> PairScores:
    """Pairwise precision/recall of our story clusters against labelled stories.

    Args:
        articles: (id, text, published) of each article.
        labels: story label per id; ids without a label are not scored.
        rules: thresholds used for the clusters.
        index: an index to fill (a fresh one by default).

    Returns:
        :class:`PairScores` over pairs of labelled articles.
    """
    index = index or SimilarityIndex()
    for doc_id, text, published in articles:
        index.add(doc_id, text, published)
    clusters = story_clusters((a[0] for a in articles), story_pairs(index, rules), 0.0)
    labelled = [[d for d in c if d in labels] for c in clusters]
    by_label: dict[str, list[str]] = defaultdict(list)
    for doc_id, label in labels.items():
        by_label[label].append(doc_id)
    return pair_scores(cluster_pairs(labelled), cluster_pairs(by_label.values()))


def _ordered(items: Iterable[Item], rules: RelatedRules) -> tuple[Item, ...]:
    ranked = sorted(items, key=lambda i: (-i.quality, i.published, i.id))
    return tuple(ranked[: rules.max_related] if rules.max_related is not None else ranked)
