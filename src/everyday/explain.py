"""``everyday explain``: why an article got its topics, quality, heat, story and published flag.

Every number is traced to a signal: the keywords that matched (and where), the named parts
of the quality score, the related list's qualities behind the heat, the cosines and
near-copy scores of its neighbours against the hub's bars. The explanation recomputes
each decision with the same functions the enrich stage uses, from the stored record, and
says where the stored value differs (for instance a record imported with the seed's own
score).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .editorial import editor_decision, find_article
from .enrich.heat import Decision, decide
from .enrich.quality import Score
from .enrich.topics import TopicExplanation, explain_topics
from .enrich_pairs import bars_of, build_index, has_text, score_quality, window_of
from .enrich_stories import story_of
from .enrichment import load_window, read_tiers
from .models import Article

if TYPE_CHECKING:
    from .pipeline import Hub

MAX_UNLISTED = 5


@dataclass(frozen=True)
class Neighbour:
    """Another article within the window and how alike it is."""

    web_url: str
    title: str
    quality: int | None
    cosine: float  # TF-IDF cosine over title + excerpt + text
    copy: float | None  # MinHash Jaccard when a near-copy
    bar: float  # the cosine it needs to be related
    listed: bool  # in the stored related list


@dataclass(frozen=True)
class Explanation:
    """Everything ``everyday explain`` prints about one article."""

    article: Article
    topics: TopicExplanation
    quality: Score
    tier: str  # where the provider tier came from
    decision: Decision
    threshold: int
    story: str | None
    story_members: tuple[str, ...]  # titles of the other loaded articles of the story
    neighbours: tuple[Neighbour, ...]


def explain(hub: Hub, ref: str) -> Explanation:
    """Recompute and explain every derived field of one stored article."""
    article = find_article(hub, ref)
    record = article.record
    settings = hub.settings.enrich
    context = load_window(hub, [record.published], window_of(settings))
    arts = {a.record.web_url: a for a in context if a.record.web_url}
    arts[record.web_url] = article
    index = build_index(arts.values(), settings)
    window = window_of(settings)
    cosines = dict(index.neighbours(record.web_url, window))
    copies = dict(index.duplicates(record.web_url, window))
    is_copy = any(arts[u].record.published < record.published for u in copies)
    tiers = read_tiers(hub.settings)
    registry = frozenset(d for d, o in hub.taxonomy.organizations.items() if o.curated)
    quality = score_quality(article, tiers, registry, is_copy)
    threshold = hub.settings.site.publish_threshold
    related = record.related or ()
    decision = decide(
        record.quality if record.quality is not None else quality.value,
        [e.quality for e in related],
        threshold,
        settings.related_bonus,
    )
    bars = bars_of(settings)
    listed = {e.web_url for e in related}
    shown = [*listed, *[u for u in cosines if u not in listed][:MAX_UNLISTED]]
    neighbours = tuple(
        Neighbour(
            web_url=url,
            title=arts[url].record.title if url in arts else _title(article, url),
            quality=arts[url].record.quality if url in arts else None,
            cosine=cosines.get(url, 0.0),
            copy=copies.get(url),
            bar=bars.related_for(article, arts[url]) if url in arts else bars.related_excerpt,
            listed=url in listed,
        )
        for url in shown
    )
    story = story_of(article)
    members = tuple(
        a.record.title
        for u, a in arts.items()
        if story is not None and u != record.web_url and story_of(a) == story
    )
    return Explanation(
        article=article,
        topics=explain_topics(record.title, record.excerpt, article.text, hub.taxonomy),
        quality=quality,
        tier=_tier_source(record.provider.domain, tiers, registry),
        decision=decision,
        threshold=threshold,
        story=story,
        story_members=members,
        neighbours=neighbours,
    )


def _title(article: Article, url: str) -> str:
    return next((e.title for e in article.record.related or () if e.web_url == url), url)


def _tier_source(domain: str, tiers: dict[str, int], registry: frozenset[str]) -> str:
    key = domain.casefold()
    if key in tiers:
        return f"tier {tiers[key]} learned from the hub's imported history"
    if key in {d.casefold() for d in registry}:
        return "tier 2: the provider has an organizations file"
    return "unknown provider: no history, no organizations file"


def render(e: Explanation) -> list[str]:
    """The explanation as text lines, one decision per section."""
    r = e.article.record
    lines = [f"{r.title}", f"  {r.web_url}", f"  {e.article.path}  ({r.published.isoformat()})"]
    lines += ["", f"topics: {', '.join(r.topics) or '-'}"]
    for m in e.topics.matches:
        lines.append(f"  {m.topic}: '{m.keyword}' x{m.count} in the {m.field}")
    for name, what in (("implied", e.topics.implied), ("dropped (over the limit)",
                       e.topics.dropped), ("too weak (body only)", e.topics.weak)):  # fmt: skip
        if what:
            lines.append(f"  {name}: {', '.join(what)}")
    if set(e.topics.topics) != set(r.topics):
        lines.append(f"  (recomputed now: {', '.join(e.topics.topics)})")
    stored = "-" if r.quality is None else r.quality
    text = "text known" if has_text(e.article) else "no text (title + excerpt only)"
    lines += ["", f"quality: {stored}  (recomputed: {e.quality.value}; {text})"]
    lines += [f"  {points:+4d}  {name}" for name, points in e.quality.parts]
    lines.append(f"  provider {r.provider.domain or '-'}: {e.tier}")
    lines += ["", f"heat: {'-' if r.heat is None else r.heat}  ({e.decision.reason})"]
    by_hand = editor_decision(e.article.tags)
    lines.append(
        f"published: {r.is_published}  (decided now: {e.decision.published}; "
        f"threshold {e.threshold})"
        if by_hand is None
        else f"published: {r.is_published}  (by an editor; the hub would say "
        f"{e.decision.published}: `everyday articles auto` hands it back)"
    )
    lines += ["", f"story: {e.story or '-'}"]
    lines += [f"  with: {title}" for title in e.story_members]
    lines += ["", f"related: {len(r.related or ())} listed"]
    for n in e.neighbours:
        mark = "listed" if n.listed else "not listed"
        copy = f", near-copy {n.copy:.2f}" if n.copy is not None else ""
        quality = "-" if n.quality is None else n.quality
        lines.append(
            f"  [{mark}] cosine {n.cosine:.3f} (bar {n.bar:.2f}{copy}), quality {quality}: "
            f"{n.title}"
        )
    return lines
