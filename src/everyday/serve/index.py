"""What ``everyday serve`` needs from the index, whichever backend holds it.

The server reads more than the :class:`~everyday.store.base.Store` protocol offers:
filtered lists and full-text search in one snapshot, change detection for its cache,
API keys and the admin log. Those needs are two small interfaces, one class per backend:

- :class:`ServeIndex`: the open index of one server process (reader pool, change
  watch, the store admin writes go through);
- :class:`IndexReader`: the reads of one response, on one pooled connection.

``index_sqlite`` keeps the SQLite code the server always had (FTS5, ``CommitWatch``);
``index_postgres`` does the same on PostgreSQL (``tsvector``, LISTEN/NOTIFY). What
differs for users (ranking, change detection) is in docs/serve.md.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ..app import check_backend
from ..models import Article
from ..settings import Settings
from ..store import codec
from ..store.base import Store
from ..store.search import ArticleQuery
from .keys import ApiKey

T = TypeVar("T")


@dataclass(frozen=True)
class AdminEntry:
    """One row of the admin log: who, from where, when, what, on what, how it went."""

    at: datetime
    key_id: str | None
    client: str
    action: str
    target: str | None
    status: int
    detail: dict[str, Any] = field(default_factory=dict)

    def values(self) -> tuple[Any, ...]:
        """The row in column order: at_utc, key_id, client, action, target, status, detail."""
        return (
            codec.utc_key(self.at),
            self.key_id,
            self.client,
            self.action,
            self.target,
            self.status,
            codec.dumps(self.detail),
        )


class IndexReader(Protocol):
    """The reads of one response; queries inside :meth:`snapshot` see one state."""

    def snapshot(self) -> AbstractContextManager[None]: ...

    def find_articles(self, query: ArticleQuery) -> list[Article]: ...

    def articles_by_path(
        self, paths: list[str], day_range: tuple[datetime, datetime] | None
    ) -> list[Article]: ...

    def topic_counts(self) -> dict[str, int]: ...

    def provider_newest(self) -> list[tuple[Article, int]]: ...

    def count_all(self) -> int:
        """Every article, published or not (``/healthz``)."""
        ...

    def check_token(self, token: str) -> ApiKey | None: ...

    def admin_log(self, limit: int) -> list[dict[str, Any]]:
        """The latest admin actions, newest first, as ``GET /api/admin/log`` lists them."""
        ...


class ServeIndex(Protocol):
    """The index as one server process holds it open."""

    @property
    def store(self) -> Store:
        """What admin writes go through, one at a time (``ServeState.write``)."""
        ...

    def search_expression(self, text: str) -> str:
        """What a reader typed, as this backend's safe ``ArticleQuery.match``.

        Raises:
            QueryError: the text cannot be read (a 400 for the reader).
        """
        ...

    def version(self) -> int:
        """A number that changes whenever articles change (the response cache's key)."""
        ...

    def changed(self) -> None:
        """A write through :attr:`store` has committed."""
        ...

    def sync(self) -> None:
        """Return once :meth:`version` has counted every commit made before the call
        (at once on SQLite; on PostgreSQL, when the change notifications are in)."""
        ...

    async def read(self, work: Callable[[IndexReader], T]) -> T:
        """Run ``work`` in a worker thread with a reader of its own."""
        ...

    def set_pinned(self, url: str, when: datetime | None) -> bool:
        """Pin or unpin, on the store's connection (inside its open transaction)."""
        ...

    def log_action(self, entry: AdminEntry) -> None:
        """Add a row to the admin log, on the store's connection (same transaction)."""
        ...

    def close(self) -> None: ...


class KeyTable(Protocol):
    """The API keys, for ``everyday keys`` (the server only checks them)."""

    def create_key(self, name: str, scope: str, now: datetime) -> tuple[str, ApiKey]: ...

    def list_keys(self) -> list[ApiKey]: ...

    def revoke_key(self, key_id: str, now: datetime) -> bool: ...

    def close(self) -> None: ...


def open_index(settings: Settings) -> ServeIndex:
    """The hub's index, open and migrated, for a server process.

    Raises:
        ConfigError: an unknown backend, or PostgreSQL without a usable dsn or driver.
        StoreError: the index cannot be opened.
    """
    check_backend(settings)
    # Imported here: both modules import this one, and psycopg is optional.
    if settings.storage.backend == "postgresql":
        from .index_postgres import PostgresIndex

        return PostgresIndex(settings.storage.dsn)
    from .index_sqlite import SQLiteIndex

    return SQLiteIndex(settings.path(settings.storage.database))


def open_keys(settings: Settings) -> KeyTable:
    """The hub's API keys, for the ``everyday keys`` commands.

    Raises:
        ConfigError, StoreError: as :func:`open_index`.
    """
    check_backend(settings)
    if settings.storage.backend == "postgresql":
        from .index_postgres import PostgresKeys

        return PostgresKeys(settings.storage.dsn)
    from .index_sqlite import SQLiteKeys

    return SQLiteKeys(settings.path(settings.storage.database))
