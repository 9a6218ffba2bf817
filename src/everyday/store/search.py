"""Read queries of the live API on the SQLite index: filtered lists, full-text search, counts.

The columns and tables these read come from migrations 5-9 (:mod:`.migrations`):
``article_search`` (FTS5 over title, excerpt and text) and ``article_topics`` are kept in
step with ``articles`` by triggers, so every write through :class:`~.sqlite.SQLiteStore`
updates them in its own transaction and a reader never sees one without the other.

Functions take an open connection so the caller decides the snapshot: run the queries of
one response inside :func:`snapshot` and they all see the same committed state (WAL).
The FTS expression passed in must already be safe: build it with
:func:`everyday.serve.search.parse_query`, never from raw user input.
The query and its filters are PostgreSQL's too (:mod:`.filters`); the FTS5 match and
its ranking are SQLite's own.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..errors import StoreError
from ..models import Article
from . import codec
from .database import SQLITE
from .filters import ArticleQuery, FilterWords, check_sort, conditions, sql_where
from .sql import set_by_url

# Relevance ranks the newest matches only: bm25 over every match of a common word
# would cost a scan of the whole index per query (and news readers want recent hits).
RANK_WINDOW = 5000
# Title words count most, then the excerpt, then the body (bm25 column weights).
BM25 = "bm25(article_search, 8.0, 3.0, 1.0)"
_ORDER = {
    "date": "a.published_utc DESC, a.path ASC",
    # NULL sorts lowest in SQLite, so DESC puts unscored articles last, index-friendly.
    "heat": "a.heat DESC, a.published_utc DESC, a.path ASC",
    "quality": "a.quality DESC, a.published_utc DESC, a.path ASC",
}
# The matches lead, then each one's row by id, then one sort of the matches. With a plain
# JOIN the planner, which cannot tell how many rows a MATCH finds, walks the date (heat,
# quality) index instead and runs the FTS5 query once per article until the page is
# full: 300 ms p50 for a search on 20,000 articles. A CROSS JOIN keeps the left table the
# outer loop (https://www.sqlite.org/optoverview.html#crossjoin), on every SQLite version.
_MATCHED = "article_search CROSS JOIN articles AS a ON a.id = article_search.rowid"


def connect_reader(path: str) -> sqlite3.Connection:
    """A read-only connection for a server thread (the file must exist and be migrated).

    Raises:
        StoreError: the file cannot be opened.
    """
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA query_only = 1")
        conn.execute("PRAGMA busy_timeout = 5000")
    except sqlite3.Error as e:
        raise StoreError(f"{path}: cannot open for reading: {e}") from e
    return conn


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every query inside sees the same committed state.

    Raises:
        StoreError: a query failed (the driver error is chained).
    """
    try:
        conn.execute("BEGIN")
        try:
            yield
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error as e:
        raise StoreError(f"read failed: {e}") from e


def data_version(conn: sqlite3.Connection) -> int:
    """A number that changes whenever another connection commits (``PRAGMA data_version``)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


class CommitWatch:
    """Tells, in well under a microsecond, whether any connection has committed since.

    ``PRAGMA data_version`` is the documented answer, but each call opens a read
    transaction (file locks included): a few microseconds, as much as the rest of a cached
    answer. In WAL mode every commit rewrites the WAL-index header at the start of the
    ``-shm`` file before any reader can see it (https://www.sqlite.org/walformat.html
    §2.2.1: ``iChange`` grows with each transaction; a reader trusts a header only when
    its two copies agree, and the writer updates the first copy last). So while the first
    48 bytes are unchanged nothing new is visible and the last ``data_version`` holds; when
    they change, the pragma is asked again. Without WAL every call asks the pragma.
    """

    HEADER = 48

    def __init__(self, path: str) -> None:
        self._conn = connect_reader(path)
        self._version = data_version(self._conn)  # opens this connection's WAL index
        self._header = b""
        self._shm: mmap.mmap | None = None
        mode = str(self._conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if mode == "wal":
            self._shm = _map_header(path + "-shm", self.HEADER)

    def version(self) -> int:
        """A number that changes whenever another connection commits."""
        if self._shm is not None:
            header = self._shm[: self.HEADER]
            if header == self._header:
                return self._version
            self._header = header  # read before the pragma: the pragma sees at least this
        self._version = data_version(self._conn)
        return self._version

    def close(self) -> None:
        if self._shm is not None:
            self._shm.close()
            self._shm = None
        self._conn.close()


def _map_header(path: str, size: int) -> mmap.mmap | None:
    """The start of the WAL index, mapped read-only; None when it cannot be.

    Safe to read while this process keeps a connection with the WAL index open (the
    watch's own): SQLite truncates the file only when no connection has it open.
    """
    try:
        with open(path, "rb") as file:
            if os.fstat(file.fileno()).st_size < size:
                return None
            return mmap.mmap(file.fileno(), size, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


_FILTERS = FilterWords(
    published="a.is_published = 1",
    unpublished="a.is_published IS NOT 1",
    has_topic="a.id IN (SELECT article_id FROM article_topics WHERE topic = ?)",
    topic=str,
)


def _source(query: ArticleQuery) -> tuple[str, list[str], list[Any]]:
    """The FROM clause, conditions and parameters of a list or search (FTS5 leads)."""
    where, params = conditions(query, SQLITE, _FILTERS)
    if query.match is None:
        return "articles AS a", where, params
    return _MATCHED, ["article_search MATCH ?", *where], [query.match, *params]


def find_articles(conn: sqlite3.Connection, query: ArticleQuery) -> list[Article]:
    """Articles matching ``query`` in its order, ``query.limit`` at most.

    Two steps: the ids of the page (sorting narrow rows, never the JSON documents), then
    the documents of those ids. Relevance ranks the newest :data:`RANK_WINDOW` matches
    only, so a word found in every article costs the same as a rare one.

    Raises:
        StoreError: the query failed (e.g. an FTS5 expression the index rejects).
        ValueError: ``query.sort`` is unknown, or ``rank`` without a match.
    """
    check_sort(query)
    try:
        if query.sort == "rank":
            return _load(conn, _ranked_ids(conn, query))
        source, where, params = _source(query)
        order = "a.pinned_utc DESC, a.path ASC" if query.pinned else _ORDER[query.sort]
        sql = f"SELECT a.id FROM {source}{sql_where(where)} ORDER BY {order} LIMIT ? OFFSET ?"
        ids = [row[0] for row in conn.execute(sql, [*params, query.limit, query.offset])]
        return _load(conn, ids)
    except sqlite3.Error as e:
        raise StoreError(f"article query failed: {e}") from e


def _ranked_ids(conn: sqlite3.Connection, query: ArticleQuery) -> list[int]:
    """Page ids by relevance: one pass over the newest matches, then the filters.

    The innermost query walks the newest :data:`RANK_WINDOW` matches in rowid order (FTS5
    reads its doclists in that order, no sort), scoring each with bm25; the best ``take``
    (4x what the page needs) then meet the filters. If the filters leave the page short
    and the window held more, it asks again for twice as many. (Finding the window's
    lowest rowid first, then ranking above it, walks the doclists twice: twice the time.)
    """
    assert query.match is not None
    where, params = conditions(query, SQLITE, _FILTERS)
    needed = query.offset + query.limit
    take = max(4 * needed, 100)
    matched: int | None = None
    sql = (
        f"SELECT a.id FROM (SELECT id, r FROM (SELECT rowid AS id, {BM25} AS r "
        "FROM article_search WHERE article_search MATCH ? ORDER BY rowid DESC LIMIT ?) "
        "ORDER BY r LIMIT ?) AS m JOIN articles AS a ON a.id = m.id"
        + sql_where(where)
        + " ORDER BY m.r, a.published_utc DESC, a.path ASC LIMIT ? OFFSET ?"
    )
    while True:
        args = [query.match, RANK_WINDOW, take, *params, query.limit, query.offset]
        ids = [row[0] for row in conn.execute(sql, args)]
        if len(ids) == query.limit or take >= RANK_WINDOW:
            return ids
        if matched is None:  # only when the filters left the page short
            matched = _window_size(conn, query.match)
        if take >= matched:
            return ids
        take *= 2


def _window_size(conn: sqlite3.Connection, match: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM article_search WHERE article_search MATCH ? "
        "ORDER BY rowid DESC LIMIT ?)",
        (match, RANK_WINDOW),
    ).fetchone()
    return int(row[0])


def _load(conn: sqlite3.Connection, ids: list[int]) -> list[Article]:
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, data FROM articles WHERE id IN ({marks})", ids)
    data = {row[0]: row[1] for row in rows}
    return [codec.loads_article(data[i]) for i in ids if i in data]


def count_articles(conn: sqlite3.Connection, query: ArticleQuery) -> int:
    """How many articles match ``query`` (paging and sort ignored)."""
    source, where, params = _source(query)
    sql = f"SELECT count(*) FROM {source}{sql_where(where)}"
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    except sqlite3.Error as e:
        raise StoreError(f"article count failed: {e}") from e


def articles_by_path(
    conn: sqlite3.Connection, paths: list[str], day_range: tuple[datetime, datetime] | None
) -> list[Article]:
    """Published articles stored under one of ``paths``, or published within ``day_range``.

    Newest first, ties by path: the order the static API resolves same-URL items in.
    """
    marks = ", ".join("?" * len(paths)) or "NULL"
    sql = f"SELECT data FROM articles AS a WHERE a.is_published = 1 AND (a.path IN ({marks})"
    params: list[Any] = list(paths)
    if day_range is not None:
        sql += " OR (a.published_utc >= ? AND a.published_utc < ?)"
        params += [codec.utc_key(day_range[0]), codec.utc_key(day_range[1])]
    sql += ") ORDER BY a.published_utc DESC, a.path ASC"
    try:
        rows = conn.execute(sql, params).fetchall()
    except sqlite3.Error as e:
        raise StoreError(f"article lookup failed: {e}") from e
    return [codec.loads_article(row[0]) for row in rows]


def topic_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Published articles per topic name."""
    rows = conn.execute(
        "SELECT t.topic, count(*) FROM article_topics AS t JOIN articles AS a "
        "ON a.id = t.article_id WHERE a.is_published = 1 GROUP BY t.topic"
    ).fetchall()
    return {row[0]: int(row[1]) for row in rows}


def provider_newest(conn: sqlite3.Connection) -> list[tuple[Article, int]]:
    """For each provider domain of published articles: its newest article and the count."""
    rows = conn.execute(
        "SELECT a.data, n FROM articles AS a JOIN ("
        "  SELECT provider_domain AS d, count(*) AS n, max(published_utc) AS p"
        "  FROM articles WHERE is_published = 1 GROUP BY provider_domain"
        ") AS g ON a.provider_domain = g.d AND a.published_utc = g.p "
        "WHERE a.is_published = 1 ORDER BY a.provider_domain, a.path"
    ).fetchall()
    newest: dict[str, tuple[Article, int]] = {}
    for row in rows:  # ties on the newest time: the first path wins, as in the static API
        article = codec.loads_article(row[0])
        newest.setdefault(article.record.provider.domain.lower(), (article, int(row[1])))
    return list(newest.values())


def set_cluster(conn: sqlite3.Connection, url: str, cluster_id: int | None) -> bool:
    """Put the article reached by ``url`` in a story cluster (for the enrich stage, tests)."""
    return set_by_url(conn, SQLITE, "cluster_id", cluster_id, url, "cluster update")
