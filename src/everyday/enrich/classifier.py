"""A topic classifier trained on a hub's own labelled records (pure: no files, no store).

The keyword tagger (:mod:`.topics`) only knows the words a curator wrote down; a hub that has
labelled records also shows which *other* words go with each topic, and which keyword hits
mislead. This module learns both: TF-IDF (word 1-2 grams, sublinear tf) over title + excerpt
(+ the body's lead when trained with bodies) plus one column per topic the tagger assigns,
then one logistic regression per topic (one-vs-rest, balanced classes). Each topic's
threshold is tuned on out-of-fold scores, so a rare topic is not drowned by the rest. A topic
with too few examples to learn is left to its keywords. Like the tagger: the root is always
first, parents are implied, at most ``max_topics`` labels. Numbers: ``docs/topics.md``.

Evaluation lives in :mod:`.classifier_eval`; saving and loading (a model is data, never
code) in :mod:`.classifier_files`.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from ..errors import ConfigError, ModelError
from ..models import Record
from ..taxonomy import Taxonomy, Topic
from .topics import DEFAULT_RULES, TopicRules, assign_topics

log = logging.getLogger(__name__)

MODES = ("keywords", "model", "union")
MIN_RECORDS = 10  # below this no held-out fold has a positive of anything
# A body is ~20x an excerpt: its lead carries the subject; the rest would drown the title.
_TEXT_CHARS = 2000
_FIELD_CHARS = 5000  # a "title" or "excerpt" longer than this is not one
_C = 100.0  # measured on the corpus (1, 10, 100): weak regularisation suits short documents
_THRESHOLD_RANGE = (0.1, 0.9)
_KEYWORD_WEIGHT = 1.0  # a TF-IDF row has norm 1: one keyword hit weighs like a whole title
_ALL_MATCHES = TopicRules(max_topics=1000)  # features see every keyword topic, not the top 5
_VECTOR_OPTIONS = {"ngram_range": (1, 2), "strip_accents": "unicode", "lowercase": True}


@dataclass(frozen=True)
class TopicScore:
    """One topic's score for an article, its threshold, and the words that pushed it up."""

    topic: str
    score: float
    threshold: float
    top_terms: tuple[str, ...]
    chosen: bool


@dataclass(frozen=True, eq=False)
class TopicModel:
    """A trained classifier: everything :meth:`predict` needs, nothing executable.

    Features are the TF-IDF terms of ``vocabulary`` followed by one column per topic of
    ``taxonomy`` that the keyword tagger assigns: the model learns how far to trust each
    topic's keywords and which other words mean the same thing.
    """

    taxonomy: Taxonomy  # root, order, parents and keywords (nothing else is kept)
    labels: tuple[str, ...]
    thresholds: tuple[float, ...]
    vocabulary: tuple[str, ...]
    idf: np.ndarray  # (n_terms,)
    coef: np.ndarray  # (n_labels, n_terms + n_keyword_topics)
    intercept: np.ndarray  # (n_labels,)
    max_topics: int = DEFAULT_RULES.max_topics
    uses_text: bool = False
    uses_keywords: bool = True
    examples: Mapping[str, int] = field(default_factory=dict)  # label -> positive records
    validation_f1: Mapping[str, float] = field(default_factory=dict)
    skipped: Mapping[str, str] = field(default_factory=dict)  # label -> why not learned

    @property
    def root(self) -> str:
        return self.taxonomy.root

    @property
    def keyword_topics(self) -> tuple[str, ...]:
        """Topics whose tagger decision is a feature (none when ``uses_keywords`` is off)."""
        return _keyword_topics(self.taxonomy) if self.uses_keywords else ()

    @cached_property
    def _counter(self) -> CountVectorizer:
        """Built once per model: the vocabulary dict is the costly part."""
        return CountVectorizer(
            vocabulary={t: i for i, t in enumerate(self.vocabulary)}, **_VECTOR_OPTIONS
        )

    def vectorize(self, docs: Sequence[tuple[str, str, str]]) -> sp.csr_matrix:
        """Feature rows for (title, excerpt, text) triples, exactly as in training."""
        counts = self._counter.transform([_document(*d, use_text=self.uses_text) for d in docs])
        terms = _tfidf(counts, self.idf)
        return _with_keywords(terms, docs, self.taxonomy, self.keyword_topics, self.uses_text)

    def predict(self, title: str, excerpt: str, text: str = "") -> tuple[str, ...]:
        """Return topic names: root first, then taxonomy order (like ``assign_topics``)."""
        return self._decide(self.vectorize([(title, excerpt, text)]))[1]

    def explain(self, title: str, excerpt: str, text: str = "", top: int = 5) -> list[TopicScore]:
        """Every label's score, threshold and strongest features, best first.

        ``chosen`` marks what :meth:`predict` returns; implied parents come first with the
        feature ``(parent)``, a keyword feature reads ``keywords: <topic>``.
        """
        row = self.vectorize([(title, excerpt, text)])
        scores, chosen = self._decide(row)
        out = [TopicScore(self.root, 1.0, 0.0, ("(root)",), True)]
        fallback = self.fallback_topics(row)
        out += [TopicScore(n, 1.0, 1.0, (f"keywords: {n}",), n in chosen) for n in fallback]
        implied = [n for n in chosen if n != self.root and n not in {*self.labels, *fallback}]
        out += [TopicScore(n, 1.0, 0.0, ("(parent)",), True) for n in implied]
        for i in np.argsort(-scores, kind="stable"):
            label, terms = self.labels[i], self._terms(row, int(i), top)
            out.append(
                TopicScore(label, float(scores[i]), self.thresholds[i], terms, label in chosen)
            )
        return out

    def _decide(self, row: sp.csr_matrix) -> tuple[np.ndarray, tuple[str, ...]]:
        scores = _sigmoid(np.asarray(row @ self.coef.T).ravel() + self.intercept)
        strength = {
            label: float(s / t)
            for label, s, t in zip(self.labels, scores, self.thresholds, strict=True)
            if s >= t
        }
        # A topic too rare to learn is left to its keywords, at the weakest passing strength.
        for name in self.fallback_topics(row):
            strength.setdefault(name, 1.0)
        chosen = _select(strength, self.taxonomy, self.max_topics)
        return scores, _ordered(chosen, [t.name for t in self.taxonomy.topics], self.root)

    def fallback_topics(self, row: sp.csr_matrix) -> tuple[str, ...]:
        """Unlearned topics the keyword tagger assigns to this (one-row) article."""
        offset, learned = len(self.vocabulary), set(self.labels)
        flagged = (self.keyword_topics[j - offset] for j in row.indices if j >= offset)
        return tuple(name for name in flagged if name not in learned)

    def _terms(self, row: sp.csr_matrix, label: int, top: int) -> tuple[str, ...]:
        contributions = row.data * self.coef[label, row.indices]
        names = (*self.vocabulary, *(f"keywords: {t}" for t in self.keyword_topics))
        best = np.argsort(-contributions, kind="stable")[:top]
        return tuple(names[row.indices[j]] for j in best if contributions[j] > 0)


def train(
    records: Sequence[Record],
    taxonomy: Taxonomy,
    texts: Mapping[str, str] | None = None,
    seed: int = 0,
    *,
    min_examples: int = 3,
    max_topics: int = DEFAULT_RULES.max_topics,
    keywords: bool = True,
) -> TopicModel:
    """Learn one classifier per topic from records' ``topics``.

    Args:
        records: labelled records; the root topic is ignored, records with no other topic
            are negatives for every topic.
        taxonomy: gives the root, parents, order and keywords; topics not in it are skipped
            (unless it has no topics at all).
        texts: article bodies keyed by ``web_url`` (optional; the seed has none). A model
            trained without bodies ignores them when predicting, so both see the same.
        seed: fixes the validation folds, so training is repeatable.
        min_examples: a topic with fewer positive records is skipped, with the reason kept.
        keywords: add the keyword tagger's decisions as features (off: words alone).

    Raises:
        ModelError: fewer than ``MIN_RECORDS`` records, or no topic has enough examples.
    """
    if len(records) < MIN_RECORDS:
        raise ModelError(
            f"need at least {MIN_RECORDS} labelled records to train, got {len(records)}"
        )
    examples, skipped = _label_counts(records, taxonomy, min_examples)
    labels = tuple(sorted(examples, key=lambda n: (-examples[n], n)))
    if not labels:
        raise ModelError(f"no topic has {min_examples} or more example records ({_why(skipped)})")
    uses_text = any((texts or {}).values())
    triples = [(r.title, r.excerpt, text_of(r, texts)) for r in records]
    vectorizer = TfidfVectorizer(
        sublinear_tf=True,
        min_df=2 if len(records) >= 200 else 1,
        max_features=50_000,
        **_VECTOR_OPTIONS,
    )
    terms = vectorizer.fit_transform([_document(*t, use_text=uses_text) for t in triples])
    kept = _kept_taxonomy(taxonomy)
    kw_topics = _keyword_topics(kept) if keywords else ()
    matrix = _with_keywords(terms, triples, kept, kw_topics, uses_text)
    coef = np.zeros((len(labels), matrix.shape[1]))
    intercept = np.zeros(len(labels))
    thresholds, f1s = [], {}
    for i, label in enumerate(labels):
        y = np.array([label in r.topics for r in records], dtype=int)
        coef[i], intercept[i] = _fit(matrix, y, seed)
        threshold, f1s[label] = _tune_threshold(matrix, y, seed)
        thresholds.append(threshold)
        log.info("topic trained topic=%s examples=%d threshold=%.2f", label, y.sum(), threshold)
    return TopicModel(
        taxonomy=kept,
        labels=labels,
        thresholds=tuple(thresholds),
        vocabulary=tuple(vectorizer.get_feature_names_out()),
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coef=coef,
        intercept=intercept,
        max_topics=max_topics,
        uses_text=uses_text,
        uses_keywords=keywords,
        examples=examples,
        validation_f1=f1s,
        skipped=skipped,
    )


def combine(
    keyword_topics: Sequence[str],
    model_topics: Sequence[str],
    mode: str,
    *,
    order: Sequence[str] = (),
    max_topics: int | None = None,
) -> tuple[str, ...]:
    """Merge the tagger's and the model's topics as a hub's ``[topics] mode`` asks.

    ``union`` keeps the root first, then every keyword topic (each has a visible match),
    then the model's extra topics, up to ``max_topics``; ``order`` (taxonomy order) sorts
    the result like the tagger's.

    Raises:
        ConfigError: ``mode`` is not one of ``MODES``.
    """
    if mode == "keywords":
        return tuple(keyword_topics)
    if mode == "model":
        return tuple(model_topics)
    if mode != "union":
        raise ConfigError(f"topics mode: expected one of {', '.join(MODES)}, got {mode!r}")
    merged = list(dict.fromkeys([*keyword_topics, *model_topics]))
    if max_topics is not None:
        merged = merged[:max_topics]
    if not merged or not order:
        return tuple(merged)
    return _ordered(set(merged), order, merged[0])


# --------------------------------------------------------------------------- internals


def _document(title: str, excerpt: str, text: str, *, use_text: bool) -> str:
    """One string per article; the title twice, since it names the subject."""
    title, excerpt = (title or "")[:_FIELD_CHARS], (excerpt or "")[:_FIELD_CHARS]
    lead = (text or "")[:_TEXT_CHARS] if use_text else ""
    return f"{title}\n{title}\n{excerpt}\n{lead}"


def text_of(record: Record, texts: Mapping[str, str] | None) -> str:
    return (texts or {}).get(record.web_url or record.original_url or "", "")


def _label_counts(
    records: Sequence[Record], taxonomy: Taxonomy, min_examples: int
) -> tuple[dict[str, int], dict[str, str]]:
    """Positive records per learnable label, and why each other label is skipped."""
    known = {t.name for t in taxonomy.topics}
    counts: dict[str, int] = {}
    for record in records:
        for name in set(record.topics) - {taxonomy.root}:
            counts[name] = counts.get(name, 0) + 1
    kept: dict[str, int] = {}
    skipped: dict[str, str] = {}
    for name, n in sorted(counts.items()):
        if known and name not in known:
            skipped[name] = "not in the taxonomy"
        elif n < min_examples:
            skipped[name] = f"{n} example(s), need {min_examples}"
        elif n > len(records) - 2:
            skipped[name] = "on (almost) every record: nothing to tell apart"
        else:
            kept[name] = n
    for name, reason in skipped.items():
        log.info("topic skipped topic=%s reason=%s", name, reason)
    return kept, skipped


def _kept_taxonomy(taxonomy: Taxonomy) -> Taxonomy:
    """The part of a taxonomy a model needs and saves: names, parents, keywords."""
    topics = tuple(
        Topic(id=t.id, name=t.name, parent=t.parent, keywords=t.keywords) for t in taxonomy.topics
    )
    return Taxonomy(topics=topics, root=taxonomy.root)


def _keyword_topics(taxonomy: Taxonomy) -> tuple[str, ...]:
    return tuple(t.name for t in taxonomy.topics if t.name != taxonomy.root and t.keywords)


def _with_keywords(
    terms: sp.csr_matrix,
    docs: Sequence[tuple[str, str, str]],
    taxonomy: Taxonomy,
    topics: tuple[str, ...],
    uses_text: bool,
) -> sp.csr_matrix:
    """Append one column per keyword topic: ``_KEYWORD_WEIGHT`` where the tagger assigns it."""
    if not topics:
        return terms
    column = {name: j for j, name in enumerate(topics)}
    flags = sp.lil_matrix((len(docs), len(topics)))
    for i, (title, excerpt, text) in enumerate(docs):
        body = (text or "") if uses_text else ""
        for name in assign_topics(title, excerpt, body, taxonomy, _ALL_MATCHES):
            if name in column:
                flags[i, column[name]] = _KEYWORD_WEIGHT
    return sp.csr_matrix(sp.hstack([terms, flags.tocsr()]))


def _why(skipped: Mapping[str, str]) -> str:
    return (
        "; ".join(f"{k}: {v}" for k, v in skipped.items())
        or "no record has a topic besides the root"
    )


def _fit(matrix: sp.csr_matrix, y: np.ndarray, seed: int) -> tuple[np.ndarray, float]:
    # dual: far faster when terms outnumber records, as they do (10k records: 72 s -> 11 s).
    model = LogisticRegression(
        C=_C,
        dual=True,
        class_weight="balanced",
        solver="liblinear",
        max_iter=1000,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # A perfectly separable tiny label may stop early; the thresholds absorb it.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(matrix, y)
    return model.coef_.ravel(), float(model.intercept_[0])


def _tune_threshold(matrix: sp.csr_matrix, y: np.ndarray, seed: int) -> tuple[float, float]:
    """Pick the threshold with the best F1 on out-of-fold scores; return it and that F1."""
    folds = min(3, int(y.sum()), int(len(y) - y.sum()))
    if folds < 2:
        return 0.5, 0.0
    scores = np.zeros(len(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_rows, held_rows in splitter.split(np.zeros(len(y)), y):
        coef, intercept = _fit(matrix[fit_rows], y[fit_rows], seed)
        scores[held_rows] = _sigmoid(np.asarray(matrix[held_rows] @ coef).ravel() + intercept)
    return _best_threshold(scores, y)


def _best_threshold(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], np.cumsum(y[order])
    kept = np.arange(1, len(y) + 1)
    f1 = 2 * hits / (kept + y.sum())
    best = int(np.argmax(f1))
    below = ranked[best + 1] if best + 1 < len(ranked) else 0.0
    threshold = (ranked[best] + below) / 2  # halfway: a little slack on both sides
    low, high = _THRESHOLD_RANGE
    return float(min(max(threshold, low), high)), float(f1[best])


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf x idf, rows L2-normalised: what ``TfidfVectorizer`` computes."""
    counts = sp.csr_matrix(counts, dtype=np.float64)
    counts.data = 1.0 + np.log(counts.data)
    weighted = sp.csr_matrix(counts.multiply(idf[np.newaxis, :]))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ weighted)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def _select(strength: Mapping[str, float], taxonomy: Taxonomy, max_topics: int) -> set[str]:
    """Keep the strongest labels with their parents, within ``max_topics`` (as the tagger)."""
    chosen = {taxonomy.root}
    for name in sorted(strength, key=lambda n: (-strength[n], n)):
        missing = [p for p in (name, *taxonomy.ancestors(name)) if p not in chosen]
        if len(chosen) + len(missing) <= max_topics:
            chosen.update(missing)
    return chosen


def _ordered(names: set[str], order: Sequence[str], root: str) -> tuple[str, ...]:
    """Root first, then taxonomy order; names the taxonomy lacks go last, sorted."""
    rank = {n: i for i, n in enumerate(order)}
    rest = sorted(names - {root}, key=lambda n: (rank.get(n, math.inf), n))
    return (root, *rest)
