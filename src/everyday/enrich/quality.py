"""An explainable quality score on the seed's scale (0 to ~200, median ~70), pure.

The seed's ``quality`` was an upstream score we cannot see (``SCHEMA.md`` §vi.3); what its
data shows is that the provider decides most of it (strong outlets 80-130, press-release and
SEO sites 0-40, unknown small sites cluster at 37). So the score is a sum of small, named
parts a user can read in ``everyday explain`` and tune per hub through
:class:`QualityWeights`:

* provider authority: a tier (1 = strongest … 5 = press-release mill, ``None`` = unknown)
  from the organizations registry, or learned from a hub's history with
  :func:`provider_tiers_from_records`;
* text length and structure (words, paragraphs) when the text is known, else a weak
  excerpt-length proxy;
* lead image and its size;
* title quality: clickbait, ALL CAPS, questions, listicles, "Market Size, Share, CAGR,
  Forecast 2024-2030" market-report spam and press-release boilerplate;
* junk excerpts (cookie notices, paywalls), non-English text, being a duplicate.

``tests/test_enrich_quality.py`` measures the rank correlation with the seed's quality on
``../shared/corpus`` (tiers learned on older records, scored on newer ones) and pins it.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .excerpt import is_junk

TITLE_FLAGS = ("clickbait", "all_caps", "question", "listicle", "market_report", "press_release")

_CLICKBAIT = re.compile(
    r"\byou won'?t believe\b|\bwill (blow your mind|shock you|surprise you)\b|\bshocking\b"
    r"|\bthis (one )?(simple |weird )?(trick|thing)\b|\bwhat happens next\b|\bjaw[- ]dropping\b"
    r"|\bmind[- ]blowing\b|\bmust[- ](see|read|watch)\b|\beverything you need to know\b"
    r"|\bhere'?s (why|how|what)\b|\bthe (real )?reason why\b|\bnobody (is talking|tells you)\b"
    r"|\b(insane|unbelievable|epic fail|gone wrong)\b|!{2,}",
    re.I,
)
_LISTICLE = re.compile(
    r"^\s*(top\s+)?\d{1,3}\s+(\w+\s+){0,3}?(ways|things|reasons|tips|tricks|facts|examples|"
    r"best|signs|steps|ideas|mistakes|tools|apps|secrets|lessons|questions)\b",
    re.I,
)
_MARKET_REPORT = re.compile(
    r"\bmarket\s+(size|share|growth|analysis|report|research|trends?|outlook|forecast|"
    r"insights|overview|status|demand|opportunit\w*|to (witness|grow|reach|expand|see))\b"
    r"|\bCAGR\b|\bforecast\s+(period\s+)?(to\s+|till\s+|by\s+|\d)|\b20\d\d\s*[-–—]\s*20\d\d\b"
    r"|\b(global|worldwide)\b.{0,80}\bmarket\b|\bmarket\b.{0,60}\|"
    r"|\bkey (players|vendors|companies)\b|\bindustry (analysis|forecast)\b",
    re.I,
)
_PRESS_RELEASE = re.compile(
    r"\bpress release\b|/PRNewswire/|\bBusiness ?Wire\b|\bGlobeNewswire\b"
    r"|\b(is )?(recogni[sz]ed|named) as (a )?(winner|leader|finalist)\b"
    r"|\b(announces|unveils|launches) (the )?(integration|partnership|availability)\b"
    r"|\bpartner of the year\b|\bwebinar\b|\b(investor ?ideas|investorideas)\b"
    r"|\bcontract\s*\(|\bsenior associate\b|\b(developer|engineer) (job|vacancy|wanted)\b",
    re.I,
)
_ENGLISH = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "a",
        "in",
        "is",
        "that",
        "for",
        "it",
        "on",
        "with",
        "as",
        "was",
        "are",
        "be",
        "by",
        "this",
        "at",
        "from",
        "or",
        "an",
        "have",
        "has",
        "not",
        "but",
        "which",
        "they",
        "their",
        "will",
        "can",
        "more",
        "its",
        "also",
        "new",
        "we",
        "you",
        "our",
        "about",
        "been",
        "were",
        "than",
    ]
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class Signals:
    """What the score looks at: each field is something a user can check on the page.

    ``words``/``paragraphs`` are of the full text; ``None`` when it is unknown (imported
    records carry only an excerpt), in which case ``excerpt_words`` is a weak proxy.
    """

    provider_tier: int | None = None
    words: int | None = None
    paragraphs: int | None = None
    excerpt_words: int = 0
    image_width: int | None = None
    image_height: int | None = None
    has_image: bool = False
    title_words: int = 0
    title_flags: tuple[str, ...] = ()
    excerpt_is_junk: bool = False
    is_english: bool = True
    is_duplicate: bool = False


@dataclass(frozen=True)
class QualityWeights:
    """Points per signal; the defaults are fitted on the seed (older half) and tunable per hub.

    ``tier_points[i]`` is for tier ``i + 1``; ``length_points`` pairs (min words, points),
    highest bar first.
    """

    base: int = 30
    tier_points: tuple[int, ...] = (70, 50, 32, 10, -12)
    unknown_tier: int = 8
    length_points: tuple[tuple[int, int], ...] = ((1200, 22), (600, 16), (300, 10), (150, 4))
    short_text: int = -10  # under 150 words of text: a stub, a teaser, a paywall
    paragraphs_min: int = 5
    structure: int = 5
    # Excerpt length as a stand-in for text length: measured on the seed it ranks worse
    # with it than without (train 0.715 -> 0.639), so it is off unless a hub turns it on.
    excerpt_points: tuple[tuple[int, int], ...] = ()
    image: int = 8
    large_image: int = 4
    large_image_width: int = 1000
    small_image_width: int = 300
    small_image: int = -4
    title_flags: tuple[tuple[str, int], ...] = (
        ("clickbait", -15),
        ("all_caps", -15),
        ("question", -4),
        ("listicle", -6),
        ("market_report", -30),
        ("press_release", -20),
    )
    short_title: int = -4  # fewer than 4 words: "Source code files", "Weekly roundup"
    long_title: int = -6  # more than 22 words: SEO keyword lists
    junk_excerpt: int = -10
    not_english: int = -30
    duplicate: int = -10


@dataclass(frozen=True)
class Score:
    """A quality value and the named parts that add up to it (before the floor at 0)."""

    value: int
    parts: tuple[tuple[str, int], ...]


def quality_score(signals: Signals, weights: QualityWeights = QualityWeights()) -> Score:
    """The article's quality: the sum of its parts, never below 0."""
    parts: list[tuple[str, int]] = [("base", weights.base)]
    parts.append(_provider_part(signals, weights))
    parts.extend(_length_parts(signals, weights))
    parts.extend(_image_parts(signals, weights))
    parts.extend(_title_parts(signals, weights))
    if signals.excerpt_is_junk:
        parts.append(("junk excerpt", weights.junk_excerpt))
    if not signals.is_english:
        parts.append(("not English", weights.not_english))
    if signals.is_duplicate:
        parts.append(("duplicate", weights.duplicate))
    kept = tuple((name, points) for name, points in parts if points)
    return Score(value=max(0, sum(points for _, points in kept)), parts=kept)


def signals_for(
    title: str,
    excerpt: str = "",
    text: str | None = None,
    *,
    provider_tier: int | None = None,
    image_size: tuple[int | None, int | None] | None = None,
    is_duplicate: bool = False,
) -> Signals:
    """Read the signals off an article; ``text=None`` means the body is unknown."""
    body = text if text is not None else ""
    paragraphs = sum(1 for block in re.split(r"\n\s*\n|\n", body) if len(block.split()) >= 8)
    return Signals(
        provider_tier=provider_tier,
        words=len(body.split()) if text is not None else None,
        paragraphs=paragraphs if text is not None else None,
        excerpt_words=len(excerpt.split()),
        image_width=image_size[0] if image_size else None,
        image_height=image_size[1] if image_size else None,
        has_image=image_size is not None,
        title_words=len(title.split()),
        title_flags=title_flags(title, excerpt),
        excerpt_is_junk=bool(excerpt.strip()) and is_junk(excerpt),
        is_english=is_english(" ".join((title, excerpt, body[:5000]))),
        is_duplicate=is_duplicate,
    )


def title_flags(title: str, excerpt: str = "") -> tuple[str, ...]:
    """Named title problems, in :data:`TITLE_FLAGS` order (the excerpt can reveal spam too)."""
    flags: set[str] = set()
    if _CLICKBAIT.search(title):
        flags.add("clickbait")
    letters = [c for c in title if c.isalpha()]
    if len(title.split()) >= 3 and len(letters) >= 12:
        upper = sum(1 for c in letters if c.isupper())
        if upper / len(letters) > 0.7:
            flags.add("all_caps")
    if title.rstrip().endswith("?"):
        flags.add("question")
    if _LISTICLE.search(title):
        flags.add("listicle")
    if _MARKET_REPORT.search(title) or re.search(r"\bCAGR\b|\bmarket size\b", excerpt, re.I):
        flags.add("market_report")
    if _PRESS_RELEASE.search(title) or _PRESS_RELEASE.search(excerpt[:200]):
        flags.add("press_release")
    return tuple(flag for flag in TITLE_FLAGS if flag in flags)


def is_english(text: str) -> bool:
    """True when common English function words make up a plausible share of the words."""
    words = _WORD.findall(text.casefold())
    if len(words) < 8:  # too little to tell: give the benefit of the doubt
        return not text.strip() or _mostly_latin(text)
    share = sum(1 for w in words if w in _ENGLISH) / len(words)
    return share >= 0.08 and _mostly_latin(text)


def provider_tiers_from_records(
    records: Iterable[tuple[str, int]],
    edges: tuple[int, ...] = (92, 78, 58, 32),
    prior_weight: float = 1.0,
) -> dict[str, int]:
    """Learn provider tiers from (domain, quality) pairs of a hub's history.

    The median quality per domain is shrunk towards the overall median (a domain seen
    once says little) and bucketed: at or above ``edges[0]`` is tier 1, … below the
    last edge is tier ``len(edges) + 1``.
    """
    by_domain: dict[str, list[int]] = defaultdict(list)
    for domain, quality in records:
        if domain:
            by_domain[domain.casefold()].append(quality)
    if not by_domain:
        return {}
    overall = statistics.median(q for qs in by_domain.values() for q in qs)
    tiers = {}
    for domain, qs in by_domain.items():
        centre = (statistics.median(qs) * len(qs) + overall * prior_weight) / (
            len(qs) + prior_weight
        )
        tiers[domain] = 1 + sum(1 for edge in edges if centre < edge)
    return tiers


def tier_for(
    domain: str, learned: Mapping[str, int], registry: Iterable[str] = (), registry_tier: int = 2
) -> int | None:
    """A provider's tier: learned from history first, else the registry's, else unknown."""
    key = domain.casefold()
    if key in learned:
        return learned[key]
    if key in {d.casefold() for d in registry}:
        return registry_tier
    return None


def _provider_part(signals: Signals, weights: QualityWeights) -> tuple[str, int]:
    tier = signals.provider_tier
    if tier is None or tier < 1:
        return ("provider unknown", weights.unknown_tier)
    index = min(tier, len(weights.tier_points)) - 1
    return (f"provider tier {tier}", weights.tier_points[index])


def _length_parts(signals: Signals, weights: QualityWeights) -> list[tuple[str, int]]:
    if signals.words is None:
        for bar, points in weights.excerpt_points:
            if signals.excerpt_words >= bar:
                return [(f"excerpt >= {bar} words", points)]
        return []
    parts = []
    for bar, points in weights.length_points:
        if signals.words >= bar:
            parts.append((f"text >= {bar} words", points))
            break
    else:
        parts.append(("short text", weights.short_text))
    if (signals.paragraphs or 0) >= weights.paragraphs_min:
        parts.append((f"{signals.paragraphs} paragraphs", weights.structure))
    return parts


def _image_parts(signals: Signals, weights: QualityWeights) -> list[tuple[str, int]]:
    if not signals.has_image:
        return []
    parts = [("lead image", weights.image)]
    width = signals.image_width or 0
    if width >= weights.large_image_width:
        parts.append((f"image {width}px wide", weights.large_image))
    elif 0 < width < weights.small_image_width:
        parts.append((f"image only {width}px wide", weights.small_image))
    return parts


def _title_parts(signals: Signals, weights: QualityWeights) -> list[tuple[str, int]]:
    points = dict(weights.title_flags)
    parts = [(f"title: {flag}", points.get(flag, 0)) for flag in signals.title_flags]
    if 0 < signals.title_words < 4:
        parts.append(("title: short", weights.short_title))
    elif signals.title_words > 22:
        parts.append(("title: long", weights.long_title))
    return parts


def _mostly_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    return sum(1 for c in letters if c < "\u0250") / len(letters) >= 0.8
