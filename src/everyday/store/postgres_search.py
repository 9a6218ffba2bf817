"""Read queries of the live API on the PostgreSQL index: the twin of :mod:`.search`.

Same functions, same :class:`~.filters.ArticleQuery`, same answers, in the same order:
ties sort by record path in byte order (``COLLATE "C"``, SQLite's BINARY) and NULL
heat or quality last, as SQLite's DESC puts them. The columns come from migration 5
(:mod:`.postgres_migrations`), written with each article by :mod:`.postgres_rows`.

``query.match`` is a ``tsquery`` literal made by
:func:`everyday.serve.search.parse_tsquery`, never raw user input; it is a bound
parameter cast by the server. Relevance is ``ts_rank`` with the title weighing 1, the
excerpt 0.375 and the body 0.125 (FTS5's bm25 weights 8, 3, 1 scaled), divided by
``1 + log(length)`` (normalization 1) so long texts do not win by size alone, over the
newest :data:`RANK_WINDOW` matches. Unlike bm25 it has no inverse document frequency:
a rare word of the query counts as much as a common one, so orders differ from
SQLite's when a query mixes both.

Run the queries of one response inside :func:`snapshot` (one REPEATABLE READ, READ
ONLY transaction) and they all see the same committed state.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg

from ..errors import StoreError
from ..models import Article
from . import codec
from .filters import ArticleQuery, FilterWords, check_sort, conditions, sql_where
from .postgres_database import POSTGRES, Connection, one_line
from .postgres_rows import instant
from .sql import set_by_url

# The newest matches ranked (SQLite: 5,000, :data:`.search.RANK_WINDOW`). Ranking reads
# each article's vector out of line (TOAST), about 6 us a row: 1,000 keep a search of a
# common word near 10 ms where 5,000 would cost 35 ms (docs/serve.md, measured).
RANK_WINDOW = 1000
# A search reads the GIN index for its matches. The planner prices ``@@`` as cheap, so
# with a LIMIT it may walk another index testing each row's vector instead, detoasting
# it: 100 ms and more for a rare word. Within the statement's transaction it cannot.
_GIN_ONLY = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
)
# ts_rank weights in the order {D, C, B, A}: body, (unused), excerpt, title.
WEIGHTS = "{0.125, 0, 0.375, 1.0}"
RANK = f"ts_rank('{WEIGHTS}', a.search, %s::tsquery, 1)"
# What the filters and the order of a ranked page read (see :func:`_ranked_ids`).
_WINDOW_COLUMNS = (
    "id, search, is_published, published_utc, quality, heat, provider_domain, topics, "
    "cluster_id, pinned_utc, path"
)
_PATH = 'a.path COLLATE "C"'
_ORDER = {
    "date": f"a.published_utc DESC, {_PATH}",
    "heat": f"a.heat DESC NULLS LAST, a.published_utc DESC, {_PATH}",
    "quality": f"a.quality DESC NULLS LAST, a.published_utc DESC, {_PATH}",
}


@contextmanager
def snapshot(conn: Connection) -> Iterator[None]:
    """One read-only transaction: every query inside sees the same committed state.

    Raises:
        StoreError: a query failed (the driver error is chained).
    """
    try:
        with conn.transaction():
            yield
    except psycopg.Error as e:
        raise StoreError(f"read failed: {one_line(e)}") from e


_FILTERS = FilterWords(
    published="a.is_published",
    unpublished="a.is_published IS NOT TRUE",
    has_topic="a.topics @> %s::text[]",
    topic=lambda topic: [topic],
)


def _matching(query: ArticleQuery) -> tuple[list[str], list[Any]]:
    where, params = conditions(query, POSTGRES, _FILTERS)
    if query.match is not None:
        where.insert(0, "a.search @@ %s::tsquery")
        params.insert(0, query.match)
    return where, params


def find_articles(conn: Connection, query: ArticleQuery) -> list[Article]:
    """Articles matching ``query`` in its order, ``query.limit`` at most.

    Raises:
        StoreError: the query failed.
        ValueError: ``query.sort`` is unknown, or ``rank`` without a match.
    """
    check_sort(query)
    try:
        if query.sort == "rank":
            return _load(conn, _ranked_ids(conn, query))
        where, params = _matching(query)
        order = f"a.pinned_utc DESC, {_PATH}" if query.pinned else _ORDER[query.sort]
        sql = f"SELECT a.id FROM articles AS a{sql_where(where)} ORDER BY {order} "
        args = [*params, query.limit, query.offset]
        return _load(conn, _ids(conn, sql + "LIMIT %s OFFSET %s", args, query.match is not None))
    except psycopg.Error as e:
        raise StoreError(f"article query failed: {one_line(e)}") from e


def _ranked_ids(conn: Connection, query: ArticleQuery) -> list[int]:
    """Page ids by relevance among the newest :data:`RANK_WINDOW` matches, then filters.

    The window is taken before the filters, as in SQLite, so both backends rank the
    same set. It carries the columns the filters and the order read, so nothing is
    joined back; each window row that passes the filters is ranked once.
    """
    where, params = conditions(query, POSTGRES, _FILTERS)
    sql = (
        f"WITH a AS MATERIALIZED (SELECT {_WINDOW_COLUMNS} FROM articles "
        "WHERE search @@ %s::tsquery ORDER BY id DESC LIMIT %s) "
        f"SELECT a.id FROM a{sql_where(where)} "
        f"ORDER BY {RANK} DESC, a.published_utc DESC, {_PATH} LIMIT %s OFFSET %s"
    )
    args = [query.match, RANK_WINDOW, *params, query.match, query.limit, query.offset]
    return _ids(conn, sql, args, True)


def _ids(conn: Connection, sql: str, args: list[Any], is_search: bool) -> list[int]:
    """The ids a query selects; a search planned on the GIN index (:data:`_GIN_ONLY`)."""
    if not is_search:
        return [row["id"] for row in conn.execute(sql, args)]
    with conn.transaction():  # a savepoint inside a snapshot; SET LOCAL ends with it
        conn.execute(_GIN_ONLY)
        return [row["id"] for row in conn.execute(sql, args)]


def _load(conn: Connection, ids: list[int]) -> list[Article]:
    if not ids:
        return []
    rows = conn.execute("SELECT id, data FROM articles WHERE id = ANY(%s)", (ids,))
    data = {row["id"]: row["data"] for row in rows}
    return [codec.decode_article(data[i]) for i in ids if i in data]


def count_articles(conn: Connection, query: ArticleQuery) -> int:
    """How many articles match ``query`` (paging and sort ignored)."""
    where, params = _matching(query)
    try:
        with conn.transaction():
            if query.match is not None:
                conn.execute(_GIN_ONLY)
            row = conn.execute(
                f"SELECT count(*) AS n FROM articles AS a{sql_where(where)}", params
            ).fetchone()
    except psycopg.Error as e:
        raise StoreError(f"article count failed: {one_line(e)}") from e
    return 0 if row is None else int(row["n"])


def articles_by_path(
    conn: Connection, paths: list[str], day_range: tuple[datetime, datetime] | None
) -> list[Article]:
    """Published articles stored under one of ``paths``, or published within ``day_range``.

    Newest first, ties by path: the order the static API resolves same-URL items in.
    """
    sql = "SELECT data FROM articles AS a WHERE a.is_published AND (a.path = ANY(%s)"
    params: list[Any] = [paths]
    if day_range is not None:
        sql += " OR (a.published_utc >= %s AND a.published_utc < %s)"
        params += [instant(day_range[0]), instant(day_range[1])]
    sql += f") ORDER BY a.published_utc DESC, {_PATH}"
    try:
        rows = conn.execute(sql, params).fetchall()
    except psycopg.Error as e:
        raise StoreError(f"article lookup failed: {one_line(e)}") from e
    return [codec.decode_article(row["data"]) for row in rows]


def topic_counts(conn: Connection) -> dict[str, int]:
    """Published articles per topic name."""
    rows = conn.execute(
        "SELECT t.topic, count(*) AS n FROM articles AS a, unnest(a.topics) AS t (topic) "
        "WHERE a.is_published GROUP BY t.topic"
    ).fetchall()
    return {row["topic"]: int(row["n"]) for row in rows}


def provider_newest(conn: Connection) -> list[tuple[Article, int]]:
    """For each provider domain of published articles: its newest article and the count."""
    rows = conn.execute(
        "SELECT a.data, g.n FROM articles AS a JOIN ("
        "  SELECT provider_domain AS d, count(*) AS n, max(published_utc) AS p"
        "  FROM articles WHERE is_published GROUP BY provider_domain"
        ") AS g ON a.provider_domain = g.d AND a.published_utc = g.p "
        f'WHERE a.is_published ORDER BY a.provider_domain COLLATE "C", {_PATH}'
    ).fetchall()
    newest: dict[str, tuple[Article, int]] = {}
    for row in rows:  # ties on the newest time: the first path wins, as in the static API
        article = codec.decode_article(row["data"])
        newest.setdefault(article.record.provider.domain.lower(), (article, int(row["n"])))
    return list(newest.values())


def count_all(conn: Connection) -> int:
    """How many articles the index holds (published or not)."""
    try:
        row = conn.execute("SELECT count(*) AS n FROM articles").fetchone()
    except psycopg.Error as e:
        raise StoreError(f"article count failed: {one_line(e)}") from e
    return 0 if row is None else int(row["n"])


def set_cluster(conn: Connection, url: str, cluster_id: int | None) -> bool:
    """Put the article reached by ``url`` in a story cluster (for the enrich stage, tests)."""
    return set_by_url(conn, POSTGRES, "cluster_id", cluster_id, url, "cluster update")
