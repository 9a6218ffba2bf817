"""``everyday import``: take an existing hub's records (any era of the seed format) into a hub.

    find record files (_news, _archive/_news, _posts) -> parse -> canonical webUrl
    -> dedupe by URL -> write the record file (original name unless taken) -> index

The seed corpus has no article bodies, so imported articles have empty text: the enrich
stage then compares them on title and excerpt (``[enrich] excerpt_min_score``). Their
scores are history: when they carry ``quality``, the provider tiers learned from it are
kept in ``.everyday/provider-tiers.json`` for the quality of future articles. A file that
does not parse is reported with its reason; the import goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .enrich.canonical import canonical_url, url_key
from .enrich.quality import provider_tiers_from_records
from .enrich_write import fingerprint
from .enrichment import TIERS_FILE, read_tiers
from .errors import EverydayError, RecordError
from .events import Events, quiet
from .models import Article, Record
from .records.files import atomic_write, iter_record_files, read_record, write_record

if TYPE_CHECKING:
    from .pipeline import Hub

log = logging.getLogger(__name__)

RECORD_DIRS = ("_news", "_archive/_news", "_posts")
BATCH = 500


@dataclass
class ImportReport:
    """What an import did: counts, and each file that failed with its reason."""

    found: int = 0
    imported: list[str] = field(default_factory=list)  # hub-relative record paths
    duplicates: dict[str, str] = field(default_factory=dict)  # file -> the URL it repeats
    failed: dict[str, str] = field(default_factory=dict)  # file -> reason
    renamed: int = 0  # file names taken in the hub, filed under a new name
    tiers_learned: int = 0


def record_files(path: Path) -> Iterator[Path]:
    """Record files of a hub (its ``_news``, ``_archive/_news``, ``_posts``) or of a folder."""
    folders = [path / d for d in RECORD_DIRS if (path / d).is_dir()]
    yield from (f for folder in folders or [path] for f in iter_record_files(folder))


def import_records(
    hub: Hub,
    source: Path,
    now: datetime,
    *,
    keep_derived: bool = True,
    on_event: Events = quiet,
) -> ImportReport:
    """Import every record under ``source`` into the hub; never stops for a bad file.

    Args:
        hub: the open hub to import into.
        source: a hub directory or a folder of record files.
        now: stored as the articles' ``first_seen``.
        keep_derived: keep quality, heat, published, related and secured as they are
            (False strips them, for ``enrich --recompute`` to decide afresh).
        on_event: progress sink.
    """
    files = list(record_files(source))
    report = ImportReport(found=len(files))
    on_event("phase", {"name": "import", "total": len(files)})
    seen: dict[str, str] = {}
    batch: list[Article] = []
    history: list[tuple[str, int]] = []
    for path in files:
        shown = str(path.relative_to(source)) if path.is_relative_to(source) else str(path)
        article = _import_one(hub, path, shown, now, keep_derived, seen, report)
        if article is not None:
            batch.append(article)
            history.extend(_scores(article.record))
        if len(batch) >= BATCH:
            _commit(hub, batch)
        on_event("step", {})
    _commit(hub, batch)
    if keep_derived and history:
        report.tiers_learned = save_tiers(hub, provider_tiers_from_records(history))
    log.info(
        "import done found=%d imported=%d duplicates=%d failed=%d",
        report.found, len(report.imported), len(report.duplicates), len(report.failed),
    )  # fmt: skip
    return report


def _import_one(
    hub: Hub,
    path: Path,
    shown: str,
    now: datetime,
    keep_derived: bool,
    seen: dict[str, str],
    report: ImportReport,
) -> Article | None:
    try:
        record = prepare(read_record(path), keep_derived)
    except EverydayError as e:
        report.failed[shown] = str(e).removeprefix(f"{path}: ")
        log.warning("import failed file=%s reason=%s", path, e)
        return None
    key = url_key(record.web_url)
    if key in seen or hub.store.has_url(record.web_url):
        report.duplicates[shown] = record.web_url
        return None
    seen[key] = shown
    name = file_name(hub, path.name, record)
    report.renamed += name != path.name
    try:
        write_record(hub.news_dir, name, record)
    except EverydayError as e:
        report.failed[shown] = str(e)
        return None
    relative = f"{hub.settings.storage.news_dir}/{name}"
    report.imported.append(relative)
    return Article(record=record, path=relative, first_seen=now, fingerprint=fingerprint(record))


def prepare(record: Record, keep_derived: bool) -> Record:
    """The record as the hub keeps it: canonical ``webUrl`` (else its first known URL).

    Raises:
        RecordError: the record names no URL at all.
    """
    url = record.web_url or record.original_url or record.source_url or ""
    if not url.strip():
        raise RecordError("no webUrl, originalUrl or sourceUrl")
    record = replace(record, web_url=canonical_url(url))
    if keep_derived:
        return record
    return replace(record, quality=None, heat=None, is_published=None, related=None, secured=None)


def file_name(hub: Hub, name: str, record: Record) -> str:
    """The original file name unless another article holds it; then ``-2``, ``-3``..."""
    stem = name.removesuffix(".md").lstrip(".") or "record"
    for n in range(1, 1000):
        candidate = f"{stem}.md" if n == 1 else f"{stem}-{n}.md"
        target = hub.news_dir / candidate
        if not target.exists() or _holds(target, record):
            return candidate
    raise RecordError(f"too many records named {name}")


def _holds(path: Path, record: Record) -> bool:
    try:
        return read_record(path).web_url == record.web_url
    except EverydayError:
        return False


def _scores(record: Record) -> list[tuple[str, int]]:
    """(domain, quality) of the record and of its related entries: the hub's history."""
    scored = [(record.provider.domain, record.quality)] if record.quality is not None else []
    for entry in record.related or ():
        if entry.quality is not None and entry.provider is not None:
            scored.append((entry.provider.domain, entry.quality))
    return scored


def _commit(hub: Hub, batch: list[Article]) -> None:
    with hub.store.transaction():
        for article in batch:
            aliases = tuple(
                u for u in (article.record.original_url, article.record.source_url) if u
            )
            hub.store.add_article(article, aliases=aliases)
    batch.clear()


def save_tiers(hub: Hub, learned: dict[str, int]) -> int:
    """Merge learned provider tiers into the hub's tiers file; returns how many it holds."""
    tiers = {**read_tiers(hub.settings), **learned}
    path = hub.settings.path(TIERS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(dict(sorted(tiers.items())), indent=1) + "\n")
    return len(tiers)
