"""The outcome of an enrich run: articles with their new derived fields, written to disk.

Record files are rewritten atomically, then indexed one transaction per batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .editorial import editor_decision
from .enrich.heat import Decision
from .enrich.secured import encrypt_secured, secured_payload
from .enrich_pairs import entry_of
from .enrich_stories import STORY_TAG
from .events import Events, quiet
from .keyring import KeyRing
from .models import Article, Provider, Record, Related
from .records.files import write_record
from .records.layout import format_record

if TYPE_CHECKING:
    from .pipeline import Hub

BATCH = 500  # records written per index transaction
WRITERS = 8  # record files written at once


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


def updated_article(
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
            related_entry(arts[m].record, quality[m]) if m in arts else entry_of(article, m)
            for m in members
        )
        by_hand = editor_decision(article.tags)  # an editor's decision is kept over ours
        record = replace(
            record,
            quality=quality[record.web_url],
            heat=decision.heat,
            is_published=decision.published if by_hand is None else by_hand,
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
    on_event: Events = quiet,
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
