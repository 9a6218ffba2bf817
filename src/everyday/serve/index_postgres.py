"""The server's index on PostgreSQL: pooled reader connections, ``tsvector`` search,
LISTEN/NOTIFY change detection.

Each response reads inside one REPEATABLE READ, READ ONLY transaction, so a pass
committing a batch is seen whole or not at all, as on SQLite. The cache key comes from
a :class:`~everyday.store.postgres_changes.ChangeWatch` (why not a query per request:
see there). A process holds at most :data:`READERS` reader connections, plus the
store's (admin writes) and the watch's: ``max_connections`` of the server must allow
that many per worker (``--workers``) on top of the passes' own.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, TypeVar

import psycopg

from ..errors import StoreError
from ..models import Article
from ..store import postgres_search as pg_search
from ..store.postgres import PostgresStore
from ..store.postgres_changes import ChangeWatch
from ..store.postgres_database import Connection, PostgresDatabase, connect, one_line
from ..store.search import ArticleQuery
from . import keys_postgres
from .index import AdminEntry, IndexReader
from .keys import ApiKey
from .pool import ReaderPool
from .search import parse_tsquery

T = TypeVar("T")

READERS = 8
# A read that takes longer is a bug or an attack; it fails (503) instead of piling up.
STATEMENT_TIMEOUT = "30s"


class PostgresReader:
    """The reads of one response on one pooled connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def snapshot(self) -> AbstractContextManager[None]:
        return pg_search.snapshot(self.conn)

    def find_articles(self, query: ArticleQuery) -> list[Article]:
        return pg_search.find_articles(self.conn, query)

    def articles_by_path(
        self, paths: list[str], day_range: tuple[datetime, datetime] | None
    ) -> list[Article]:
        return pg_search.articles_by_path(self.conn, paths, day_range)

    def topic_counts(self) -> dict[str, int]:
        return pg_search.topic_counts(self.conn)

    def provider_newest(self) -> list[tuple[Article, int]]:
        return pg_search.provider_newest(self.conn)

    def count_all(self) -> int:
        return pg_search.count_all(self.conn)

    def check_token(self, token: str) -> ApiKey | None:
        return keys_postgres.check_token(self.conn, token)

    def admin_log(self, limit: int) -> list[dict[str, Any]]:
        return keys_postgres.log_rows(self.conn, limit)


def connect_reader(dsn: str) -> Connection:
    """A connection for reads: snapshots are REPEATABLE READ and READ ONLY.

    Raises:
        StoreError: the server cannot be reached.
    """
    name, conn = connect(dsn)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    try:
        conn.execute("SET default_transaction_read_only = on")
        conn.execute(f"SET statement_timeout = '{STATEMENT_TIMEOUT}'")
    except psycopg.Error as e:
        conn.close()
        raise StoreError(f"{name}: cannot set the session up: {one_line(e)}") from e
    return conn


def _is_usable(conn: Connection) -> bool:
    return not conn.closed and not conn.broken


class PostgresIndex:
    """One server's PostgreSQL index: the store, the reader pool and the change watch."""

    def __init__(self, dsn: str) -> None:
        """Connect (and migrate) the store, then the watch; readers connect on demand.

        Raises:
            StoreError: the server cannot be reached or the schema is newer.
        """
        self.store = PostgresStore(dsn)
        try:
            self._watch = ChangeWatch(dsn)
        except BaseException:
            self.store.close()
            raise
        self.readers: ReaderPool[Connection] = ReaderPool(
            lambda: connect_reader(dsn), Connection.close, _is_usable, READERS
        )

    def search_expression(self, text: str) -> str:
        return parse_tsquery(text)

    def version(self) -> int:
        return self._watch.version()

    def changed(self) -> None:
        self._watch.bump()

    def sync(self) -> None:
        self._watch.sync()

    async def read(self, work: Callable[[IndexReader], T]) -> T:
        return await self.readers.run(lambda conn: work(PostgresReader(conn)))

    def set_pinned(self, url: str, when: datetime | None) -> bool:
        return self.store.set_pinned(url, when)

    def log_action(self, entry: AdminEntry) -> None:
        keys_postgres.add_log_row(self.store.connection, entry.values())

    def close(self) -> None:
        """Close the readers, the watch and the store; idempotent."""
        self.readers.close()
        self._watch.close()
        self.store.close()


class PostgresKeys:
    """The API keys in the hub's PostgreSQL index, for ``everyday keys``."""

    def __init__(self, dsn: str) -> None:
        self._db = PostgresDatabase(dsn)

    def create_key(self, name: str, scope: str, now: datetime) -> tuple[str, ApiKey]:
        with self._db.transaction():
            return keys_postgres.create_key(self._db.conn, name, scope, now)

    def list_keys(self) -> list[ApiKey]:
        return keys_postgres.list_keys(self._db.conn)

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        with self._db.transaction():
            return keys_postgres.revoke_key(self._db.conn, key_id, now)

    def close(self) -> None:
        self._db.close()
