"""The server index: :class:`PostgresStore`, the :class:`~.base.Store` backend for when one
machine is not enough.

It keeps the semantics of :class:`~.sqlite.SQLiteStore` (the same tests run against
both): articles are codec JSON plus the columns queries filter and sort on, reached by
any of their URLs. Several processes, on one machine or many, may write at once: write
transactions queue on one advisory lock (:mod:`.postgres_database`), and inserts use
``ON CONFLICT`` so a source or URL is never stored twice.

Threads: use a store from one thread at a time; give each concurrent worker its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..models import Article, Source
from . import codec
from .base import Failure, Run, Store
from .postgres_database import Connection, PostgresDatabase, translated
from .postgres_rows import (
    ARTICLE_CASTS,
    ARTICLE_FIELDS,
    SOURCE_FIELDS,
    article_params,
    instant,
    source_from_row,
    source_params,
)

log = logging.getLogger(__name__)

_SOURCE_COLUMNS = ", ".join(SOURCE_FIELDS)
_SOURCE_VALUES = ", ".join(f"%({name})s" for name in SOURCE_FIELDS)
_SOURCE_SET = ", ".join(f"{name} = %({name})s" for name in SOURCE_FIELDS[1:])
_ARTICLE_COLUMNS = ", ".join(ARTICLE_FIELDS)
_ARTICLE_VALUES = ", ".join(f"%s{ARTICLE_CASTS.get(name, '')}" for name in ARTICLE_FIELDS)


def _limit(limit: int | None) -> int | None:
    # SQLite reads a negative LIMIT as none; PostgreSQL refuses it. NULL means none.
    return None if limit is None or limit < 0 else limit


class PostgresStore:
    """The index in a PostgreSQL database, migrated to the current schema on open."""

    def __init__(self, dsn: str) -> None:
        """Connect to the server and migrate the database.

        Args:
            dsn: a libpq connection string, ``postgresql://user@host:5432/dbname`` or
                ``host=... dbname=...``; libpq's ``PG*`` variables and ``~/.pgpass``
                fill what it leaves out (a password, say).

        Raises:
            StoreError: the dsn is malformed, the server is unreachable or refuses the
                login, or the schema is from a newer everyday. The message names the
                server without the password.
        """
        self._db = PostgresDatabase(dsn)
        self._conn = self._db.conn
        self.name = self._db.name

    @property
    def connection(self) -> Connection:
        """The underlying connection (autocommit; use :meth:`transaction` to group)."""
        return self._conn

    def __repr__(self) -> str:
        return f"PostgresStore({self.name!r})"

    def __enter__(self) -> PostgresStore:
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

    @translated
    def add_source(self, source: Source) -> bool:
        """Add a source; False (and no change) when its URL is already known."""
        with self.transaction():
            cursor = self._conn.execute(
                f"INSERT INTO sources ({_SOURCE_COLUMNS}) VALUES ({_SOURCE_VALUES}) "
                "ON CONFLICT (url) DO NOTHING",
                source_params(source),
            )
        return cursor.rowcount == 1

    @translated
    def get_source(self, url: str) -> Source | None:
        """The source with this URL, or None."""
        row = self._conn.execute("SELECT * FROM sources WHERE url = %s", (url,)).fetchone()
        return None if row is None else source_from_row(row)

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
        order = "id"
        if not include_paused:
            where.append("NOT paused")
        if due_before is not None:
            where.append("(next_check_utc IS NULL OR next_check_utc <= %s)")
            params.append(instant(due_before))
            order = "next_check_utc NULLS FIRST, id"
        sql = "SELECT * FROM sources"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn.execute(f"{sql} ORDER BY {order}", params).fetchall()
        return [source_from_row(row) for row in rows]

    @translated
    def set_source(self, source: Source) -> bool:
        """Store every field of a known source (its fetch state); False if unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                f"UPDATE sources SET {_SOURCE_SET} WHERE url = %(url)s",
                source_params(source),
            )
        return cursor.rowcount == 1

    @translated
    def delete_source(self, url: str) -> bool:
        """Forget a source (its articles stay); False if unknown."""
        with self.transaction():
            cursor = self._conn.execute("DELETE FROM sources WHERE url = %s", (url,))
        return cursor.rowcount == 1

    # -- articles --------------------------------------------------------------

    @translated
    def get_article(self, url: str) -> Article | None:
        """The article reached by this URL: its canonical URL or any alias."""
        row = self._conn.execute(
            "SELECT a.data FROM article_urls AS u JOIN articles AS a ON a.id = u.article_id "
            "WHERE u.url = %s",
            (url,),
        ).fetchone()
        return None if row is None else codec.decode_article(row["data"])

    @translated
    def has_url(self, url: str) -> bool:
        """Whether an article is known under this URL (one index lookup)."""
        row = self._conn.execute("SELECT 1 FROM article_urls WHERE url = %s", (url,)).fetchone()
        return row is not None

    @translated
    def add_article(self, article: Article, aliases: Iterable[str] = ()) -> bool:
        """Insert or update the article keyed by ``record.web_url``.

        ``record.original_url`` and ``aliases`` become alias URLs of the same article.
        When these URLs already lead to an article (the one owning ``web_url`` first),
        that article is updated, keeping the earliest ``first_seen``. A URL that
        already leads to a *different* article stays with it (as in SQLite).

        Returns:
            True if inserted or changed; False when unchanged (same non-empty
            fingerprint, or the same document when the fingerprint is empty).
        """
        key = article.record.web_url
        urls = list(dict.fromkeys(u for u in (key, article.record.original_url, *aliases) if u))
        with self.transaction():  # holds the write lock: the owners cannot change under us
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
                "INSERT INTO article_urls (url, article_id) "
                "SELECT u, %s FROM unnest(%s::text[]) AS u ON CONFLICT (url) DO NOTHING",
                (target, urls),
            )
        log.debug("add_article url=%s changed=%s", key, changed)
        return changed

    def _owners(self, urls: list[str]) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT url, article_id FROM article_urls WHERE url = ANY(%s)", (urls,)
        ).fetchall()
        return {row["url"]: row["article_id"] for row in rows}

    def _insert_article(self, article: Article) -> int:
        row = self._conn.execute(
            f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({_ARTICLE_VALUES}) RETURNING id",
            article_params(article),
        ).fetchone()
        assert row is not None  # RETURNING of a successful INSERT
        return int(row["id"])

    def _update_article(self, article_id: int, article: Article) -> bool:
        row = self._conn.execute(
            "SELECT data FROM articles WHERE id = %s", (article_id,)
        ).fetchone()
        assert row is not None  # the id came from article_urls, which cascades
        stored = codec.decode_article(row["data"])
        if article.fingerprint:
            if article.fingerprint == stored.fingerprint:
                return False
        elif codec.encode_article(article) == codec.encode_article(stored):
            return False
        article = replace(article, first_seen=codec.earliest(stored.first_seen, article.first_seen))
        self._conn.execute(
            f"UPDATE articles SET ({_ARTICLE_COLUMNS}) = ({_ARTICLE_VALUES}) WHERE id = %s",
            (*article_params(article), article_id),
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
            where.append("published_utc >= %s")
            params.append(instant(since))
        if published_only:
            where.append("is_published")
        sql = "SELECT data FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY published_utc DESC, id DESC LIMIT %s"
        params.append(_limit(limit))
        rows = self._conn.execute(sql, params).fetchall()
        return [codec.decode_article(row["data"]) for row in rows]

    @translated
    def count_articles(self) -> int:
        """How many articles the index holds."""
        row = self._conn.execute("SELECT count(*) AS n FROM articles").fetchone()
        return 0 if row is None else int(row["n"])

    @translated
    def get_clusters(self) -> dict[str, str]:
        """Record path -> story id of every article filed under a story (site, newsletter)."""
        rows = self._conn.execute(
            "SELECT path, cluster_id FROM articles WHERE cluster_id IS NOT NULL"
        ).fetchall()
        return {str(row["path"]): str(row["cluster_id"]) for row in rows}

    @translated
    def get_pins(self) -> dict[str, str]:
        """Record path -> when it was pinned (ISO text), for every pinned article."""
        rows = self._conn.execute(
            "SELECT path, pinned_utc FROM articles WHERE pinned_utc IS NOT NULL"
        ).fetchall()
        return {str(row["path"]): codec.utc_key(row["pinned_utc"]) for row in rows}

    @translated
    def delete_article(self, url: str) -> bool:
        """Forget the article reached by this URL, with its aliases; False if unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                "DELETE FROM articles WHERE id = "
                "(SELECT article_id FROM article_urls WHERE url = %s)",
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
                "VALUES (%s, %s, %s, %s, %s)",
                (url, source_url, reason, codec.encode_datetime(now), instant(now)),
            )

    @translated
    def get_failures(self, url: str) -> list[Failure]:
        """Failures of this URL, newest first."""
        rows = self._conn.execute(
            "SELECT url, source_url, reason, failed_at FROM failures WHERE url = %s "
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
            "SELECT 1 FROM failures WHERE url = %s AND failed_at_utc >= %s LIMIT 1",
            (url, instant(now - within)),
        ).fetchone()
        return row is not None

    @translated
    def delete_failures(self, url: str) -> int:
        """Forget the failures of a URL (it worked after all); returns how many."""
        with self.transaction():
            cursor = self._conn.execute("DELETE FROM failures WHERE url = %s", (url,))
        return cursor.rowcount

    # -- runs ------------------------------------------------------------------

    @translated
    def add_run(self, started: datetime) -> int:
        """Open a run record and return its id."""
        with self.transaction():
            row = self._conn.execute(
                "INSERT INTO runs (started) VALUES (%s) RETURNING id",
                (codec.encode_datetime(started),),
            ).fetchone()
        assert row is not None  # RETURNING of a successful INSERT
        return int(row["id"])

    @translated
    def set_run(
        self, run_id: int, finished: datetime, counts: dict[str, int], summary: dict[str, Any]
    ) -> bool:
        """Close a run with its counts and summary; False if the id is unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                "UPDATE runs SET finished = %s, counts = %s::json, summary = %s::json "
                "WHERE id = %s",
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
        rows = self._conn.execute(
            "SELECT * FROM runs ORDER BY id DESC LIMIT %s", (_limit(limit),)
        ).fetchall()
        return [
            Run(
                id=row["id"],
                started=datetime.fromisoformat(row["started"]),
                finished=codec.decode_datetime(row["finished"]),
                counts=row["counts"],
                summary=codec.decode_value(row["summary"]),
            )
            for row in rows
        ]


if TYPE_CHECKING:  # mypy proves the class implements the protocol
    _PROTOCOL_CHECK: type[Store] = PostgresStore
