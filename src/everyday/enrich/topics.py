"""Assign topics to an article by matching each topic's keywords (pure).

The seed's pipeline tagged records with the root topic plus every topic whose keywords
appear in the article (``SCHEMA.md`` §vi.2). We do the same, a little more carefully:

* keywords match on word boundaries; a lowercase keyword matches any case, a keyword
  with a capital (``PyTorch``, ``ONNX``, ``Watson``) only as written — names, not words;
* a phrase matches across spaces and hyphens (``self driving`` = ``self-driving``) and
  the last word may be plural (``chip`` = ``chips``, ``company`` = ``companies``);
* a mention in the title is enough; the excerpt needs ``excerpt_min_mentions`` and the
  body ``body_min_mentions`` (a passing mention is not what the story is about);
* parents are implied (TensorFlow brings Google AI), the root topic is always first,
  and at most ``max_topics`` labels are kept, strongest first, listed in taxonomy order.

``tests/test_enrich_topics.py`` measures agreement with the seed's labels and pins it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..taxonomy import Taxonomy, Topic

FIELDS = ("title", "excerpt", "body")
_WEIGHTS = {"title": 5, "excerpt": 2, "body": 1}  # a title mention outweighs two in the excerpt
_BODY_SCORE_CAP = 5
_SEPARATOR = r"[\s\-\u2010\u2011\u2012\u2013]+"


@dataclass(frozen=True)
class TopicRules:
    """How strict matching is; the defaults are the measured best on the seed."""

    max_topics: int = 5
    # Measured on the seed (title + excerpt): 2 beats 1 (a lone excerpt mention is as
    # often noise as signal) and loses little to 3 on the ai hub; see the test's table.
    excerpt_min_mentions: int = 2
    # Not measurable (the corpus has no bodies); a body is ~20x an excerpt and usually
    # repeats it, so it must say the keyword more often than the excerpt does.
    body_min_mentions: int = 3


@dataclass(frozen=True)
class KeywordMatch:
    """One keyword of one topic found ``count`` times in one field."""

    topic: str
    keyword: str
    field: str  # title | excerpt | body
    count: int


@dataclass(frozen=True)
class TopicExplanation:
    """Why an article got its topics: what matched, what was implied, what was cut."""

    topics: tuple[str, ...]
    matches: tuple[KeywordMatch, ...]
    implied: tuple[str, ...]  # parents added because a child matched
    dropped: tuple[str, ...]  # matched, but over ``max_topics``
    weak: tuple[str, ...]  # matched only in the body, too few times


DEFAULT_RULES = TopicRules()


def assign_topics(
    title: str,
    excerpt: str,
    text: str,
    taxonomy: Taxonomy,
    rules: TopicRules = DEFAULT_RULES,
) -> tuple[str, ...]:
    """Return the topic names of an article: root first, then taxonomy order.

    Args:
        title, excerpt, text: the article's headline, summary and body text.
        taxonomy: the hub's topics; ``taxonomy.root`` is always included.
        rules: thresholds; the default is what agreed best with the seed.
    """
    return explain_topics(title, excerpt, text, taxonomy, rules).topics


def explain_topics(
    title: str,
    excerpt: str,
    text: str,
    taxonomy: Taxonomy,
    rules: TopicRules = DEFAULT_RULES,
) -> TopicExplanation:
    """Return the topics of an article together with the evidence (for ``everyday explain``)."""
    fields = {"title": title or "", "excerpt": excerpt or "", "body": text or ""}
    matches, topic_counts = _find_matches(fields, taxonomy)
    scores: dict[str, int] = {}
    weak: list[str] = []
    for name, counts in topic_counts.items():
        if _is_strong(counts, rules):
            body = min(counts["body"], _BODY_SCORE_CAP)
            scores[name] = sum(_WEIGHTS[f] * counts[f] for f in ("title", "excerpt")) + body
        else:
            weak.append(name)
    chosen, implied, dropped = _select(scores, taxonomy, rules.max_topics)
    return TopicExplanation(
        topics=_ordered(chosen, taxonomy),
        matches=matches,
        implied=tuple(n for n in _ordered(implied, taxonomy) if n != taxonomy.root),
        dropped=tuple(dropped),
        weak=tuple(weak),
    )


def _is_strong(counts: dict[str, int], rules: TopicRules) -> bool:
    return (
        counts["title"] > 0
        or counts["excerpt"] >= rules.excerpt_min_mentions
        or counts["body"] >= rules.body_min_mentions
    )


def _find_matches(
    fields: dict[str, str], taxonomy: Taxonomy
) -> tuple[tuple[KeywordMatch, ...], dict[str, dict[str, int]]]:
    """Return per-keyword matches and per-topic mention counts by field.

    A topic's count is of distinct text spans, so ``canvas app`` and ``canvas apps``
    finding the same words count once.
    """
    found: list[KeywordMatch] = []
    spans: dict[str, dict[str, set[tuple[int, int]]]] = {}
    lowered = {name: value.lower() for name, value in fields.items()}
    for topic_name, keyword, probe, pattern in _compiled(taxonomy.topics, taxonomy.root):
        for field_name in FIELDS:
            if probe not in lowered[field_name]:
                continue  # a substring test is far cheaper than the regex, and usually fails
            hits = [m.span() for m in pattern.finditer(fields[field_name])]
            if hits:
                found.append(KeywordMatch(topic_name, keyword, field_name, len(hits)))
                spans.setdefault(topic_name, {}).setdefault(field_name, set()).update(hits)
    counts = {
        name: {f: _distinct(by_field.get(f, set())) for f in FIELDS}
        for name, by_field in spans.items()
    }
    return tuple(found), counts


def _distinct(spans: set[tuple[int, int]]) -> int:
    """Count spans that do not overlap an earlier (longer-first) one."""
    taken: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        if not taken or start >= taken[-1][1]:
            taken.append((start, end))
    return len(taken)


def _select(
    scores: dict[str, int], taxonomy: Taxonomy, max_topics: int
) -> tuple[set[str], set[str], list[str]]:
    """Greedily keep the strongest topics with their parents, within ``max_topics``."""
    order = {t.name: i for i, t in enumerate(taxonomy.topics)}
    ranked = sorted(scores, key=lambda n: (-scores[n], order.get(n, len(order))))
    chosen = {taxonomy.root}
    implied: set[str] = set()
    dropped: list[str] = []
    for name in ranked:
        if name in chosen:
            implied.discard(name)
            continue
        parents = [p for p in taxonomy.ancestors(name) if p not in chosen]
        if len(chosen) + 1 + len(parents) > max_topics:
            dropped.append(name)
            continue
        chosen.add(name)
        chosen.update(parents)
        implied.update(p for p in parents if p not in scores and p != taxonomy.root)
    return chosen, implied, dropped


def _ordered(names: set[str], taxonomy: Taxonomy) -> tuple[str, ...]:
    rest = [t.name for t in taxonomy.topics if t.name in names and t.name != taxonomy.root]
    return (taxonomy.root, *rest)


@lru_cache(maxsize=16)
def _compiled(
    topics: tuple[Topic, ...], root: str
) -> tuple[tuple[str, str, str, re.Pattern[str]], ...]:
    """Compile every keyword once per taxonomy (topics are hashable, so they key the cache).

    Each comes with a probe: a lowercase piece of its first word that any match contains.
    """
    out = []
    for topic in topics:
        if topic.name == root:
            continue  # the root is always assigned; its keywords decide nothing
        for keyword in topic.keywords:
            pattern = keyword_pattern(keyword)
            if pattern is not None:
                first = re.split(_SEPARATOR, keyword.strip().lower())[0]
                out.append((topic.name, keyword, first[:-1] if len(first) > 2 else first, pattern))
    return tuple(out)


def keyword_pattern(keyword: str) -> re.Pattern[str] | None:
    """Compile one keyword: word boundaries, flexible separators, optional plural."""
    words = [w for w in re.split(_SEPARATOR, keyword.strip()) if w]
    if not words:
        return None
    parts = [re.escape(w) for w in words[:-1]]
    parts.append(_plural(words[-1]))
    body = _SEPARATOR.join(parts)
    flags = re.IGNORECASE if keyword == keyword.lower() else 0
    return re.compile(rf"(?<!\w){body}(?!\w)", flags)


def _plural(word: str) -> str:
    """Let the last word of a keyword also match its regular English plural."""
    if len(word) < 3 or not word.isalpha():
        return re.escape(word)
    lower = word.lower()
    if lower.endswith("y") and lower[-2] not in "aeiou":
        return re.escape(word[:-1]) + "(?:y|ies)"
    if lower.endswith(("s", "x", "ch", "sh")):
        return re.escape(word) + "(?:es)?"
    return re.escape(word) + "s?"
