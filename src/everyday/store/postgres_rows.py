"""How sources and articles become rows of the PostgreSQL index, and back.

Articles are :mod:`.codec` JSON plus the columns queries use, computed here from the
model rather than by triggers (as SQLite's schema does), with SQLite's exact results:
the tests hold the two backends to the same answers. That includes what the live API
searches and filters on (provider domain, topics, the full-text vector of
:mod:`.postgres_text`), so they commit and roll back with the article itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..models import Article, Source
from . import codec
from .postgres_text import search_vector

SOURCE_FIELDS = (
    "url", "kind", "title", "etag", "last_modified", "last_checked", "next_check",
    "next_check_utc", "error_count", "last_error", "paused", "interval_seconds",
)  # fmt: skip
# In the order of :func:`article_params`; ``data`` (the JSON document) last.
ARTICLE_FIELDS = (
    "url", "published_utc", "quality", "heat", "is_published", "path", "fingerprint",
    "first_seen_utc", "source_url", "cluster_id", "provider_domain", "topics", "search",
    "data",
)  # fmt: skip
# Parameters sent as text and cast by the server.
ARTICLE_CASTS = {"search": "::tsvector", "data": "::json"}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_INT64 = 2**63 - 1
_LEADING_INTEGER = re.compile(r"\s*([+-]?\d+)")


def instant(value: datetime | None) -> datetime | None:
    """The value for a ``timestamptz`` column: naive counts as UTC, as in SQLite's keys.

    Passed naive, the server would read it in the session's zone instead.
    """
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def cluster_id(tags: Iterable[str]) -> int | None:
    """The story an article is filed under, as SQLite's trigger files it.

    The first tag starting ``story:`` (any case, like ``LIKE``), read as SQLite's
    ``CAST(... AS INTEGER)`` does: its leading integer, 0 without one, clamped to 64 bits.
    """
    tag = next((t for t in tags if t[:6].lower() == "story:"), None)
    if tag is None:
        return None
    match = _LEADING_INTEGER.match(tag[6:])
    number = int(match.group(1)) if match else 0
    return max(-_INT64 - 1, min(_INT64, number))


def provider_domain(domain: str) -> str:
    """The provider column: lower case as SQLite's ``lower()`` makes it (ASCII letters only).

    NUL is dropped: a text column cannot hold it, and no domain has one.
    """
    return domain.translate(_ASCII_LOWER).replace("\x00", "")


def topic_names(topics: Iterable[str]) -> list[str]:
    """The topics column: each name once, in record order (SQLite's ``INSERT OR IGNORE``)."""
    return list(dict.fromkeys(str(t).replace("\x00", "") for t in topics))


def article_search_params(article: Article) -> tuple[str, list[str], str]:
    """What the live API filters and searches on: provider domain, topics, tsvector."""
    record = article.record
    vector = search_vector(record.title or "", record.excerpt or "", article.text or "")
    return provider_domain(record.provider.domain or ""), topic_names(record.topics), vector


def source_params(source: Source) -> dict[str, Any]:
    """Named parameters of a sources row (:data:`SOURCE_FIELDS`)."""
    return {
        "url": source.url,
        "kind": source.kind,
        "title": source.title,
        "etag": source.etag,
        "last_modified": source.last_modified,
        # ISO text keeps the caller's offset (and naive stays naive); the instant sorts.
        "last_checked": codec.encode_datetime(source.last_checked),
        "next_check": codec.encode_datetime(source.next_check),
        "next_check_utc": instant(source.next_check),
        "error_count": source.error_count,
        "last_error": source.last_error,
        "paused": bool(source.paused),
        "interval_seconds": source.interval_seconds,
    }


source_from_row = codec.source_from_row  # the same columns on both backends


def article_params(article: Article) -> tuple[Any, ...]:
    """Positional parameters of an articles row, in :data:`ARTICLE_FIELDS` order."""
    record = article.record
    return (
        record.web_url,
        instant(record.published),
        record.quality,
        record.heat,
        record.is_published,
        article.path,
        article.fingerprint,
        instant(article.first_seen),
        article.source_url,
        cluster_id(article.tags),
        *article_search_params(article),
        codec.dumps_article(article),
    )
