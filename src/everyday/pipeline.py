"""The recipe: one pass of a hub, from due sources to stored records.

    poll due sources (conditional GET) -> parse feeds -> pick new entries
    -> fetch each page -> extract -> merge with the feed entry -> canonical URL
    -> lead image (real size, cached) -> build the record -> write file + index

Each step is a call into its stage; this module only orders them, counts what happened
and makes sure one bad source or article never stops the pass. Files are written before
the index commits, and the file name is a function of the article alone, so a pass killed
at any moment leaves at worst a file the next pass rewrites identically.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .enrich.canonical import canonical_url, choose_canonical, url_key
from .enrich.classifier import TopicModel
from .enrich.images import cache_name, image_entry, inspect_image
from .enrich.logos import home_url_of
from .enrich.provider import provider_domain, provider_for
from .enrich.record import Draft, build_record, publication_date
from .enrichment import enrich_new
from .errors import (
    BlockedURLError,
    EverydayError,
    FetchError,
    HTTPStatusError,
    ImageError,
    ParseError,
    RobotsDisallowed,
    TooLargeError,
    TooManyRedirects,
)
from .extract.merge import Merged, merge
from .extract.page import extract_page
from .fetch.http import Fetcher
from .lock import pass_lock
from .models import Article, FeedEntry, Image, Page, Record, Source
from .records.files import atomic_write, cleanup_temp_files, read_record, write_record
from .records.frontmatter import format_record
from .records.slug import record_filename
from .registry import LogoAttempts, ensure_provider_logo
from .settings import Settings
from .sources.feeds import parse_feed
from .sources.schedule import PollOutcome, is_due, next_check
from .store.base import Store
from .summary import RunSummary
from .taxonomy import Taxonomy

log = logging.getLogger(__name__)

Events = Callable[[str, dict[str, object]], None]
HTML_TYPES = ("text/html", "application/xhtml+xml")
FAILURE_RETRY = timedelta(days=7)
LASTING_STATUS = frozenset({400, 401, 403, 404, 410, 451})
LASTING_ERRORS = (ParseError, RobotsDisallowed, BlockedURLError, TooLargeError, TooManyRedirects)


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


def _quiet(kind: str, data: dict[str, object]) -> None:
    """Default event sink: the CLI passes a progress bar instead."""


async def run_pass(
    hub: Hub,
    now: datetime | None = None,
    *,
    refresh: bool = False,
    all_sources: bool = False,
    on_event: Events = _quiet,
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
    """Drop entries already stored, seen twice this pass, too old, or failed recently."""
    summary.entries_seen += len(entries)
    oldest = now - timedelta(days=hub.settings.collect.max_age_days)
    chosen: dict[str, FeedEntry] = {}
    for entry in entries:
        url = canonical_url(entry.url)
        if url in chosen:
            continue
        if entry.published and entry.published < oldest:
            continue
        if not refresh and (hub.store.has_url(url) or hub.store.has_url(entry.url)):
            continue
        if hub.store.has_recent_failure(url, now, FAILURE_RETRY):
            continue
        chosen[url] = entry
    return list(chosen.values())


async def collect_article(
    fetcher: Fetcher,
    hub: Hub,
    entry: FeedEntry,
    now: datetime,
    summary: RunSummary,
    retry_later: set[str],
    logos: LogoAttempts,
) -> tuple[Record, FeedEntry, str, tuple[str, ...]] | None:
    """Fetch, extract and build one article's record; ``None`` (with a reason) if it fails.

    A lasting failure (404, not HTML, robots.txt...) is remembered so the URL is not
    fetched again for a while; a passing one (timeout, 5xx) holds back its source's
    validators so the entry comes round again on the next poll.
    """
    try:
        draft, text, authors = await draft_article(fetcher, hub, entry)
    except EverydayError as e:
        reason = _reason(e)
        summary.skip(entry.url, reason)
        if is_lasting(e):
            hub.store.add_failure(canonical_url(entry.url), entry.source_url, reason, now)
        else:
            retry_later.add(entry.source_url)
        log.info("article skipped url=%s reason=%s", entry.url, reason)
        return None
    taxonomy = await provider_taxonomy(fetcher, hub, draft, logos)
    record = build_record(draft, taxonomy, hub.settings, now, hub.topic_model)
    return record, entry, text, authors


async def provider_taxonomy(
    fetcher: Fetcher, hub: Hub, draft: Draft, logos: LogoAttempts
) -> Taxonomy:
    """The taxonomy to build an article with: plus its provider's organization (with a
    logo fetched from the site) when the registry did not know it yet."""
    taxonomy = hub.taxonomy
    domain = provider_domain(draft.web_url, taxonomy)
    home = home_url_of(draft.web_url)
    if not hub.settings.collect.fetch_logos or taxonomy.organization(domain) or home is None:
        return taxonomy
    name = provider_for(draft.web_url, draft.site_name, taxonomy, "").name
    assets = hub.settings.path(hub.settings.storage.assets_dir)
    org = await ensure_provider_logo(
        fetcher, hub.settings.hub_dir, domain, name, home, assets, attempts=logos
    )
    if org is None:
        return taxonomy
    return replace(taxonomy, organizations={**taxonomy.organizations, org.domain: org})


def is_lasting(error: EverydayError) -> bool:
    """Will fetching this URL again soon fail the same way?"""
    if isinstance(error, HTTPStatusError):
        return error.status in LASTING_STATUS
    return isinstance(error, LASTING_ERRORS)


def _reason(error: EverydayError) -> str:
    if isinstance(error, HTTPStatusError):
        return f"http-{error.status}: {error}"
    return f"{type(error).__name__}: {error}"


async def draft_article(
    fetcher: Fetcher, hub: Hub, entry: FeedEntry
) -> tuple[Draft, str, tuple[str, ...]]:
    """Everything known about one entry: feed data merged with its page, plus the image."""
    page, final_url = await fetch_page(fetcher, hub, entry.url)
    merged = merge(entry, page, final_url)
    web_url = choose_canonical(final_url, merged.canonical_url, None)
    if page is not None and url_key(web_url) != url_key(final_url):
        merged, web_url = await follow_canonical(fetcher, hub, merged, web_url, final_url)
    title = (merged.title or "").strip()
    if not title:
        raise ParseError("no title in feed or page")
    image = await fetch_image(fetcher, hub, merged.image_url) if merged.image_url else None
    draft = Draft(
        original_url=entry.url,
        web_url=web_url,
        title=title,
        description=merged.description,
        text=merged.text or "",
        published=merged.published,
        site_name=merged.site_name,
        amp_url=merged.amp_url,
        image=image,
    )
    return draft, merged.text or "", tuple(merged.authors or ())


async def fetch_page(fetcher: Fetcher, hub: Hub, url: str) -> tuple[Page | None, str]:
    """Download and extract an article page (unless the hub collects from feeds alone)."""
    if not hub.settings.collect.fetch_pages:
        return None, url
    resp = await fetcher.get(url, accept="text/html,application/xhtml+xml")
    ctype = (resp.content_type or "").lower()
    if ctype and not ctype.startswith(HTML_TYPES):
        raise ParseError(f"not an HTML page ({ctype})")
    return extract_page(resp.content, resp.final_url, resp.charset), resp.final_url


async def follow_canonical(
    fetcher: Fetcher, hub: Hub, merged: Merged, canonical: str, final_url: str
) -> tuple[Merged, str]:
    """A page whose canonical is another page (a syndicated copy, a mobile or print view):
    build the record from the canonical page itself, one hop only. If that page cannot be
    had, the copy stands for itself at the URL it was fetched from."""
    try:
        page, url = await fetch_page(fetcher, hub, canonical)
    except EverydayError as e:
        log.info("canonical not fetched url=%s canonical=%s reason=%s", final_url, canonical, e)
        return merged, canonical_url(final_url)
    return merge(None, page, url), canonical_url(url)


async def fetch_image(fetcher: Fetcher, hub: Hub, url: str) -> Image:
    """Download a lead image once, read its real size and cache it under the hub's assets."""
    if not hub.settings.collect.cache_images:
        return image_entry(url, None)
    try:
        resp = await fetcher.get(url, accept="image/*")
        info = inspect_image(resp.content)
    except (FetchError, ImageError) as e:
        log.info("image not cached url=%s reason=%s", url, e)
        return image_entry(url, None)
    try:
        hub.image_cache.mkdir(parents=True, exist_ok=True)
        atomic_write(hub.image_cache / cache_name(url, info.ext), resp.content)
    except (OSError, EverydayError) as e:
        log.warning("image cache write failed url=%s reason=%s", url, e)
        return image_entry(url, None)
    return image_entry(url, info)


def save_article(
    hub: Hub,
    record: Record,
    entry: FeedEntry,
    text: str,
    authors: tuple[str, ...],
    *,
    now: datetime,
    summary: RunSummary,
    refresh: bool = False,
) -> None:
    """Write the record file atomically, then index it; an unchanged record writes nothing."""
    existing = hub.store.get_article(record.web_url) or hub.store.get_article(entry.url)
    if existing is not None and not (refresh and _is_own_url(existing, entry.url)):
        # Another URL of an article we have (a second feed, a syndicated copy pointing at
        # its original): remember the URL, keep the record as it is.
        with hub.store.transaction():
            hub.store.add_article(existing, aliases=(entry.url, canonical_url(entry.url)))
        summary.skip(entry.url, f"duplicate: same article as {existing.record.web_url}")
        return
    if existing is not None:
        record = keep_derived(existing.record, record)
    path = existing.path if existing else claim_path(hub, record)
    content = format_record(record)
    fingerprint = hashlib.sha256(content.encode("utf-8")).hexdigest()
    if existing is not None and existing.fingerprint == fingerprint:
        return
    write_record(hub.news_dir, Path(path).name, record)
    article = Article(
        record=record,
        path=path,
        text=text,
        authors=authors,
        source_url=entry.source_url,
        first_seen=existing.first_seen if existing else now,
        fingerprint=fingerprint,
        tags=entry.tags,
    )
    aliases = tuple({entry.url, canonical_url(entry.url), record.original_url or entry.url})
    with hub.store.transaction():
        hub.store.add_article(article, aliases=aliases)
    (summary.updated if existing else summary.new).append(record.web_url)


def _is_own_url(article: Article, url: str) -> bool:
    own = {article.record.web_url, article.record.original_url}
    return url in own or canonical_url(url) in own


def keep_derived(old: Record, new: Record) -> Record:
    """A re-collected article keeps its first URL and the fields enrichment owns."""
    return replace(
        new,
        original_url=old.original_url or new.original_url,
        quality=old.quality,
        heat=old.heat,
        is_published=old.is_published,
        related=old.related,
        secured=old.secured,
    )


def claim_path(hub: Hub, record: Record) -> str:
    """A free ``_news/<date>-<slug>.md`` for a new record; same-title copies get ``-2``..."""
    name = record_filename(
        publication_date(record.published, record.published).date(), record.title
    )
    stem = name.removesuffix(".md")
    for n in range(1, 100):
        candidate = name if n == 1 else f"{stem}-{n}.md"
        target = hub.news_dir / candidate
        if not target.exists() or _same_article(target, record):
            return f"{hub.settings.storage.news_dir}/{candidate}"
    raise ParseError(f"too many records named {name}")


def _same_article(path: Path, record: Record) -> bool:
    try:
        return read_record(path).web_url == record.web_url
    except EverydayError:
        return False
