"""The embedded index: :class:`SQLiteStore`, the default :class:`~.base.Store` backend.

One file in write-ahead-log mode: readers in other processes (the server, the CLI) see
the last committed state while the pipeline writes, and a process killed mid-batch
leaves the file consistent (the uncommitted tail of the log is ignored on the next
open). Articles are codec JSON plus the columns that queries filter and sort on.
The statements both backends share are in :mod:`.sql`; this module keeps SQLite's words.

Threads: use a store from one thread at a time (see :mod:`.database`); give each
concurrent worker its own ``SQLiteStore``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import Article, Source
from . import codec
from .base import Store
from .database import SQLITE, Database
from .sql import SQLStore, translated

_SOURCE_COLUMNS = (
    "url, kind, title, etag, last_modified, last_checked, next_check, next_check_utc, "
    "error_count, last_error, paused, interval_seconds"
)


def _key(value: datetime | None) -> str | None:
    return None if value is None else codec.utc_key(value)


class SQLiteStore(SQLStore):
    """The index in one SQLite file (WAL), migrated to the current schema on open."""

    dialect = SQLITE
    _db: Database
    _conn: sqlite3.Connection

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        """Open (creating it and its folder if needed) and migrate the database.

        Args:
            path: the database file.
            timeout: seconds to wait for another connection's write lock.

        Raises:
            StoreError: the file cannot be created or opened, is not a database, or
                is from a newer everyday.
        """
        self._db = Database(path, timeout=timeout)
        self._conn = self._db.conn
        self.path = self._db.path

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection, for modules that add tables of their own (search,
        keys, admin log) and must write in the same transaction as the store."""
        return self._conn

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    # -- sources ---------------------------------------------------------------

    @staticmethod
    def _source_params(source: Source) -> tuple[Any, ...]:
        return (
            source.url,
            source.kind,
            source.title,
            source.etag,
            source.last_modified,
            codec.encode_datetime(source.last_checked),
            codec.encode_datetime(source.next_check),
            _key(source.next_check),
            source.error_count,
            source.last_error,
            int(source.paused),
            source.interval_seconds,
        )

    @translated
    def add_source(self, source: Source) -> bool:
        """Add a source; False (and no change) when its URL is already known."""
        with self.transaction():
            cursor = self._conn.execute(
                f"INSERT OR IGNORE INTO sources ({_SOURCE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._source_params(source),
            )
        return cursor.rowcount == 1

    @translated
    def set_source(self, source: Source) -> bool:
        """Store every field of a known source (its fetch state); False if unknown."""
        params = self._source_params(source)
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE sources SET kind = ?, title = ?, etag = ?, last_modified = ?, "
                "last_checked = ?, next_check = ?, next_check_utc = ?, error_count = ?, "
                "last_error = ?, paused = ?, interval_seconds = ? WHERE url = ?",
                (*params[1:], source.url),
            )
        return cursor.rowcount == 1

    # -- articles --------------------------------------------------------------

    def _owners(self, urls: list[str]) -> dict[str, int]:
        marks = ", ".join("?" * len(urls))
        rows = self._conn.execute(
            f"SELECT url, article_id FROM article_urls WHERE url IN ({marks})", urls
        ).fetchall()
        return {row["url"]: row["article_id"] for row in rows}

    def _add_urls(self, article_id: int, urls: list[str]) -> None:
        for url in urls:
            self._conn.execute(
                "INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
                (url, article_id),
            )

    def _insert(self, sql: str, params: Any) -> int:
        cursor = self._conn.execute(sql, params)
        assert cursor.lastrowid is not None  # an INSERT always sets it
        return cursor.lastrowid

    @staticmethod
    def _article_params(article: Article) -> tuple[Any, ...]:
        record = article.record
        return (
            record.web_url,
            codec.utc_key(record.published),
            record.quality,
            record.heat,
            None if record.is_published is None else int(record.is_published),
            article.path,
            article.fingerprint,
            _key(article.first_seen),
            article.source_url,
            codec.dumps_article(article),
        )

    def _insert_article(self, article: Article) -> int:
        return self._insert(
            "INSERT INTO articles (url, published_utc, quality, heat, is_published, path, "
            "fingerprint, first_seen_utc, source_url, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._article_params(article),
        )

    def _set_article(self, article_id: int, article: Article) -> None:
        self._conn.execute(
            "UPDATE articles SET url = ?, published_utc = ?, quality = ?, heat = ?, "
            "is_published = ?, path = ?, fingerprint = ?, first_seen_utc = ?, "
            "source_url = ?, data = ? WHERE id = ?",
            (*self._article_params(article), article_id),
        )


if TYPE_CHECKING:  # mypy proves the class implements the protocol
    _PROTOCOL_CHECK: type[Store] = SQLiteStore
