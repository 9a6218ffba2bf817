"""Schema of the SQLite index, as an append-only list of migrations.

``PRAGMA user_version`` holds how many migrations a database has had; opening a store
runs the rest, all in one transaction, so a database is never half-migrated. Each
migration is a small function of the connection. Use ``conn.execute`` per statement:
``executescript`` commits first and would break the all-or-nothing upgrade.

Order is important. Add new migrations at the end; never edit or remove one that
shipped (databases in the field have run it).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from ..errors import StoreError

log = logging.getLogger(__name__)


def _run(conn: sqlite3.Connection, *statements: str) -> None:
    for statement in statements:
        conn.execute(statement)


def create_sources(conn: sqlite3.Connection) -> None:
    """Polled sources and their fetch state (next_check_utc is the sortable due time)."""
    _run(
        conn,
        """CREATE TABLE sources (
            url TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            title TEXT,
            etag TEXT,
            last_modified TEXT,
            last_checked TEXT,
            next_check TEXT,
            next_check_utc TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            paused INTEGER NOT NULL DEFAULT 0,
            interval_seconds INTEGER NOT NULL
        )""",
        "CREATE INDEX sources_next_check ON sources (next_check_utc)",
    )


def create_articles(conn: sqlite3.Connection) -> None:
    """Articles as codec JSON plus the columns queries filter and sort on."""
    _run(
        conn,
        """CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            published_utc TEXT NOT NULL,
            quality INTEGER,
            heat INTEGER,
            is_published INTEGER,
            path TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            first_seen_utc TEXT,
            source_url TEXT,
            data TEXT NOT NULL
        )""",
        "CREATE INDEX articles_published ON articles (published_utc)",
        "CREATE INDEX articles_is_published ON articles (is_published, published_utc)",
        "CREATE INDEX articles_path ON articles (path)",
        "CREATE INDEX articles_first_seen ON articles (first_seen_utc)",
        # Every URL an article was reached by, its canonical URL included.
        """CREATE TABLE article_urls (
            url TEXT PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE
        )""",
        "CREATE INDEX article_urls_article ON article_urls (article_id)",
    )


def create_failures(conn: sqlite3.Connection) -> None:
    """Article URLs that failed, so a re-run skips them until a retry time."""
    _run(
        conn,
        """CREATE TABLE failures (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            source_url TEXT,
            reason TEXT NOT NULL,
            failed_at TEXT NOT NULL,
            failed_at_utc TEXT NOT NULL
        )""",
        "CREATE INDEX failures_url ON failures (url, failed_at_utc)",
    )


def create_runs(conn: sqlite3.Connection) -> None:
    """One row per pipeline pass; AUTOINCREMENT so ids are never reused."""
    _run(
        conn,
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started TEXT NOT NULL,
            finished TEXT,
            counts TEXT NOT NULL DEFAULT '{}',
            summary TEXT NOT NULL DEFAULT '{}'
        )""",
    )


# Order is important. Add new migrations at the end.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    create_sources,
    create_articles,
    create_failures,
    create_runs,
]


def get_version(conn: sqlite3.Connection) -> int:
    """How many migrations the database has had."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: list[Callable[..., None]] | None = None) -> int:
    """Run the pending migrations in one transaction; return the new version.

    The connection must be in autocommit mode (``isolation_level=None``). The version is
    read again under the write lock, so two processes opening a new database at once
    do not both migrate it.

    Raises:
        StoreError: the database is from a newer everyday.
        sqlite3.Error: a migration failed (nothing was changed).
    """
    migrations = MIGRATIONS if migrations is None else migrations
    if get_version(conn) == len(migrations):
        return len(migrations)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = get_version(conn)
        if version > len(migrations):
            raise StoreError(
                f"database schema version {version} is newer than this everyday "
                f"({len(migrations)}); upgrade everyday"
            )
        for number, step in enumerate(migrations[version:], start=version + 1):
            log.info("migrating database step=%d name=%s", number, step.__name__)
            step(conn)
        # PRAGMA takes no parameters; the value is an int we computed.
        conn.execute(f"PRAGMA user_version = {len(migrations)}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return len(migrations)
