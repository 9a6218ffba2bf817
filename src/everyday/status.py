"""A hub's state at a glance, for ``everyday status``: records, sources, passes, site.

Everything is read, nothing written: the record folder is listed (not parsed), the index
answers a few small queries, and the site's build is read from its token file and,
read-only, from its manifest database. So the command is safe to run from cron or a
monitoring check while a pass or a build is going on.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .build import state_database
from .models import Source
from .publish.output import MANIFEST
from .settings import Settings
from .sources.normalize import as_utc
from .sources.schedule import is_due
from .store.base import Store

FAILING = 3  # consecutive errors after which a source needs a person's look


@dataclass(frozen=True)
class SourceState:
    """One source's health."""

    url: str
    kind: str
    paused: bool
    due: bool
    errors: int  # consecutive
    last_error: str | None
    last_checked: datetime | None
    overdue: bool = False  # due for longer than its own interval: no pass is polling it

    @property
    def failing(self) -> bool:
        return not self.paused and self.errors >= FAILING


@dataclass(frozen=True)
class PassState:
    """One pass of ``everyday run``: when, how long, what it did."""

    started: datetime
    finished: datetime | None
    counts: dict[str, int]
    skipped_by: dict[str, int] = field(default_factory=dict)  # reason kind -> articles


@dataclass(frozen=True)
class SiteState:
    """The site folder's last build."""

    folder: Path
    built: datetime | None  # when the last build finished (None: never built here)
    files: int | None  # files the build state knows (None: unknown)


@dataclass(frozen=True)
class HubStatus:
    """What ``everyday status`` shows."""

    title: str
    topic: str
    hub_dir: Path
    backend: str
    record_files: int
    indexed: int
    newest: tuple[datetime, str, str] | None  # (published, title, path) of the newest published
    sources: list[SourceState]
    unsynced: list[str]  # in everyday.toml, not yet in the index (the next pass adds them)
    passes: list[PassState]
    site: SiteState
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def failing(self) -> list[SourceState]:
        return [s for s in self.sources if s.failing]

    @property
    def overdue(self) -> list[SourceState]:
        return [s for s in self.sources if s.overdue]

    @property
    def needs_attention(self) -> bool:
        """Something a person should look at (the exit code is 1): failing sources, or
        sources left unpolled for longer than their interval (the collector is not
        running)."""
        return bool(self.failing or self.overdue)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for ``everyday status --json`` (times in ISO 8601, UTC)."""
        newest = None
        if self.newest is not None:
            published, title, path = self.newest
            newest = {"published": _iso(published), "title": title, "path": path}
        return {
            "title": self.title,
            "topic": self.topic,
            "hub": str(self.hub_dir),
            "backend": self.backend,
            "records": {"files": self.record_files, "indexed": self.indexed, "newest": newest},
            "sources": [
                {
                    "url": s.url,
                    "kind": s.kind,
                    "paused": s.paused,
                    "due": s.due,
                    "errors": s.errors,
                    "failing": s.failing,
                    "overdue": s.overdue,
                    "lastError": s.last_error,
                    "lastChecked": _iso(s.last_checked),
                }
                for s in self.sources
            ],
            "unsynced": self.unsynced,
            "passes": [
                {
                    "started": _iso(p.started),
                    "finished": _iso(p.finished),
                    "counts": p.counts,
                    "skippedBy": p.skipped_by,
                }
                for p in self.passes
            ],
            "site": {
                "folder": str(self.site.folder),
                "built": _iso(self.site.built),
                "files": self.site.files,
            },
            "needsAttention": self.needs_attention,
        }


def hub_status(settings: Settings, store: Store, now: datetime, passes: int = 5) -> HubStatus:
    """Gather the status of the hub ``settings`` describe, reading ``store``."""
    stored = store.get_sources()
    sources = [
        SourceState(
            url=s.url,
            kind=s.kind,
            paused=s.paused,
            due=is_due(s, now),
            errors=s.error_count,
            last_error=s.last_error,
            last_checked=s.last_checked,
            overdue=is_overdue(s, now),
        )
        for s in stored
    ]
    known = {s.url for s in stored}
    newest = store.get_articles(limit=1, published_only=True)
    return HubStatus(
        title=settings.site.title,
        topic=settings.site.topic,
        hub_dir=settings.hub_dir,
        backend=settings.storage.backend,
        record_files=count_records(settings.path(settings.storage.news_dir)),
        indexed=store.count_articles(),
        newest=(
            (newest[0].record.published, newest[0].record.title, newest[0].path) if newest else None
        ),
        sources=sources,
        unsynced=[url for url in settings.sources if url not in known],
        passes=[
            PassState(r.started, r.finished, r.counts, skipped_by(r.summary))
            for r in store.get_runs(passes)
        ],
        site=site_state(settings, settings.path(settings.publish.out_dir)),
        now=now,
    )


def skipped_by(summary: dict[str, Any]) -> dict[str, int]:
    """How many articles a pass skipped per kind of reason (``off-topic``, ``http-404``...),
    most first: what tells a hub's filters and its failing sites apart."""
    reasons = summary.get("skipped_articles")
    if not isinstance(reasons, dict):
        return {}
    kinds = Counter(str(why).split(":", 1)[0] for why in reasons.values())
    return dict(kinds.most_common())


def is_overdue(source: Source, now: datetime) -> bool:
    """Due for longer than the source's own interval: a running collector would have
    polled it by now. Paused and never-scheduled sources are never overdue."""
    if source.paused or source.next_check is None:
        return False
    late = as_utc(now) - as_utc(source.next_check)
    return late.total_seconds() > source.interval_seconds


def count_records(news_dir: Path) -> int:
    """Record files in the news folder (``*.md``, no dotfiles), without reading them."""
    try:
        names = os.listdir(news_dir)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    return sum(1 for n in names if n.endswith(".md") and not n.startswith("."))


def site_state(settings: Settings, folder: Path) -> SiteState:
    """When the site in ``folder`` was last built, and how many files that build knows."""
    try:
        built = datetime.fromtimestamp((folder / MANIFEST).stat().st_mtime, UTC)
    except OSError:
        return SiteState(folder, None, None)
    files = None
    database = state_database(settings, folder)
    if database.is_file():
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
            try:
                files = int(conn.execute("SELECT count(*) FROM files").fetchone()[0])
            finally:
                conn.close()
    return SiteState(folder, built, files)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
