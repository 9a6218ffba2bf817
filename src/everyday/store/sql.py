"""What the two SQL backends of the :class:`~.base.Store` protocol do alike: :class:`SQLStore`.

:class:`~.sqlite.SQLiteStore` and :class:`~.postgres.PostgresStore` keep one meaning for
every method (the same tests run against both), and most methods run the same statement
on both. Those are written here once. What the dialects do not share stays with each
backend: its :class:`Dialect` (placeholders, booleans, orders, how an instant is bound
and read back, how JSON comes back, the driver's errors) and the statements that differ
beyond it (upserts, the ids of inserts, the alias insert, the article columns).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Concatenate, ParamSpec, Protocol, Self, TypeVar

from ..errors import StoreError
from ..models import Article, Source
from . import codec
from .base import Failure, Run

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class Cursor(Protocol):
    """What the shared methods read of a cursor (sqlite3's and psycopg's alike)."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> Any: ...


class Connection(Protocol):
    """What the shared methods call on a connection; rows are read by column name."""

    def execute(self, sql: str, params: Any = ..., /) -> Cursor: ...


class OpenDatabase(Protocol):
    """The backend's open connection with its nestable transactions."""

    label: str  # what messages name it by: the file, the server

    def transaction(self) -> AbstractContextManager[None]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Dialect:
    """Where the backends' shared statements differ: SQL fragments and value conversions."""

    error: type[Exception]  # the driver's errors, which become StoreError
    message: Callable[[Exception], str]  # a driver error for a StoreError message
    mark: str  # a bound parameter
    json_mark: str  # a bound parameter stored in a JSON column
    instant: Callable[[datetime], Any]  # a datetime bound to an ``*_utc`` column
    instant_text: Callable[[Any], str]  # an ``*_utc`` column read back as a UTC key
    json: Callable[[Any], Any]  # a JSON column read back as Python values
    limit: Callable[[int | None], int | None]  # a LIMIT parameter (None: no limit)
    is_published: str  # the condition "published" on articles
    data_text: str  # the articles' JSON document as text (for LIKE)
    is_active: str  # the condition "not paused" on sources
    added_order: str  # sources in the order they were added
    due_order: str  # sources never checked first, then the most overdue


def translated(method: Callable[Concatenate[Any, P], R]) -> Callable[Concatenate[Any, P], R]:
    """Turn driver errors of a method into StoreError naming the store and the method."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except self.dialect.error as e:
            message = self.dialect.message(e)
            raise StoreError(f"{self.label}: {method.__name__} failed: {message}") from e

    return wrapper


def updated(stored: Article, article: Article) -> Article | None:
    """What to store over ``stored``: ``article`` keeping the earliest ``first_seen``, or
    None when nothing changed (same non-empty fingerprint, or the same document when the
    fingerprint is empty)."""
    if article.fingerprint:
        if article.fingerprint == stored.fingerprint:
            return None
    elif codec.encode_article(article) == codec.encode_article(stored):
        return None
    return replace(article, first_seen=codec.earliest(stored.first_seen, article.first_seen))


def set_by_url(
    conn: Connection, dialect: Dialect, column: str, value: Any, url: str, what: str
) -> bool:
    """Set one column of the article reached by ``url``; False if unknown.

    Raises:
        StoreError: the update failed (the message starts with ``what``).
    """
    m = dialect.mark
    try:
        cursor = conn.execute(
            f"UPDATE articles SET {column} = {m} WHERE id = "
            f"(SELECT article_id FROM article_urls WHERE url = {m})",
            (value, url),
        )
    except dialect.error as e:
        raise StoreError(f"{what} failed: {dialect.message(e)}") from e
    return cursor.rowcount == 1


class SQLStore:
    """The :class:`~.base.Store` methods both SQL backends run alike.

    A backend sets :attr:`dialect`, and in ``__init__`` ``_db`` and ``_conn``; it adds the statements its dialect words
    differently (:meth:`add_source`, :meth:`set_source`, :meth:`_owners`,
    :meth:`_add_urls`, :meth:`_insert`, :meth:`_insert_article`, :meth:`_set_article`).
    """

    dialect: ClassVar[Dialect]
    _db: OpenDatabase
    _conn: Connection

    @property
    def label(self) -> str:
        """What messages name the store by: its file or server."""
        return self._db.label

    def __enter__(self) -> Self:
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
    def get_source(self, url: str) -> Source | None:
        """The source with this URL, or None."""
        m = self.dialect.mark
        row = self._conn.execute(f"SELECT * FROM sources WHERE url = {m}", (url,)).fetchone()
        return None if row is None else codec.source_from_row(row)

    @translated
    def get_sources(
        self, *, due_before: datetime | None = None, include_paused: bool = True
    ) -> list[Source]:
        """Sources in the order they were added.

        With ``due_before``, only sources never checked or whose ``next_check`` is at or
        before it, never-checked first, then the most overdue first.
        """
        d = self.dialect
        where: list[str] = []
        params: list[Any] = []
        order = d.added_order
        if not include_paused:
            where.append(d.is_active)
        if due_before is not None:
            where.append(f"(next_check_utc IS NULL OR next_check_utc <= {d.mark})")
            params.append(d.instant(due_before))
            order = d.due_order
        sql = "SELECT * FROM sources"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn.execute(f"{sql} ORDER BY {order}", params).fetchall()
        return [codec.source_from_row(row) for row in rows]

    @translated
    def delete_source(self, url: str) -> bool:
        """Forget a source (its articles stay); False if unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                f"DELETE FROM sources WHERE url = {self.dialect.mark}", (url,)
            )
        return cursor.rowcount == 1

    # -- articles --------------------------------------------------------------

    def _article(self, data: Any) -> Article:
        return codec.decode_article(self.dialect.json(data))

    @translated
    def get_article(self, url: str) -> Article | None:
        """The article reached by this URL: its canonical URL or any alias."""
        row = self._conn.execute(
            "SELECT a.data FROM article_urls AS u JOIN articles AS a ON a.id = u.article_id "
            f"WHERE u.url = {self.dialect.mark}",
            (url,),
        ).fetchone()
        return None if row is None else self._article(row["data"])

    @translated
    def has_url(self, url: str) -> bool:
        """Whether an article is known under this URL (one index lookup)."""
        m = self.dialect.mark
        row = self._conn.execute(f"SELECT 1 FROM article_urls WHERE url = {m}", (url,)).fetchone()
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
            self._add_urls(target, urls)
        log.debug("add_article url=%s changed=%s", key, changed)
        return changed

    def _owners(self, urls: list[str]) -> dict[str, int]:
        """URL -> id of the article it leads to, for those of ``urls`` that lead to one."""
        raise NotImplementedError

    def _add_urls(self, article_id: int, urls: list[str]) -> None:
        """Lead each of ``urls`` not leading anywhere yet to the article."""
        raise NotImplementedError

    def _insert(self, sql: str, params: Any) -> int:
        """Run an INSERT of one row and return the row's new ``id``."""
        raise NotImplementedError

    def _insert_article(self, article: Article) -> int:
        """Insert a new article row; returns its id."""
        raise NotImplementedError

    def _set_article(self, article_id: int, article: Article) -> None:
        """Overwrite every column of an article row."""
        raise NotImplementedError

    def _update_article(self, article_id: int, article: Article) -> bool:
        m = self.dialect.mark
        row = self._conn.execute(f"SELECT data FROM articles WHERE id = {m}", (article_id,))
        stored = row.fetchone()
        assert stored is not None  # the id came from article_urls, which cascades
        new = updated(self._article(stored["data"]), article)
        if new is None:
            return False
        self._set_article(article_id, new)
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
        d = self.dialect
        where: list[str] = []
        params: list[Any] = []
        if since is not None:
            where.append(f"published_utc >= {d.mark}")
            params.append(d.instant(since))
        if published_only:
            where.append(d.is_published)
        sql = "SELECT data FROM articles"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY published_utc DESC, id DESC LIMIT {d.mark}"
        params.append(d.limit(limit))
        rows = self._conn.execute(sql, params).fetchall()
        return [self._article(row["data"]) for row in rows]

    @translated
    def get_tagged(self, prefix: str) -> list[Article]:
        """Articles with a tag starting with ``prefix`` (``editor:``), newest first.

        A scan of the documents' text, then an exact check: for rare tags and an
        occasional listing, not for a hot path."""
        d = self.dialect
        like = '%"' + prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._conn.execute(
            f"SELECT data FROM articles WHERE {d.data_text} LIKE {d.mark} ESCAPE '\\' "
            "ORDER BY published_utc DESC, id DESC",
            (like,),
        ).fetchall()
        found = (self._article(row["data"]) for row in rows)
        return [a for a in found if any(tag.startswith(prefix) for tag in a.tags)]

    @translated
    def count_articles(self) -> int:
        """How many articles the index holds."""
        return int(self._conn.execute("SELECT count(*) AS n FROM articles").fetchone()["n"])

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
        return {str(row["path"]): self.dialect.instant_text(row["pinned_utc"]) for row in rows}

    @translated
    def set_pinned(self, url: str, when: datetime | None) -> bool:
        """Pin (``when`` set) or unpin the article reached by ``url``; False if unknown.

        Only ``pinned_utc`` changes (the search triggers fire on ``data``)."""
        value = None if when is None else self.dialect.instant(when)
        return set_by_url(self._conn, self.dialect, "pinned_utc", value, url, "pin")

    @translated
    def delete_article(self, url: str) -> bool:
        """Forget the article reached by this URL, with its aliases; False if unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                "DELETE FROM articles WHERE id = "
                f"(SELECT article_id FROM article_urls WHERE url = {self.dialect.mark})",
                (url,),
            )
        return cursor.rowcount == 1

    # -- failures --------------------------------------------------------------

    @translated
    def add_failure(self, url: str, source_url: str | None, reason: str, now: datetime) -> None:
        """Record that fetching or extracting ``url`` failed at ``now``."""
        d = self.dialect
        with self.transaction():
            self._conn.execute(
                "INSERT INTO failures (url, source_url, reason, failed_at, failed_at_utc) "
                f"VALUES ({', '.join([d.mark] * 5)})",
                (url, source_url, reason, codec.encode_datetime(now), d.instant(now)),
            )

    @translated
    def get_failures(self, url: str) -> list[Failure]:
        """Failures of this URL, newest first."""
        rows = self._conn.execute(
            "SELECT url, source_url, reason, failed_at FROM failures "
            f"WHERE url = {self.dialect.mark} ORDER BY failed_at_utc DESC, id DESC",
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
        d = self.dialect
        row = self._conn.execute(
            f"SELECT 1 FROM failures WHERE url = {d.mark} AND failed_at_utc >= {d.mark} LIMIT 1",
            (url, d.instant(now - within)),
        ).fetchone()
        return row is not None

    @translated
    def delete_failures(self, url: str) -> int:
        """Forget the failures of a URL (it worked after all); returns how many."""
        with self.transaction():
            cursor = self._conn.execute(
                f"DELETE FROM failures WHERE url = {self.dialect.mark}", (url,)
            )
        return cursor.rowcount

    # -- runs ------------------------------------------------------------------

    @translated
    def add_run(self, started: datetime) -> int:
        """Open a run record and return its id."""
        with self.transaction():
            return self._insert(
                f"INSERT INTO runs (started) VALUES ({self.dialect.mark})",
                (codec.encode_datetime(started),),
            )

    @translated
    def set_run(
        self, run_id: int, finished: datetime, counts: dict[str, int], summary: dict[str, Any]
    ) -> bool:
        """Close a run with its counts and summary; False if the id is unknown."""
        m, j = self.dialect.mark, self.dialect.json_mark
        with self.transaction():
            cursor = self._conn.execute(
                f"UPDATE runs SET finished = {m}, counts = {j}, summary = {j} WHERE id = {m}",
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
        d = self.dialect
        rows = self._conn.execute(
            f"SELECT * FROM runs ORDER BY id DESC LIMIT {d.mark}", (d.limit(limit),)
        ).fetchall()
        return [
            Run(
                id=row["id"],
                started=datetime.fromisoformat(row["started"]),
                finished=codec.decode_datetime(row["finished"]),
                counts=d.json(row["counts"]),
                summary=codec.decode_value(d.json(row["summary"])),
            )
            for row in rows
        ]
