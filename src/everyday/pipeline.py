"""The recipe: one pass of a hub, from due sources to stored records.

    poll due sources (conditional GET) -> parse feeds -> pick new entries
    -> fetch each page -> extract -> merge with the feed entry -> canonical URL
    -> lead image (real size, cached) -> build the record -> write file + index

Each step is a call into its stage; this module only orders them, counts what happened
and makes sure one bad source or article never stops the pass. Files are written before
the index commits, and the file name is a function of the article alone, so a pass killed
at any moment leaves at worst a file the next pass rewrites identically.

The article steps live in :mod:`everyday.collect` (fetch, extract, build the record) and
:mod:`everyday.saving` (file, then index); the enrich stage in :mod:`everyday.enrichment`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .collect import collect_article
from .enrich.canonical import canonical_url
from .enrich.classifier import TopicModel
from .enrichment import enrich_new
from .errors import EverydayError, FetchError, HTTPStatusError, ParseError
from .events import Events, quiet
from .fetch.http import Fetcher
from .lock import pass_lock
from .models import FeedEntry, Source
from .records.files import cleanup_temp_files
from .registry import LogoAttempts
from .relevance import excluded_by
from .saving import keep_derived as keep_derived  # re-exported: serve.admin imports it here
from .saving import save_article
from .settings import Settings
from .sources.feeds import parse_feed
from .sources.schedule import PollOutcome, is_due, next_check
from .store.base import Store
from .summary import EXCLUDED, RunSummary
from .taxonomy import Taxonomy

log = logging.getLogger(__name__)

FAILURE_RETRY = timedelta(days=7)


@dataclass(frozen=True)
class Hub:
    """What a pass works on: settings, taxonomy and the open store."""

    settings: Settings
    taxonomy: Taxonomy
    store: Store
    topic_model: TopicModel | None = None  # when [topics] mode uses the trained model

    @property
    def news_dir(self) -> Path:
        return self.settings.path(self.settings.storage.news_dir)

    @property
    def image_cache(self) -> Path:
        return self.settings.path(self.settings.storage.assets_dir) / "cache"


async def run_pass(
    hub: Hub,
    now: datetime | None = None,
    *,
    refresh: bool = False,
    all_sources: bool = False,
    on_event: Events = quiet,
) -> RunSummary:
    """Poll every due source once and store what is new; never raises for bad input.

    Raises:
        EverydayError: another pass is running on the same hub.
    """
    with pass_lock(hub.settings.hub_dir):
        return await _run_pass(hub, now or datetime.now(UTC), refresh, all_sources, on_event)


async def _run_pass(
    hub: Hub, now: datetime, refresh: bool, all_sources: bool, on_event: Events
) -> RunSummary:
    summary = RunSummary()
    run_id = hub.store.add_run(now)
    for folder in (hub.news_dir, hub.image_cache):  # leftovers of a killed pass
        cleanup_temp_files(folder)  # safe: we hold the pass lock
    sync_sources(hub)
    sources = [
        s for s in hub.store.get_sources() if not s.paused and (all_sources or is_due(s, now))
    ]
    on_event("sources", {"total": len(sources)})
    async with Fetcher(hub.settings.fetch) as fetcher:
        polls = [poll_source(fetcher, hub, s, now, summary, on_event) for s in sources]
        polled = await asyncio.gather(*polls)
        entries = select_entries(
            [e for _, batch in polled for e in batch], hub, now, refresh, summary
        )
        on_event("articles", {"total": len(entries)})
        retry_later: set[str] = set()
        logos = LogoAttempts()
        jobs = [collect_article(fetcher, hub, e, now, summary, retry_later, logos) for e in entries]
        for job in asyncio.as_completed(jobs):
            found = await job
            if found is not None:
                save_article(hub, *found, now=now, summary=summary, refresh=refresh)
            on_event("article_done", {})
    commit_validators([s for s, _ in polled if s.url not in retry_later], hub)
    if summary.new or summary.updated:
        enrich_stored(hub, summary, now, on_event)
    hub.store.set_run(run_id, datetime.now(UTC), summary.counts(), summary.as_dict())
    return summary


def enrich_stored(hub: Hub, summary: RunSummary, now: datetime, on_event: Events) -> None:
    """Decide quality, related, heat and published for what this pass stored (and its week)."""
    try:
        report = enrich_new(hub, [*summary.new, *summary.updated], now, on_event=on_event)
    except EverydayError as e:  # the records are stored; the next pass enriches them
        log.error("enrich failed reason=%s", e)
        summary.warnings.append(f"enrich failed: {e}")
        return
    summary.rewritten.extend(report.rewritten)
    summary.demoted.extend(report.demoted)
    if report.secured_missing:
        summary.warnings.append(report.secured_missing)


def commit_validators(sources: list[Source], hub: Hub) -> None:
    """Store the new ETag/Last-Modified of sources whose entries were all handled.

    Until then a source keeps its old validators, so a pass killed half way, or an entry
    that failed for a passing reason, gets the whole feed again next time instead of a 304.
    """
    for source in sources:
        current = hub.store.get_source(source.url)
        if current is not None:
            hub.store.set_source(
                replace(current, etag=source.etag, last_modified=source.last_modified)
            )


def sync_sources(hub: Hub) -> None:
    """Make sure every source named in the config is in the store (state lives there)."""
    for url in hub.settings.sources:
        if hub.store.get_source(url) is None:
            hub.store.add_source(Source(url=url, interval_seconds=hub.settings.collect.interval))


async def poll_source(
    fetcher: Fetcher, hub: Hub, source: Source, now: datetime, summary: RunSummary, on_event: Events
) -> tuple[Source, list[FeedEntry]]:
    """Fetch one source conditionally and parse it; record the outcome on the source."""
    old = source
    entries: list[FeedEntry] = []
    warnings: list[str] = []
    outcome: PollOutcome
    if source.kind == "page":  # a single article page: the article fetch does the work
        polled = next_check(source, now, PollOutcome(ok=True), hub.settings.collect)
        hub.store.set_source(polled)
        return polled, [FeedEntry(url=source.url, source_url=source.url)]
    try:
        resp = await fetcher.get(source.url, etag=source.etag, last_modified=source.last_modified)
        if resp.not_modified:
            summary.sources_unchanged += 1
            outcome = PollOutcome(ok=True, not_modified=True)
        else:
            feed = parse_feed(resp.content, resp.final_url, resp.content_type)
            entries = list(feed.entries)
            warnings = list(feed.warnings)
            summary.warnings.extend(f"{source.url}: {w}" for w in warnings)
            source = replace(
                source,
                etag=resp.etag,
                last_modified=resp.last_modified,
                title=feed.title or source.title,
            )
            for child in feed.sitemaps:  # a sitemap index: poll its sitemaps as sources
                hub.store.add_source(Source(url=child, kind="sitemap"))
            dates = tuple(d for e in entries if (d := e.published or e.updated))
            fresh = sum(not hub.store.has_url(canonical_url(e.url)) for e in entries)
            outcome = PollOutcome(ok=True, new_items=fresh, entry_dates=dates)
    except (FetchError, ParseError) as e:
        reason = f"{type(e).__name__}: {e}"
        log.warning("source failed url=%s reason=%s", source.url, reason)
        summary.sources_failed[source.url] = reason
        retry_after = e.retry_after if isinstance(e, HTTPStatusError) else None
        outcome = PollOutcome(ok=False, error=reason, retry_after=retry_after)
    summary.sources_polled += 1
    polled = next_check(source, now, outcome, hub.settings.collect)
    if outcome.ok and warnings:  # a feed read despite defects: say so on the source
        polled = replace(polled, last_error=f"read with warnings: {warnings[0]}")
    # Schedule and errors now; the validators only once its entries are stored.
    hub.store.set_source(replace(polled, etag=old.etag, last_modified=old.last_modified))
    on_event("source_done", {"url": source.url})
    return polled, entries[: hub.settings.collect.max_items_per_source]


def select_entries(
    entries: list[FeedEntry], hub: Hub, now: datetime, refresh: bool, summary: RunSummary
) -> list[FeedEntry]:
    """Drop entries seen twice this pass and those :func:`passed_over` names a reason for;
    an excluded one is reported, once (it is remembered as a lasting failure)."""
    summary.entries_seen += len(entries)
    chosen: dict[str, FeedEntry] = {}
    for entry in entries:
        url = canonical_url(entry.url)
        if url in chosen:
            continue
        reason = passed_over(entry, hub, now, refresh)
        if reason is None:
            chosen[url] = entry
        elif reason.startswith(EXCLUDED):
            summary.skip(entry.url, reason)
            hub.store.add_failure(url, entry.source_url, reason, now)
    return list(chosen.values())


def passed_over(entry: FeedEntry, hub: Hub, now: datetime, refresh: bool = False) -> str | None:
    """Why a pass would not collect this entry now (None: it would): too old, stored
    already, failed recently, or excluded by the hub's ``[collect] exclude`` patterns."""
    url = canonical_url(entry.url)
    days = hub.settings.collect.max_age_days
    if entry.published and entry.published < now - timedelta(days=days):
        return f"too old: older than [collect] max_age_days = {days}"
    if not refresh and (hub.store.has_url(url) or hub.store.has_url(entry.url)):
        return "stored already"
    if hub.store.has_recent_failure(url, now, FAILURE_RETRY):
        return "failed recently: not fetched again for a while"
    pattern = excluded_by(entry, hub.settings.collect.exclude)
    if pattern is not None:
        return f"{EXCLUDED}: matches [collect] exclude {pattern!r}"
    return None
