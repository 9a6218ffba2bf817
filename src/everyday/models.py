"""Frozen dataclasses that travel between the pipeline stages.

The record types mirror the seed format (``../shared/seed``, ``SCHEMA.md`` §i) field for
field; the serializer in :mod:`everyday.records.frontmatter` owns the byte layout. Other
types carry one stage's output to the next: a :class:`FeedEntry` from a source, a
:class:`Page` from extraction, an :class:`Article` into the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Image:
    """One image of a record, provider or related entry.

    ``is_cached`` is ``None`` for legacy (2019-20) entries that carried ``title`` instead.
    """

    url: str
    width: int | None = None
    height: int | None = None
    is_cached: bool | None = None
    title: str | None = None


@dataclass(frozen=True)
class Provider:
    """The outlet that published an article; ``images`` holds the 50x50 logo when known."""

    name: str
    domain: str
    images: tuple[Image, ...] = ()


@dataclass(frozen=True)
class Related:
    """Summary of another article, as embedded in a record's ``related`` list."""

    title: str
    excerpt: str
    published: datetime
    web_url: str
    type: str = "article"
    provider: Provider | None = None
    quality: int | None = None
    amp_web_url: str | None = None
    cdn_amp_web_url: str | None = None
    images: tuple[Image, ...] = ()


@dataclass(frozen=True)
class Record:
    """One news record: the front matter of ``_news/YYYY-MM-DD-<slug>.md``.

    Fields owned by enrichment (quality, heat, published, related, secured) stay ``None``
    until a stage fills them; ``None`` means the key is absent from the file.
    """

    title: str
    excerpt: str
    published: datetime
    web_url: str
    provider: Provider
    original_url: str | None = None
    category: str = "news"
    type: str = "article"
    amp_web_url: str | None = None
    cdn_amp_web_url: str | None = None
    quality: int | None = None
    heat: int | None = None
    is_published: bool | None = None
    topics: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    related: tuple[Related, ...] | None = None
    secured: str | None = None
    # Legacy (2019-20) keys, kept so an imported record loses nothing.
    source_url: str | None = None
    extra: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class FeedEntry:
    """One item announced by a source (RSS/Atom/JSON Feed item, sitemap URL, page link)."""

    url: str
    source_url: str
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    image_url: str | None = None
    tags: tuple[str, ...] = ()
    guid: str | None = None


@dataclass(frozen=True)
class Page:
    """What extraction found on an article page (trafilatura + OpenGraph + JSON-LD)."""

    url: str
    title: str | None = None
    description: str | None = None
    text: str = ""
    canonical_url: str | None = None
    image_url: str | None = None
    site_name: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    amp_url: str | None = None


@dataclass(frozen=True)
class Source:
    """A polled source with its fetch state (conditional GET, errors, schedule)."""

    url: str
    kind: str = "feed"  # feed | sitemap | page
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_checked: datetime | None = None
    next_check: datetime | None = None
    error_count: int = 0
    last_error: str | None = None
    paused: bool = False
    interval_seconds: int = 1800


@dataclass(frozen=True)
class Article:
    """A stored article: its record plus the private fields the record does not show."""

    record: Record
    path: str  # hub-relative, e.g. ``_news/2023-11-07-some-title.md``
    text: str = ""
    authors: tuple[str, ...] = ()
    source_url: str | None = None
    first_seen: datetime | None = None
    fingerprint: str = ""  # hash of the serialized record; unchanged => no rewrite
    tags: tuple[str, ...] = field(default_factory=tuple)
