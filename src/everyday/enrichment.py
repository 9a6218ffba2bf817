"""The enrich stage: quality, related lists, stories, heat, published and secured, on a hub.

    articles to decide (the targets) -> the stored articles within ±window of them
    -> similarity index over title + excerpt + text -> quality of the targets
    -> related lists (targets from the index; their neighbours gain or lose them)
    -> story clusters -> heat and published of everything touched -> secured
    -> rewrite the changed record files, then the index, one transaction per batch

This is an edge module like :mod:`everyday.pipeline`: it reads and writes the store and
the record files; every decision is a pure function of :mod:`everyday.enrich`. A pass
calls :func:`enrich_new` with what it stored, so adding one article to a 100,000-article
hub loads only its week. ``everyday enrich --recompute`` calls :func:`recompute`, the same
code with every stored article as a target, so fresh and imported hubs are decided alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .enrich.classifier import combine
from .enrich.heat import Decision, decide
from .enrich.quality import Score, quality_score, signals_for, tier_for
from .enrich.related import Item, RelatedRules, related_for, story_clusters
from .enrich.secured import encrypt_secured, secured_payload
from .enrich.similarity import SimilarityIndex, SimilaritySettings, document_text
from .enrich.topics import assign_topics
from .errors import ConfigError, EverydayError
from .keyring import KeyRing, describe_missing_key, load_keyring
from .models import Article, Provider, Record, Related
from .records.files import read_record, write_record
from .records.frontmatter import format_record
from .settings import EnrichSettings, Settings
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    from .pipeline import Hub

log = logging.getLogger(__name__)

HubKeys = Literal["hub"]  # read the hub's keys (environment or key file)

Events = Callable[[str, dict[str, object]], None]
STORY_TAG = "story:"
TIERS_FILE = ".everyday/provider-tiers.json"
BATCH = 500  # records written per index transaction
WRITERS = 8  # record files written at once
PARALLEL_TOPICS = 1000  # tag topics in worker processes from this many articles
QUERY_LIMIT = 64  # more targets than this: score every pair in one batch instead
_NO_WINDOW = timedelta.max


def _quiet(kind: str, data: dict[str, object]) -> None:
    """Default event sink; the CLI passes a progress bar."""


@dataclass(frozen=True)
class EnrichReport:
    """What one enrich run decided and wrote."""

    targets: int = 0
    considered: int = 0  # articles loaded as context
    rewritten: tuple[str, ...] = ()  # hub-relative paths of record files written
    demoted: tuple[str, ...] = ()  # web URLs that were published and no longer are
    published: int = 0  # touched records now published
    secured_missing: str | None = None  # why ``secured`` was left out, once per run


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


# ----------------------------------------------------------------------------- entry points


def enrich_new(
    hub: Hub,
    new: Iterable[str],
    now: datetime,
    *,
    keyring: KeyRing | HubKeys | None = "hub",
    on_event: Events = _quiet,
) -> EnrichReport:
    """Decide the derived fields of newly stored articles and of the neighbours they touch.

    Args:
        hub: the open hub.
        new: web URLs (or hub record paths) of the articles a pass stored or updated.
        now: the pass's clock (kept for symmetry with the other stages).
        keyring: the keys for ``secured``; by default the hub's (env or key file).
        on_event: progress sink.
    """
    targets = [a for a in (_resolve(hub, ref) for ref in dict.fromkeys(new)) if a is not None]
    if not targets:
        return EnrichReport()
    window = window_of(hub.settings.enrich)
    context = load_window(hub, [a.record.published for a in targets], window)
    by_url = {a.record.web_url: a for a in context}
    by_url.update((a.record.web_url, a) for a in targets)
    chosen = {a.record.web_url for a in targets}
    chosen |= {url for url, a in by_url.items() if a.record.quality is None}  # never decided
    return enrich_articles(
        hub, list(by_url.values()), chosen, now, keyring=keyring, on_event=on_event
    )


def recompute(
    hub: Hub,
    now: datetime,
    *,
    since: datetime | None = None,
    keyring: KeyRing | HubKeys | None = "hub",
    on_event: Events = _quiet,
) -> EnrichReport:
    """Recompute topics, stories, related, quality, heat and published from the store alone.

    With ``since``, only articles published at or after it are decided again; older ones
    within the window are context and only gain or lose the recomputed ones.
    """
    window = window_of(hub.settings.enrich)
    articles = hub.store.get_articles(since=since - window if since else None)
    chosen = {a.record.web_url for a in articles if since is None or a.record.published >= since}
    return enrich_articles(
        hub, articles, chosen, now, keyring=keyring, retopic=True, on_event=on_event
    )


def enrich_pending(
    hub: Hub,
    now: datetime,
    *,
    since: datetime | None = None,
    keyring: KeyRing | HubKeys | None = "hub",
    on_event: Events = _quiet,
) -> EnrichReport:
    """Decide the stored articles that were never decided (a pass killed before its enrich
    stage, an import without scores), and the neighbours they touch."""
    pending = [
        a.record.web_url for a in hub.store.get_articles(since=since) if a.record.quality is None
    ]
    return enrich_new(hub, pending, now, keyring=keyring, on_event=on_event)


def load_window(hub: Hub, dates: list[datetime], window: timedelta) -> list[Article]:
    """Stored articles published within ``window`` of any of ``dates`` (not the whole hub)."""
    first, last = min(dates) - window, max(dates) + window
    return [a for a in hub.store.get_articles(since=first) if a.record.published <= last]


def _resolve(hub: Hub, ref: str) -> Article | None:
    article = hub.store.get_article(ref)
    if article is None and ref.endswith(".md"):
        path = Path(ref) if Path(ref).is_absolute() else hub.settings.hub_dir / ref
        try:
            article = hub.store.get_article(read_record(path).web_url)
        except EverydayError as e:
            log.warning("enrich: record not readable path=%s reason=%s", ref, e)
    if article is None:
        log.warning("enrich: article not in the index ref=%s", ref)
    return article


# ------------------------------------------------------------------------------ the decision


def enrich_articles(
    hub: Hub,
    context: list[Article],
    targets: set[str],
    now: datetime,
    *,
    keyring: KeyRing | HubKeys | None = "hub",
    retopic: bool = False,
    on_event: Events = _quiet,
) -> EnrichReport:
    """Decide ``targets`` (web URLs) among ``context``, update what they touch, write it."""
    settings = hub.settings.enrich
    arts = {a.record.web_url: a for a in context if a.record.web_url}
    targets = {t for t in targets if t in arts}
    if retopic:
        arts.update(retopic_all([arts[t] for t in sorted(targets)], hub))
    on_event("phase", {"name": "index", "total": len(arts)})
    index = build_index(arts.values(), settings, on_event)
    cosines, copies = scored_pairs(index, arts, targets, settings)
    on_event("phase", {"name": "decide", "total": len(targets)})
    tiers = read_tiers(hub.settings)
    registry = frozenset(hub.taxonomy.organizations)
    quality = {url: a.record.quality or 0 for url, a in arts.items()}
    for t in sorted(targets):
        quality[t] = score_quality(arts[t], tiers, registry, _is_copy(t, copies, arts)).value
    bars = bars_of(settings)
    linked = _link(arts, targets, cosines, copies, bars, window_of(settings))
    lists = related_lists(arts, targets, linked, quality, settings)
    clusters = stories(arts, targets, cosines, copies, bars)
    decisions = {
        url: decide(quality[url], [_quality_of(m, quality, arts, url) for m in members],
                    hub.settings.site.publish_threshold, settings.related_bonus)
        for url, members in lists.items()
    }  # fmt: skip
    ring, missing = _keyring(hub.settings, keyring, targets, arts)
    changed = {}
    for url in sorted(set(lists) | set(clusters)):
        updated = _updated(arts[url], lists.get(url), decisions.get(url), clusters.get(url),
                           quality, arts, ring if url in targets else None)  # fmt: skip
        if updated is not None:
            changed[url] = updated
    story_only = frozenset(u for u, a in changed.items() if a.fingerprint == arts[u].fingerprint)
    rewritten = write_articles(hub, list(changed.values()), story_only, on_event)
    demoted = tuple(
        u for u, a in changed.items() if arts[u].record.is_published and not a.record.is_published
    )
    log.info(
        "enriched targets=%d context=%d rewritten=%d demoted=%d",
        len(targets), len(arts), len(rewritten), len(demoted),
    )  # fmt: skip
    return EnrichReport(
        targets=len(targets),
        considered=len(arts),
        rewritten=tuple(rewritten),
        demoted=demoted,
        published=sum(1 for d in decisions.values() if d.published),
        secured_missing=missing,
    )


def build_index(
    articles: Iterable[Article], settings: EnrichSettings, on_event: Events = _quiet
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


def _is_copy(url: str, copies: set[frozenset[str]], arts: Mapping[str, Article]) -> bool:
    """A near-copy of an earlier article (the earlier one keeps its points)."""
    mine = (arts[url].record.published, url)
    for pair in copies:
        if url in pair:
            (other,) = pair - {url}
            if (arts[other].record.published, other) < mine:
                return True
    return False


def _link(
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
    entry = _entry(arts[owner], url)
    return Item(url, entry.published, entry.quality or 0)


def _quality_of(
    url: str, quality: Mapping[str, int], arts: Mapping[str, Article], owner: str
) -> int:
    return _item(url, quality, arts, owner).quality


def _entry(owner: Article, url: str) -> Related:
    return next(e for e in owner.record.related or () if e.web_url == url)


def stories(
    arts: Mapping[str, Article],
    targets: set[str],
    cosines: Mapping[frozenset[str], float],
    copies: set[frozenset[str]],
    bars: Bars,
) -> dict[str, str]:
    """Story id of each target and of every loaded article whose story id changes.

    Targets join the stories of their story pairs (near-copies, or cosine over the story
    bar); a target that bridges two stories merges them under the older id. A story
    without stored members gets the id of its earliest member.
    """
    pairs: list[tuple[str, str, float]] = []
    for pair in set(cosines) | copies:
        a, b = sorted(pair)
        if pair in copies or cosines[pair] >= bars.story_for(arts[a], arts[b]):
            pairs.append((a, b, 1.0))
    members = targets | {u for a, b, _ in pairs for u in (a, b)}
    current = {u: s for u in arts if u not in targets and (s := story_of(arts[u])) is not None}
    out: dict[str, str] = {}
    for group in story_clusters(members, pairs, 0.0):
        if not targets.intersection(group):
            continue
        kept = sorted({current[u] for u in group if u in current})
        earliest = min(group, key=lambda u: (arts[u].record.published, u))
        story = kept[0] if kept else story_id(earliest)
        out.update((u, story) for u in group)
        out.update((u, story) for u, s in current.items() if s in kept[1:])
    return {u: s for u, s in out.items() if s != current.get(u)}


def story_id(web_url: str) -> str:
    """A stable story id (60-bit integer, as text): the hash of its first article's URL."""
    return str(int(hashlib.sha1(web_url.encode("utf-8")).hexdigest()[:15], 16))


def story_of(article: Article) -> str | None:
    """The story id an article is filed under, if any."""
    return next((t[len(STORY_TAG) :] for t in article.tags if t.startswith(STORY_TAG)), None)


def clusters_of(articles: Iterable[Article]) -> dict[str, str]:
    """Record path -> story id, for the site and newsletter builders."""
    return {a.path: s for a in articles if (s := story_of(a)) is not None}


# ----------------------------------------------------------------------------- the outcome


def related_entry(record: Record, quality: int | None) -> Related:
    """How a record appears in another's ``related`` list (provider without logo)."""
    return Related(
        title=record.title,
        excerpt=record.excerpt,
        published=record.published,
        web_url=record.web_url,
        type=record.type,
        provider=Provider(record.provider.name, record.provider.domain),
        quality=quality,
        amp_web_url=record.amp_web_url,
        cdn_amp_web_url=record.cdn_amp_web_url,
        images=record.images,
    )


def _updated(
    article: Article,
    members: tuple[str, ...] | None,
    decision: Decision | None,
    story: str | None,
    quality: Mapping[str, int],
    arts: Mapping[str, Article],
    ring: KeyRing | None,
) -> Article | None:
    """The article with its new derived fields, or None when nothing changed."""
    record = article.record
    if members is not None and decision is not None:
        related = tuple(
            related_entry(arts[m].record, quality[m]) if m in arts else _entry(article, m)
            for m in members
        )
        record = replace(
            record,
            quality=quality[record.web_url],
            heat=decision.heat,
            is_published=decision.published,
            related=related,
        )
    if ring is not None and record.secured is None:
        record = replace(record, secured=encrypt_secured(secured_payload(article), ring.current))
    tags = article.tags
    if story is not None:
        tags = (*(t for t in tags if not t.startswith(STORY_TAG)), STORY_TAG + story)
    if record == article.record and tags == article.tags and article.fingerprint:
        return None
    return replace(article, record=record, tags=tags, fingerprint=fingerprint(record))


def fingerprint(record: Record) -> str:
    """The hash of the serialized record, as the pipeline stores it."""
    return hashlib.sha256(format_record(record).encode("utf-8")).hexdigest()


def write_articles(
    hub: Hub,
    articles: list[Article],
    story_only: frozenset[str] = frozenset(),
    on_event: Events = _quiet,
) -> list[str]:
    """Rewrite changed record files atomically, then index them, one transaction per batch.

    ``story_only`` names articles (web URLs) whose record is unchanged but story id is not.
    Returns the paths of the files whose bytes changed.
    """
    on_event("phase", {"name": "write", "total": len(articles)})
    written: list[str] = []

    def write(article: Article) -> bool:
        return write_record(hub.news_dir, Path(article.path).name, article.record)

    # Each write is fsynced (file and folder): threads overlap those waits (the GIL is
    # released while the disk works), and the next batch's files are written while this
    # batch goes into the index. A batch is indexed only once its files are on disk.
    batches = [articles[i : i + BATCH] for i in range(0, len(articles), BATCH)]
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        pending = [pool.submit(write, a) for a in batches[0]] if batches else []
        for n, batch in enumerate(batches):
            done = [future.result() for future in pending]
            following = batches[n + 1] if n + 1 < len(batches) else []
            pending = [pool.submit(write, a) for a in following]
            for article, changed in zip(batch, done, strict=True):
                if changed:
                    written.append(article.path)
                on_event("step", {})
            with hub.store.transaction():
                for article in batch:
                    _store(hub, article, article.record.web_url in story_only)
    return written


def _store(hub: Hub, article: Article, story_only: bool) -> None:
    # add_article skips an article whose fingerprint is unchanged; a story id can change
    # alone (two stories merged), so such an article goes in once without a fingerprint
    # (compared in full), then with it.
    if story_only:
        hub.store.add_article(replace(article, fingerprint=""))
    hub.store.add_article(article)


def retopic_all(articles: list[Article], hub: Hub) -> dict[str, Article]:
    """Topics again with the keyword tagger (and the hub's model when switched on); many
    articles are tagged on every core.

    Keyword matching is regex work that holds the GIL (milliseconds per full text), so a
    from-scratch run over thousands of articles spreads it over processes.
    """
    taxonomy = hub.taxonomy
    fields = [(a.record.title, a.record.excerpt, a.text) for a in articles]
    workers = min(os.cpu_count() or 1, 8)
    if len(articles) < PARALLEL_TOPICS or workers < 2:
        topics = [assign_topics(*f, taxonomy) for f in fields]
    else:
        with ProcessPoolExecutor(workers, initializer=_set_taxonomy, initargs=(taxonomy,)) as pool:
            topics = list(pool.map(_topics_of, fields, chunksize=200))
    mode = hub.settings.topics.mode
    if hub.topic_model is not None and mode != "keywords":
        order = [t.name for t in taxonomy.topics]
        topics = [
            tuple(combine(k, hub.topic_model.predict(*f), mode, order=order, max_topics=5))
            for k, f in zip(topics, fields, strict=True)
        ]
    return {
        a.record.web_url: replace(a, record=replace(a.record, topics=t))
        for a, t in zip(articles, topics, strict=True)
    }


_TAXONOMY: list[Taxonomy] = []  # the worker process's taxonomy, set once


def _set_taxonomy(taxonomy: Taxonomy) -> None:
    _TAXONOMY[:] = [taxonomy]


def _topics_of(fields: tuple[str, str, str]) -> tuple[str, ...]:
    return assign_topics(*fields, _TAXONOMY[0])


def _keyring(
    settings: Settings,
    given: KeyRing | HubKeys | None,
    targets: set[str],
    arts: Mapping[str, Article],
) -> tuple[KeyRing | None, str | None]:
    """The key ring, and why ``secured`` is left out when there is none (said once per run)."""
    try:
        ring = load_keyring(settings.hub_dir) if given == "hub" else given
    except ConfigError as e:
        return None, f"secured omitted: {e}"
    if ring is None and any(arts[t].record.secured is None for t in targets):
        log.info("enrich: %s", describe_missing_key())
        return None, describe_missing_key()
    return ring, None


# ------------------------------------------------------------------------- provider tiers


def read_tiers(settings: Settings) -> dict[str, int]:
    """Provider tiers learned from a hub's imported history (``everyday import``), if any."""
    path = settings.path(TIERS_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("provider tiers not readable path=%s reason=%s", path, e)
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}
