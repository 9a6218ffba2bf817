"""The embedded index: :class:`SQLiteStore`, the default :class:`~.base.Store` backend.

One file in write-ahead-log mode: readers in other processes (the server, the CLI) see
the last committed state while the pipeline writes, and a process killed mid-batch
leaves the file consistent (the uncommitted tail of the log is ignored on the next
open). Articles are codec JSON plus the columns that queries filter and sort on.

Threads: use a store from one thread at a time (see :mod:`.database`); give each
concurrent worker its own ``SQLiteStore``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import Article, Source
from . import codec
from .base import Failure, Run, Store
from .database import Database, translated

log = logging.getLogger(__name__)

_SOURCE_COLUMNS = (
    "url, kind, title, etag, last_modified, last_checked, next_check, next_check_utc, "
    "error_count, last_error, paused, interval_seconds"
)


def _key(value: datetime | None) -> str | None:
    return None if value is None else codec.utc_key(value)


class SQLiteStore:
    """The index in one SQLite file (WAL), migrated to the current schema on open."""

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

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: commit once on success, roll back on error; nests.

        Raises:
            StoreError: the transaction could not begin or commit.
        """
        return self._db.transaction()

    def close(self) -> None:
        """Release the connection; the store is unusable afterwards. Idempotent."""
        self._db.close()

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

    _source = staticmethod(codec.source_from_row)

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
    def get_source(self, url: str) -> Source | None:
        """The source with this URL, or None."""
        row = self._conn.execute("SELECT * FROM sources WHERE url = ?", (url,)).fetchone()
        return None if row is None else self._source(row)

    @translated
    def get_sources(
        self, *, due_before: datetime | None = None, include_paused: bool = True
    ) -> list[Source]:
        """Sources in the order they were added.

        With ``due_before``, only sources never checked or whose ``next_check`` is at or
        before it, never-checked first, then the most overdue first.
        """
        where: list[str] = []
        params: list[Any] = []
        order = "rowid"
        if not include_paused:
            where.append("paused = 0")
        if due_before is not None:
            where.append("(next_check_utc IS NULL OR next_check_utc <= ?)")
            params.append(codec.utc_key(due_before))
            order = "next_check_utc IS NOT NULL, next_check_utc, rowid"
        sql = "SELECT * FROM sources"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn.execute(f"{sql} ORDER BY {order}", params).fetchall()
        return [self._source(row) for row in rows]

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

    @translated
    def delete_source(self, url: str) -> bool:
        """Forget a source (its articles stay); False if unknown."""
        with self.transaction():
            cursor = self._conn.execute("DELETE FROM sources WHERE url = ?", (url,))
        return cursor.rowcount == 1

    # -- articles --------------------------------------------------------------

    @translated
    def get_article(self, url: str) -> Article | None:
        """The article reached by this URL: its canonical URL or any alias."""
        row = self._conn.execute(
            "SELECT a.data FROM article_urls AS u JOIN articles AS a ON a.id = u.article_id "
            "WHERE u.url = ?",
            (url,),
        ).fetchone()
        return None if row is None else codec.loads_article(row["data"])

    @translated
    def has_url(self, url: str) -> bool:
        """Whether an article is known under this URL (one index lookup)."""
        row = self._conn.execute("SELECT 1 FROM article_urls WHERE url = ?", (url,)).fetchone()
        return row is not None

    @translated
    def add_article(self, article: Article, aliases: Iterable[str] = ()) -> bool:
        """Insert or update the article keyed by ``record.web_url``.

        ``record.original_url`` and ``aliases`` become alias URLs of the same article.
        When these URLs already lead to an article (the one owning ``web_url`` first),
        that article is updated, keeping the earliest ``first_seen``. A URL that
        already leads to a *different* article stays with it: merging two stored
        articles would orphan a record file, which is the caller's call to make.

        Returns:
            True if inserted or changed; False when unchanged (same non-empty
            fingerprint, or the same document when the fingerprint is empty).
        """
        key = article.record.web_url
        urls = list(dict.fromkeys(u for u in (key, article.record.original_url, *aliases) if u))
        with self.transaction():
            owners = self._owners(urls)
            target = owners.get(key) or next((owners[u] for u in urls if u in owners), None)
            if target is None:
                target, changed = self._insert_article(article), True
            else:
                changed = self._update_article(target, article)
            for url in urls:
                if owners.get(url, target) != target:
                    log.debug("alias kept by another article url=%s article=%s", url, key)
                self._conn.execute(
                    "INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
                    (url, target),
                )
        log.debug("add_article url=%s changed=%s", key, changed)
        return changed

    def _owners(self, urls: list[str]) -> dict[str, int]:
        marks = ", ".join("?" * len(urls))
        rows = self._conn.execute(
            f"SELECT url, article_id FROM article_urls WHERE url IN ({marks})", urls
        ).fetchall()
        return {row["url"]: row["article_id"] for row in rows}

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
        cursor = self._conn.execute(
            "INSERT INTO articles (url, published_utc, quality, heat, is_published, path, "
            "fingerprint, first_seen_utc, source_url, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._article_params(article),
        )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        return cursor.lastrowid

    def _update_article(self, article_id: int, article: Article) -> bool:
        row = self._conn.execute("SELECT data FROM articles WHERE id = ?", (article_id,)).fetchone()
        stored = codec.loads_article(row["data"])
        if article.fingerprint:
            if article.fingerprint == stored.fingerprint:
                return False
        elif codec.encode_article(article) == codec.encode_article(stored):
            return False
        article = replace(article, first_seen=codec.earliest(stored.first_seen, article.first_seen))
        self._conn.execute(
            "UPDATE articles SET url = ?, published_utc = ?, quality = ?, heat = ?, "
            "is_published = ?, path = ?, fingerprint = ?, first_seen_utc = ?, "
            "source_url = ?, data = ? WHERE id = ?",
            (*self._article_params(article), article_id),
        )
        return True

    @translated
    def get_articles(
        self,
        *,
        since: datetime | None = None,
        limit: int | None = None,
        published_only: bool = False,
    ) -> list[Article]:
        """Articles newest first by ``record.published`` (at or after ``since``)."""
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append("published_utc >= ?")
            params.append(codec.utc_key(since))
        if published_only:
            where.append("is_published = 1")
        sql = "SELECT data FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY published_utc DESC, id DESC LIMIT ?"
        params.append(-1 if limit is None else limit)  # SQLite: a negative LIMIT is none
        rows = self._conn.execute(sql, params).fetchall()
        return [codec.loads_article(row["data"]) for row in rows]

    @translated
    def count_articles(self) -> int:
        """How many articles the index holds."""
        return int(self._conn.execute("SELECT count(*) FROM articles").fetchone()[0])

    @translated
    def get_clusters(self) -> dict[str, str]:
        """Record path -> story id of every article filed under a story (site, newsletter)."""
        rows = self._conn.execute(
            "SELECT path, cluster_id FROM articles WHERE cluster_id IS NOT NULL"
        ).fetchall()
        return {str(path): str(cluster) for path, cluster in rows}

    @translated
    def get_pins(self) -> dict[str, str]:
        """Record path -> when it was pinned (ISO text), for every pinned article."""
        rows = self._conn.execute(
            "SELECT path, pinned_utc FROM articles WHERE pinned_utc IS NOT NULL"
        ).fetchall()
        return {str(path): str(when) for path, when in rows}

    @translated
    def delete_article(self, url: str) -> bool:
        """Forget the article reached by this URL, with its aliases; False if unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                "DELETE FROM articles WHERE id = "
                "(SELECT article_id FROM article_urls WHERE url = ?)",
                (url,),
            )
        return cursor.rowcount == 1

    # -- failures --------------------------------------------------------------

    @translated
    def add_failure(self, url: str, source_url: str | None, reason: str, now: datetime) -> None:
        """Record that fetching or extracting ``url`` failed at ``now``."""
        with self.transaction():
            self._conn.execute(
                "INSERT INTO failures (url, source_url, reason, failed_at, failed_at_utc) "
                "VALUES (?, ?, ?, ?, ?)",
                (url, source_url, reason, codec.encode_datetime(now), codec.utc_key(now)),
            )

    @translated
    def get_failures(self, url: str) -> list[Failure]:
        """Failures of this URL, newest first."""
        rows = self._conn.execute(
            "SELECT url, source_url, reason, failed_at FROM failures WHERE url = ? "
            "ORDER BY failed_at_utc DESC, id DESC",
            (url,),
        ).fetchall()
        return [
            Failure(
                url=row["url"],
                reason=row["reason"],
                failed_at=datetime.fromisoformat(row["failed_at"]),
                source_url=row["source_url"],
            )
            for row in rows
        ]

    @translated
    def has_recent_failure(self, url: str, now: datetime, within: timedelta) -> bool:
        """Whether ``url`` failed at or after ``now - within`` (so skip it for now)."""
        row = self._conn.execute(
            "SELECT 1 FROM failures WHERE url = ? AND failed_at_utc >= ? LIMIT 1",
            (url, codec.utc_key(now - within)),
        ).fetchone()
        return row is not None

    @translated
    def delete_failures(self, url: str) -> int:
        """Forget the failures of a URL (it worked after all); returns how many."""
        with self.transaction():
            cursor = self._conn.execute("DELETE FROM failures WHERE url = ?", (url,))
        return cursor.rowcount

    # -- runs ------------------------------------------------------------------

    @translated
    def add_run(self, started: datetime) -> int:
        """Open a run record and return its id."""
        with self.transaction():
            cursor = self._conn.execute(
                "INSERT INTO runs (started) VALUES (?)", (codec.encode_datetime(started),)
            )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        return cursor.lastrowid

    @translated
    def set_run(
        self, run_id: int, finished: datetime, counts: dict[str, int], summary: dict[str, Any]
    ) -> bool:
        """Close a run with its counts and summary; False if the id is unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE runs SET finished = ?, counts = ?, summary = ? WHERE id = ?",
                (
                    codec.encode_datetime(finished),
                    codec.dumps(dict(counts)),
                    codec.dumps(codec.encode_value(dict(summary))),
                    run_id,
                ),
            )
        return cursor.rowcount == 1

    @translated
    def get_runs(self, limit: int = 20) -> list[Run]:
        """The latest runs, newest first."""
        rows = self._conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,))
        return [
            Run(
                id=row["id"],
                started=datetime.fromisoformat(row["started"]),
                finished=codec.decode_datetime(row["finished"]),
                counts=codec.loads(row["counts"]),
                summary=codec.decode_value(codec.loads(row["summary"])),
            )
            for row in rows.fetchall()
        ]


if TYPE_CHECKING:  # mypy proves the class implements the protocol
    _PROTOCOL_CHECK: type[Store] = SQLiteStore
