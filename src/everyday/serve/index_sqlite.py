"""The server's index on SQLite: read-only connections, FTS5 search, ``CommitWatch``.

Reads run on a pool of read-only SQLite connections in worker threads, each response
inside one read transaction (WAL snapshot), so a pass committing a batch is seen whole or
not at all. Before each read the event loop asks a :class:`~everyday.store.search.CommitWatch`
(``PRAGMA data_version``, short-cut by the WAL-index header) whether anything was
committed: cached responses are keyed by its answer and never outlive their data.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from ..models import Article
from ..store import search as store_search
from ..store.database import Database
from ..store.search import ArticleQuery, CommitWatch, connect_reader
from ..store.sqlite import SQLiteStore
from . import keys
from .index import AdminEntry, IndexReader
from .pool import ReaderPool
from .search import parse_query

T = TypeVar("T")


class SQLiteReader:
    """The reads of one response on one read-only connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def snapshot(self) -> AbstractContextManager[None]:
        return store_search.snapshot(self.conn)

    def find_articles(self, query: ArticleQuery) -> list[Article]:
        return store_search.find_articles(self.conn, query)

    def articles_by_path(
        self, paths: list[str], day_range: tuple[datetime, datetime] | None
    ) -> list[Article]:
        return store_search.articles_by_path(self.conn, paths, day_range)

    def topic_counts(self) -> dict[str, int]:
        return store_search.topic_counts(self.conn)

    def provider_newest(self) -> list[tuple[Article, int]]:
        return store_search.provider_newest(self.conn)

    def count_all(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    def check_token(self, token: str) -> keys.ApiKey | None:
        return keys.check_token(self.conn, token)

    def admin_log(self, limit: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM admin_log ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [{**dict(row), "detail": json.loads(row["detail"])} for row in rows]


class SQLiteIndex:
    """One server's SQLite index: the store, the reader pool and the commit watch."""

    def __init__(self, path: Path) -> None:
        # Opening the store creates and migrates the file before any reader needs it.
        self.store = SQLiteStore(path)
        self.path = path
        self.readers: ReaderPool[sqlite3.Connection] = ReaderPool(
            lambda: connect_reader(str(path)), sqlite3.Connection.close
        )
        self._watch = CommitWatch(str(path))

    def search_expression(self, text: str) -> str:
        return parse_query(text)

    def version(self) -> int:
        return self._watch.version()

    def changed(self) -> None:
        """Nothing to do: the commit watch sees this process's commits too."""

    def sync(self) -> None:
        """Nothing to wait for: ``PRAGMA data_version`` answers at once."""

    async def read(self, work: Callable[[IndexReader], T]) -> T:
        return await self.readers.run(lambda conn: work(SQLiteReader(conn)))

    def set_pinned(self, url: str, when: datetime | None) -> bool:
        return self.store.set_pinned(url, when)

    def log_action(self, entry: AdminEntry) -> None:
        self.store.connection.execute(
            "INSERT INTO admin_log (at_utc, key_id, client, action, target, status, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            entry.values(),
        )

    def close(self) -> None:
        """Close the store and every reader; idempotent."""
        self.readers.close()
        self._watch.close()
        self.store.close()


class SQLiteKeys:
    """The API keys in the hub's SQLite index, for ``everyday keys``."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path)

    def create_key(self, name: str, scope: str, now: datetime) -> tuple[str, keys.ApiKey]:
        with self._db.transaction():
            return keys.create_key(self._db.conn, name, scope, now)

    def list_keys(self) -> list[keys.ApiKey]:
        return keys.list_keys(self._db.conn)

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        with self._db.transaction():
            return keys.revoke_key(self._db.conn, key_id, now)

    def close(self) -> None:
        self._db.close()
