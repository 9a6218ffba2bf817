"""The ``Store`` protocol every index backend implements, and its small result types.

The index is a cache of what the pipeline knows: sources and their fetch state,
articles (the record files stay the source of truth), URLs that failed, and runs.
Methods are plain verbs split by entity, like miniflux's ``storage/feed.go`` and
``storage/entry.go``. Each call outside :meth:`Store.transaction` is its own
transaction; inside one, nothing is visible to other connections until it ends.
Every method raises only :class:`everyday.errors.StoreError`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..models import Article, Source


@dataclass(frozen=True)
class Failure:
    """One failed attempt at an article URL (404, not HTML, blocked, ...)."""

    url: str
    reason: str
    failed_at: datetime
    source_url: str | None = None


@dataclass(frozen=True)
class Run:
    """One pass of the pipeline: when it ran and what it counted."""

    id: int
    started: datetime
    finished: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


class Store(Protocol):
    """What the pipeline, CLI and server need from an index backend."""

    # -- sources ---------------------------------------------------------------

    def add_source(self, source: Source) -> bool:
        """Add a source; False (and no change) when its URL is already known."""
        ...

    def get_source(self, url: str) -> Source | None:
        """The source with this URL, or None."""
        ...

    def get_sources(
        self, *, due_before: datetime | None = None, include_paused: bool = True
    ) -> list[Source]:
        """Sources in the order they were added.

        With ``due_before``, only sources never checked or whose ``next_check`` is at or
        before it, never-checked first, then the most overdue first.
        """
        ...

    def set_source(self, source: Source) -> bool:
        """Store every field of a known source (its fetch state); False if unknown."""
        ...

    def delete_source(self, url: str) -> bool:
        """Forget a source (its articles stay); False if unknown."""
        ...

    # -- articles --------------------------------------------------------------

    def get_article(self, url: str) -> Article | None:
        """The article reached by this URL: its canonical URL or any alias."""
        ...

    def has_url(self, url: str) -> bool:
        """Whether an article is known under this URL (cheap; skips known items)."""
        ...

    def add_article(self, article: Article, aliases: tuple[str, ...] = ()) -> bool:
        """Insert or update the article keyed by ``record.web_url``.

        ``record.original_url`` and ``aliases`` become alias URLs of the same article.
        An article already reached by any of these URLs is updated, not duplicated.

        Returns:
            True if inserted or changed; False when the fingerprint is unchanged.
        """
        ...

    def get_articles(
        self,
        *,
        since: datetime | None = None,
        limit: int | None = None,
        published_only: bool = False,
    ) -> list[Article]:
        """Articles newest first by ``record.published`` (at or after ``since``)."""
        ...

    def count_articles(self) -> int:
        """How many articles the index holds."""
        ...

    def get_clusters(self) -> dict[str, str]:
        """Record path -> story id of every article filed under a story."""
        ...

    def get_pins(self) -> dict[str, str]:
        """Record path -> when it was pinned (ISO text), for every pinned article."""
        ...

    def set_pinned(self, url: str, when: datetime | None) -> bool:
        """Pin (``when`` set) or unpin the article reached by ``url``; False if unknown."""
        ...

    def get_tagged(self, prefix: str) -> list[Article]:
        """Articles with a tag starting with ``prefix`` (``editor:``), newest first."""
        ...

    def delete_article(self, url: str) -> bool:
        """Forget the article reached by this URL, with its aliases; False if unknown."""
        ...

    # -- failures --------------------------------------------------------------

    def add_failure(self, url: str, source_url: str | None, reason: str, now: datetime) -> None:
        """Record that fetching or extracting ``url`` failed at ``now``."""
        ...

    def get_failures(self, url: str) -> list[Failure]:
        """Failures of this URL, newest first."""
        ...

    def has_recent_failure(self, url: str, now: datetime, within: timedelta) -> bool:
        """Whether ``url`` failed at or after ``now - within`` (so skip it for now)."""
        ...

    def delete_failures(self, url: str) -> int:
        """Forget the failures of a URL (it worked after all); returns how many."""
        ...

    # -- runs ------------------------------------------------------------------

    def add_run(self, started: datetime) -> int:
        """Open a run record and return its id."""
        ...

    def set_run(
        self, run_id: int, finished: datetime, counts: dict[str, int], summary: dict[str, Any]
    ) -> bool:
        """Close a run with its counts and summary; False if the id is unknown."""
        ...

    def get_runs(self, limit: int = 20) -> list[Run]:
        """The latest runs, newest first."""
        ...

    # -- lifecycle -------------------------------------------------------------

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: commit once on success, roll back on error; nests."""
        ...

    def close(self) -> None:
        """Release the connection; the store is unusable afterwards."""
        ...
