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

The parts: :mod:`everyday.enrich_pairs` (index, pairs, quality, related lists),
:mod:`everyday.enrich_stories` (story ids) and :mod:`everyday.enrich_write` (the outcome).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .enrich.classifier import combine
from .enrich.heat import decide
from .enrich.topics import assign_topics
from .enrich_pairs import (
    bars_of,
    build_index,
    is_copy,
    linked_pairs,
    quality_of,
    related_lists,
    score_quality,
    scored_pairs,
    window_of,
)
from .enrich_stories import stories
from .enrich_write import updated_article, write_articles
from .errors import ConfigError, EverydayError
from .events import Events, quiet
from .keyring import KeyRing, describe_missing_key, load_keyring
from .models import Article
from .records.files import read_record
from .settings import Settings
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    from .pipeline import Hub

log = logging.getLogger(__name__)

HubKeys = Literal["hub"]  # read the hub's keys (environment or key file)

TIERS_FILE = ".everyday/provider-tiers.json"
PARALLEL_TOPICS = 1000  # tag topics in worker processes from this many articles


@dataclass(frozen=True)
class EnrichReport:
    """What one enrich run decided and wrote."""

    targets: int = 0
    considered: int = 0  # articles loaded as context
    rewritten: tuple[str, ...] = ()  # hub-relative paths of record files written
    demoted: tuple[str, ...] = ()  # web URLs that were published and no longer are
    published: int = 0  # touched records now published
    secured_missing: str | None = None  # why ``secured`` was left out, once per run


# ----------------------------------------------------------------------------- entry points


def enrich_new(
    hub: Hub,
    new: Iterable[str],
    now: datetime,
    *,
    keyring: KeyRing | HubKeys | None = "hub",
    retopic: bool = False,
    on_event: Events = quiet,
) -> EnrichReport:
    """Decide the derived fields of newly stored articles and of the neighbours they touch.

    Args:
        hub: the open hub.
        new: web URLs (or hub record paths) of the articles a pass stored or updated.
        now: the pass's clock (kept for symmetry with the other stages).
        keyring: the keys for ``secured``; by default the hub's (env or key file).
        retopic: tag the articles' topics again too (``everyday enrich REF``).
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
        hub, list(by_url.values()), chosen, now, keyring=keyring, retopic=retopic,
        on_event=on_event,
    )  # fmt: skip


def recompute(
    hub: Hub,
    now: datetime,
    *,
    since: datetime | None = None,
    keyring: KeyRing | HubKeys | None = "hub",
    on_event: Events = quiet,
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
    on_event: Events = quiet,
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
    on_event: Events = quiet,
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
    registry = frozenset(d for d, o in hub.taxonomy.organizations.items() if o.curated)
    quality = {url: a.record.quality or 0 for url, a in arts.items()}
    for t in sorted(targets):
        quality[t] = score_quality(arts[t], tiers, registry, is_copy(t, copies, arts)).value
    bars = bars_of(settings)
    linked = linked_pairs(arts, targets, cosines, copies, bars, window_of(settings))
    lists = related_lists(arts, targets, linked, quality, settings)
    clusters = stories(arts, targets, cosines, copies, bars)
    decisions = {
        url: decide(quality[url], [quality_of(m, quality, arts, url) for m in members],
                    hub.settings.site.publish_threshold, settings.related_bonus)
        for url, members in lists.items()
    }  # fmt: skip
    ring, missing = _keyring(hub.settings, keyring, targets, arts)
    changed = {}
    for url in sorted(set(lists) | set(clusters)):
        updated = updated_article(
            arts[url], lists.get(url), decisions.get(url), clusters.get(url),
            quality, arts, ring if url in targets else None,
        )  # fmt: skip
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
