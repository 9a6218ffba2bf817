"""Pairs among the articles an enrich run loaded: similarity, quality, related lists.

Pure decisions over loaded :class:`~everyday.models.Article` values, for
:mod:`everyday.enrichment` (the recipe) and :mod:`everyday.explain`: no store, no files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from .enrich.quality import Score, quality_score, signals_for, tier_for
from .enrich.related import Item, RelatedRules, related_for
from .enrich.similarity import SimilarityIndex, SimilaritySettings, document_text
from .events import Events, quiet
from .models import Article, Related
from .settings import EnrichSettings

QUERY_LIMIT = 64  # more targets than this: score every pair in one batch instead
_NO_WINDOW = timedelta.max


@dataclass(frozen=True)
class Bars:
    """Per-pair thresholds: with text on both sides, or without (title + excerpt only)."""

    related: float
    related_excerpt: float
    story: float
    story_excerpt: float

    def related_for(self, a: Article, b: Article) -> float:
        return self.related if has_text(a) and has_text(b) else self.related_excerpt

    def story_for(self, a: Article, b: Article) -> float:
        return self.story if has_text(a) and has_text(b) else self.story_excerpt


def bars_of(settings: EnrichSettings) -> Bars:
    """The hub's related and story thresholds."""
    return Bars(
        settings.min_score,
        settings.excerpt_min_score,
        settings.story_score,
        settings.excerpt_story_score,
    )


def window_of(settings: EnrichSettings) -> timedelta:
    return timedelta(days=settings.window_days)


def has_text(article: Article) -> bool:
    """Whether the body is known (imported records carry only title and excerpt)."""
    return bool(article.text.strip())


def build_index(
    articles: Iterable[Article], settings: EnrichSettings, on_event: Events = quiet
) -> SimilarityIndex:
    """A similarity index over title, excerpt and text, articles added in time order."""
    # One refit at the end instead of one per 20% of growth (31 of them for 1,000 articles).
    similarity = SimilaritySettings(duplicate_jaccard=settings.duplicate_jaccard, refit_growth=1e9)
    index = SimilarityIndex(similarity)
    for a in sorted(articles, key=lambda a: (a.record.published, a.record.web_url)):
        r = a.record
        index.add(r.web_url, document_text(r.title, r.excerpt, a.text), r.published)
        on_event("step", {})
    index.refit()
    return index


def scored_pairs(
    index: SimilarityIndex, arts: Mapping[str, Article], targets: set[str], settings: EnrichSettings
) -> tuple[dict[frozenset[str], float], set[frozenset[str]]]:
    """Cosines and near-copies of every pair within the window that touches a target."""
    window = window_of(settings)
    text_less = any(not has_text(arts[t]) for t in targets) or not all(map(has_text, arts.values()))
    floor = min(settings.min_score, settings.excerpt_min_score if text_less else 1.0)
    cosines: dict[frozenset[str], float] = {}
    copies: set[frozenset[str]] = set()
    if len(targets) > QUERY_LIMIT:
        for a, b, score in index.similar_pairs(window, floor):
            if a in targets or b in targets:
                cosines[frozenset((a, b))] = score
        for a, b, _ in index.duplicate_pairs(window):
            if a in targets or b in targets:
                copies.add(frozenset((a, b)))
        return cosines, copies
    for t in targets:
        for other, score in index.neighbours(t, window, min_score=floor):
            cosines[frozenset((t, other))] = score
        copies.update(frozenset((t, other)) for other, _ in index.duplicates(t, window))
    return cosines, copies


def score_quality(
    article: Article, tiers: Mapping[str, int], registry: Iterable[str], is_copy: bool
) -> Score:
    """The article's quality and its parts, from what the record and the text show."""
    r = article.record
    image = r.images[0] if r.images else None
    signals = signals_for(
        r.title,
        r.excerpt,
        article.text if has_text(article) else None,
        provider_tier=tier_for(r.provider.domain, tiers, registry),
        image_size=(image.width, image.height) if image else None,
        is_duplicate=is_copy,
    )
    return quality_score(signals)


def is_copy(url: str, copies: set[frozenset[str]], arts: Mapping[str, Article]) -> bool:
    """A near-copy of an earlier article (the earlier one keeps its points)."""
    mine = (arts[url].record.published, url)
    for pair in copies:
        if url in pair:
            (other,) = pair - {url}
            if (arts[other].record.published, other) < mine:
                return True
    return False


def linked_pairs(
    arts: Mapping[str, Article],
    targets: set[str],
    cosines: Mapping[frozenset[str], float],
    copies: set[frozenset[str]],
    bars: Bars,
    window: timedelta,
) -> dict[str, set[str]]:
    """Related pairs touching a target, as adjacency sets (symmetric)."""
    linked: dict[str, set[str]] = {t: set() for t in targets}
    for pair in set(cosines) | copies:
        a, b = sorted(pair)
        x, y = arts[a], arts[b]
        if abs(x.record.published - y.record.published) > window:
            continue
        if pair in copies or cosines[pair] >= bars.related_for(x, y):
            linked.setdefault(a, set()).add(b)
            linked.setdefault(b, set()).add(a)
    return linked


def related_lists(
    arts: Mapping[str, Article],
    targets: set[str],
    linked: Mapping[str, set[str]],
    quality: Mapping[str, int],
    settings: EnrichSettings,
) -> dict[str, tuple[str, ...]]:
    """New related lists: targets from the index; a neighbour keeps its other entries.

    Members that are not loaded (outside the window of the targets) are ranked by the
    quality and date their related entry carries.
    """
    rules = RelatedRules(window=_NO_WINDOW, min_score=0.0, max_related=settings.max_related or None)
    touched = set(linked)
    for url, a in arts.items():
        if url not in targets and any(e.web_url in targets for e in a.record.related or ()):
            touched.add(url)
    lists = {}
    for url in touched:
        if url in targets:
            members = set(linked.get(url, ()))
        else:
            kept = {e.web_url for e in arts[url].record.related or ()} - targets
            members = kept | set(linked.get(url, ()))
        members.discard(url)
        items = [_item(m, quality, arts, url) for m in members]
        me = Item(url, arts[url].record.published, quality[url])
        lists[url] = tuple(i.id for i in related_for(me, ((i, 1.0) for i in items), rules))
    return lists


def _item(url: str, quality: Mapping[str, int], arts: Mapping[str, Article], owner: str) -> Item:
    if url in arts:
        return Item(url, arts[url].record.published, quality[url])
    entry = entry_of(arts[owner], url)
    return Item(url, entry.published, entry.quality or 0)


def quality_of(
    url: str, quality: Mapping[str, int], arts: Mapping[str, Article], owner: str
) -> int:
    return _item(url, quality, arts, owner).quality


def entry_of(owner: Article, url: str) -> Related:
    return next(e for e in owner.record.related or () if e.web_url == url)
