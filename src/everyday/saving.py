"""Saving one collected article: its record file, written atomically, then the index.

The file name is a function of the article alone, so a pass killed at any moment leaves
at worst a file the next pass rewrites identically.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .editorial import editor_tags
from .enrich.canonical import canonical_url
from .enrich.record import publication_date
from .enrich_write import fingerprint
from .errors import EverydayError, ParseError
from .models import Article, FeedEntry, Record
from .records.files import read_record, write_record
from .records.slug import record_filename
from .summary import RunSummary

if TYPE_CHECKING:
    from .pipeline import Hub


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
    digest = fingerprint(record)
    if existing is not None and existing.fingerprint == digest:
        return
    write_record(hub.news_dir, Path(path).name, record)
    article = Article(
        record=record,
        path=path,
        text=text,
        authors=authors,
        source_url=entry.source_url,
        first_seen=existing.first_seen if existing else now,
        fingerprint=digest,
        tags=(*entry.tags, *editor_tags(existing.tags if existing else ())),
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
