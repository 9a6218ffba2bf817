"""Collecting one article: fetch its page, extract, follow its canonical, cache its image.

The article steps of a pass (:mod:`everyday.pipeline` is the recipe): each entry becomes
a built record, or ``None`` with a reason; a lasting failure is remembered in the store.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from .enrich.canonical import canonical_url, choose_canonical, url_key
from .enrich.images import cache_name, image_entry, inspect_image
from .enrich.logos import home_url_of
from .enrich.provider import provider_domain, provider_for
from .enrich.record import Draft, build_record
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
from .models import FeedEntry, Image, Page, Record
from .records.files import atomic_write
from .registry import LogoAttempts, ensure_provider_logo
from .relevance import NOT_ON_TOPIC, is_dedicated, is_on_topic
from .summary import RunSummary
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    from .pipeline import Hub

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
LASTING_STATUS = frozenset({400, 401, 403, 404, 410, 451})
LASTING_ERRORS = (ParseError, RobotsDisallowed, BlockedURLError, TooLargeError, TooManyRedirects)


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
    if wants_topic(hub, entry) and not is_on_topic(record, text, taxonomy):
        summary.skip(entry.url, NOT_ON_TOPIC)
        hub.store.add_failure(canonical_url(entry.url), entry.source_url, NOT_ON_TOPIC, now)
        log.info("article skipped url=%s reason=%s", entry.url, NOT_ON_TOPIC)
        return None
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


def wants_topic(hub: Hub, entry: FeedEntry) -> bool:
    """Whether ``[collect] require_topic`` applies to this item (not from a dedicated source)."""
    collect = hub.settings.collect
    return collect.require_topic and not is_dedicated(entry.source_url, collect.dedicated_sources)


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
