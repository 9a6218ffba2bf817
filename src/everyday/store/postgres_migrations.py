"""Schema of the PostgreSQL index, as an append-only list of migrations.

The twin of :mod:`.migrations`. Table ``everyday_schema`` holds how many migrations the
database has had; opening a store runs the rest in one transaction (PostgreSQL DDL is
transactional), so a database is never half-migrated. Two processes opening a new
database at once queue on the write lock and the second finds nothing to do.

Columns follow the SQLite schema with PostgreSQL types: instants that queries sort or
filter on are ``timestamptz``, while the datetimes a caller gets back are kept as ISO
text (a ``timestamptz`` forgets the offset, and naive values must stay naive). Articles
are codec JSON in a ``json`` column: unlike ``jsonb`` it keeps the text as written (key
order, ``\\u0000``), like SQLite's ``TEXT``.

Order is important. Add new migrations at the end; never edit or remove one that
shipped (databases in the field have run it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import tuple_row

from . import codec
from .postgres_rows import article_search_params
from .schema import run_pending, run_statements

# pg_advisory_xact_lock key of every write transaction and of migrations: b"everyday".
WRITE_LOCK = int.from_bytes(b"everyday", "big")
# LISTEN/NOTIFY channel a commit that changed articles signals (serve's change watch).
CHANGES_CHANNEL = "everyday_changes"

Migration = Callable[[psycopg.Connection[Any]], None]


def create_sources(conn: psycopg.Connection[Any]) -> None:
    """Polled sources and their fetch state; ``id`` keeps the order they were added."""
    run_statements(
        conn,
        """CREATE TABLE sources (
            url text PRIMARY KEY,
            id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
            kind text NOT NULL,
            title text,
            etag text,
            last_modified text,
            last_checked text,
            next_check text,
            next_check_utc timestamptz,
            error_count integer NOT NULL DEFAULT 0,
            last_error text,
            paused boolean NOT NULL DEFAULT false,
            interval_seconds integer NOT NULL
        )""",
        "CREATE INDEX sources_next_check ON sources (next_check_utc NULLS FIRST, id)",
    )


def create_articles(conn: psycopg.Connection[Any]) -> None:
    """Articles as codec JSON plus the columns queries filter and sort on, and every URL
    an article was reached by (its canonical URL included)."""
    run_statements(
        conn,
        """CREATE TABLE articles (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            url text NOT NULL UNIQUE,
            published_utc timestamptz NOT NULL,
            quality integer,
            heat integer,
            is_published boolean,
            path text NOT NULL,
            fingerprint text NOT NULL,
            first_seen_utc timestamptz,
            source_url text,
            cluster_id bigint,
            pinned_utc timestamptz,
            data json NOT NULL
        )""",
        "CREATE INDEX articles_published ON articles (published_utc DESC, id DESC)",
        "CREATE INDEX articles_is_published ON articles "
        "(is_published, published_utc DESC, id DESC)",
        "CREATE INDEX articles_path ON articles (path)",
        "CREATE INDEX articles_cluster ON articles (cluster_id) WHERE cluster_id IS NOT NULL",
        "CREATE INDEX articles_pinned ON articles (pinned_utc) WHERE pinned_utc IS NOT NULL",
        """CREATE TABLE article_urls (
            url text PRIMARY KEY,
            article_id bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE
        )""",
        "CREATE INDEX article_urls_article ON article_urls (article_id)",
    )


def create_failures(conn: psycopg.Connection[Any]) -> None:
    """Article URLs that failed, so a re-run skips them until a retry time."""
    run_statements(
        conn,
        """CREATE TABLE failures (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            url text NOT NULL,
            source_url text,
            reason text NOT NULL,
            failed_at text NOT NULL,
            failed_at_utc timestamptz NOT NULL
        )""",
        "CREATE INDEX failures_url ON failures (url, failed_at_utc)",
    )


def create_runs(conn: psycopg.Connection[Any]) -> None:
    """One row per pipeline pass; identity ids come from a sequence, never reused."""
    run_statements(
        conn,
        """CREATE TABLE runs (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            started text NOT NULL,
            finished text,
            counts json NOT NULL DEFAULT '{}',
            summary json NOT NULL DEFAULT '{}'
        )""",
    )


def add_serve_columns(conn: psycopg.Connection[Any]) -> None:
    """What the live API filters, sorts and searches on, filled from existing rows.

    ``search`` is the article's full-text vector (title A, excerpt B, text D), built in
    Python by :mod:`.postgres_text` like every later write (:mod:`.postgres_rows`).
    Paths sort with ``COLLATE "C"`` (bytes, as SQLite's BINARY), whatever the database's
    collation, and NULL heat or quality last, as SQLite's DESC puts them.
    """
    run_statements(
        conn,
        "ALTER TABLE articles ADD COLUMN provider_domain text NOT NULL DEFAULT ''",
        "ALTER TABLE articles ADD COLUMN topics text[] NOT NULL DEFAULT '{}'",
        "ALTER TABLE articles ADD COLUMN search tsvector NOT NULL DEFAULT ''",
    )
    _fill_serve_columns(conn)
    run_statements(
        conn,
        "CREATE INDEX articles_search ON articles USING gin (search)",
        "CREATE INDEX articles_topics ON articles USING gin (topics)",
        "CREATE INDEX articles_provider ON articles (provider_domain, published_utc)",
        'CREATE INDEX articles_listed ON articles (is_published, published_utc DESC, path COLLATE "C")',
        "CREATE INDEX articles_heat ON articles "
        '(is_published, heat DESC NULLS LAST, published_utc DESC, path COLLATE "C")',
        "CREATE INDEX articles_quality ON articles "
        '(is_published, quality DESC NULLS LAST, published_utc DESC, path COLLATE "C")',
    )


def _fill_serve_columns(conn: psycopg.Connection[Any], batch: int = 500) -> None:
    cursor = conn.cursor(row_factory=tuple_row)
    last = 0
    while rows := cursor.execute(
        "SELECT id, data FROM articles WHERE id > %s ORDER BY id LIMIT %s", (last, batch)
    ).fetchall():
        cursor.executemany(
            "UPDATE articles SET provider_domain = %s, topics = %s, search = %s::tsvector "
            "WHERE id = %s",
            [(*article_search_params(codec.decode_article(data)), id_) for id_, data in rows],
        )
        last = rows[-1][0]


def create_api_keys(conn: psycopg.Connection[Any]) -> None:
    """API keys of ``everyday serve``: a public id, a salted hash of the secret, a scope.

    Times are the ISO text SQLite keeps, so both backends list keys alike.
    """
    run_statements(
        conn,
        """CREATE TABLE api_keys (
            id text PRIMARY KEY,
            name text NOT NULL,
            scope text NOT NULL,
            salt bytea NOT NULL,
            hash bytea NOT NULL,
            created_utc text NOT NULL,
            revoked_utc text
        )""",
    )


def create_admin_log(conn: psycopg.Connection[Any]) -> None:
    """What each admin request did, by which key, from where, and when.

    ``at_utc`` is ISO text and ``detail`` ``json``, so ``GET /api/admin/log`` answers
    what it answers on SQLite.
    """
    run_statements(
        conn,
        """CREATE TABLE admin_log (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at_utc text NOT NULL,
            key_id text,
            client text,
            action text NOT NULL,
            target text,
            status integer NOT NULL,
            detail json NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX admin_log_at ON admin_log (at_utc)",
    )


def notify_article_changes(conn: psycopg.Connection[Any]) -> None:
    """Every transaction that writes ``articles`` signals :data:`CHANGES_CHANNEL`.

    A statement trigger, so a batch is one signal; PostgreSQL sends it at commit, once
    per transaction however many statements raised it, and never for a rollback.
    """
    run_statements(
        conn,
        "CREATE FUNCTION everyday_articles_changed() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_notify('{CHANGES_CHANNEL}', ''); RETURN NULL; END $$",
        "CREATE TRIGGER articles_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON articles FOR EACH STATEMENT EXECUTE FUNCTION everyday_articles_changed()",
    )


# Order is important. Add new migrations at the end.
MIGRATIONS: list[Migration] = [
    create_sources,
    create_articles,
    create_failures,
    create_runs,
    add_serve_columns,
    create_api_keys,
    create_admin_log,
    notify_article_changes,
]


def get_version(conn: psycopg.Connection[Any]) -> int:
    """How many migrations the database has had (0 for a new database)."""
    cursor = conn.cursor(row_factory=tuple_row)
    exists = cursor.execute("SELECT to_regclass('everyday_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = cursor.execute("SELECT version FROM everyday_schema").fetchone()
    return 0 if row is None else int(row[0])


def migrate(conn: psycopg.Connection[Any], migrations: list[Migration] | None = None) -> int:
    """Run the pending migrations in one transaction; return the new version.

    The connection must be in autocommit mode. The version is read again under the
    write lock, so two processes opening a new database do not both migrate it.

    Raises:
        StoreError: the database is from a newer everyday.
        psycopg.Error: a migration failed (nothing was changed).
    """
    migrations = MIGRATIONS if migrations is None else migrations
    if get_version(conn) == len(migrations):
        return len(migrations)
    with _session_lock(conn), conn.transaction():
        run_pending(conn, migrations, get_version(conn))
        _set_version(conn, len(migrations))
    return len(migrations)


@contextmanager
def _session_lock(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """Hold the write lock around a transaction begun after it was granted.

    Taken inside the transaction instead, the wait would leave this session's catalog
    cache as it was before the other process migrated: it would not see the tables
    just created (and try to create them again). A new transaction reads the catalog
    afresh.
    """
    conn.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
    try:
        yield
    finally:
        if not conn.broken:  # a lost session has released its locks already
            conn.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))


def _set_version(conn: psycopg.Connection[Any], version: int) -> None:
    # One row, enforced by the key: ``one`` is always true.
    conn.execute(
        "CREATE TABLE IF NOT EXISTS everyday_schema ("
        "one boolean PRIMARY KEY DEFAULT true CHECK (one), version integer NOT NULL)"
    )
    conn.execute(
        "INSERT INTO everyday_schema (version) VALUES (%s) "
        "ON CONFLICT (one) DO UPDATE SET version = excluded.version",
        (version,),
    )
