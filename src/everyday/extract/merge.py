"""Merge what a feed announced with what the article page says, field by field.

Precedence (first non-empty wins; ``docs/extraction.md`` has the same table with reasons):

==============  =================================================================================
field           order
==============  =================================================================================
url             feed entry URL (as discovered: the record's ``originalUrl``) > fetched URL
canonical_url   page canonical (rel=canonical > og:url > JSON-LD, same site, not the home
                page) > fetched URL (after redirects) > feed entry URL
title           page title (JSON-LD headline > og:title > twitter:title > <title> > <h1>) >
                feed title; the feed title wins when the page title merely wraps it
                ("Headline | Site")
description     page description (og:description > JSON-LD > twitter > meta description) >
                feed summary
text            page text (trafilatura) > ""
image_url       page image (og:image > JSON-LD image > twitter:image) > feed image
site_name       page (og:site_name > JSON-LD publisher.name > application-name)
published       page (JSON-LD datePublished > article:published_time > other date metas) >
                feed published > feed updated > page modified
authors         page authors (JSON-LD > article:author > meta author) > feed authors
language        page (<html lang> > og:locale > JSON-LD inLanguage)
amp_url         page rel=amphtml
==============  =================================================================================

Why the page wins over the feed: the page is the publisher's current, complete statement
(titles in feeds are sometimes truncated or still hold markup; summaries are often the whole
body or end in "[…]"); the feed fills what the page lacks or when it was not fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import FeedEntry, Page
from .metadata import clean_text
from .page import is_sensible_canonical

_SEPARATORS = frozenset("|-–—:·•»")


@dataclass(frozen=True)
class Merged:
    """One article's best-known fields after combining its feed entry and its page."""

    url: str
    canonical_url: str
    title: str | None = None
    description: str | None = None
    text: str = ""
    image_url: str | None = None
    site_name: str | None = None
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    amp_url: str | None = None


def merge(entry: FeedEntry | None, page: Page | None, fetched_url: str) -> Merged:
    """Combine a feed entry and an extracted page by the precedence in the module docstring.

    Args:
        entry: what the source announced, or None for a page found without a feed.
        page: what extraction found, or None when the page was not fetched.
        fetched_url: the final URL of the download (after redirects); the entry URL
            when nothing was fetched.

    Returns:
        A :class:`Merged`; fields neither side knows stay None.
    """
    e = entry or FeedEntry(url=fetched_url, source_url="")
    p = page or Page(url=fetched_url)
    canonical = p.canonical_url
    if canonical and not is_sensible_canonical(canonical, fetched_url):
        canonical = None
    return Merged(
        url=e.url or fetched_url,
        canonical_url=canonical or fetched_url or e.url,
        title=_title(p.title, clean_text(e.title)),
        description=p.description or clean_text(e.summary),
        text=p.text,
        image_url=p.image_url or e.image_url,
        site_name=p.site_name,
        published=p.published or e.published or e.updated or p.modified,
        authors=p.authors or tuple(a for a in (clean_text(x) for x in e.authors) if a),
        language=p.language,
        amp_url=p.amp_url,
    )


def _title(page_title: str | None, feed_title: str | None) -> str | None:
    """Page title, unless it is the feed title plus decoration ("Headline | Site")."""
    if not page_title or not feed_title:
        return page_title or feed_title
    return feed_title if _is_decorated(page_title, feed_title) else page_title


def _is_decorated(page_title: str, feed_title: str) -> bool:
    """True when ``page_title`` is ``feed_title`` with a separated prefix or suffix."""
    page, feed = page_title.casefold(), feed_title.casefold()
    if len(feed) >= len(page):
        return False
    if page.startswith(feed):
        return page[len(feed) :].strip()[:1] in _SEPARATORS
    if page.endswith(feed):
        return page[: -len(feed)].strip()[-1:] in _SEPARATORS
    return False
