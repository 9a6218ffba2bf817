"""The server index: :class:`PostgresStore`, the :class:`~.base.Store` backend for when one
machine is not enough.

It keeps the semantics of :class:`~.sqlite.SQLiteStore` (the same tests run against
both): articles are codec JSON plus the columns queries filter and sort on, reached by
any of their URLs. Several processes, on one machine or many, may write at once: write
transactions queue on one advisory lock (:mod:`.postgres_database`), and inserts use
``ON CONFLICT`` so a source or URL is never stored twice. The statements both backends
share are in :mod:`.sql`; this module keeps PostgreSQL's words.

Threads: use a store from one thread at a time; give each concurrent worker its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..models import Article, Source
from .base import Store
from .postgres_database import POSTGRES, Connection, PostgresDatabase
from .postgres_rows import (
    ARTICLE_CASTS,
    ARTICLE_FIELDS,
    SOURCE_FIELDS,
    article_params,
    source_params,
)
from .sql import SQLStore, translated

_SOURCE_COLUMNS = ", ".join(SOURCE_FIELDS)
_SOURCE_VALUES = ", ".join(f"%({name})s" for name in SOURCE_FIELDS)
_SOURCE_SET = ", ".join(f"{name} = %({name})s" for name in SOURCE_FIELDS[1:])
_ARTICLE_COLUMNS = ", ".join(ARTICLE_FIELDS)
_ARTICLE_VALUES = ", ".join(f"%s{ARTICLE_CASTS.get(name, '')}" for name in ARTICLE_FIELDS)


class PostgresStore(SQLStore):
    """The index in a PostgreSQL database, migrated to the current schema on open."""

    dialect = POSTGRES
    _db: PostgresDatabase
    _conn: Connection

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
    def set_source(self, source: Source) -> bool:
        """Store every field of a known source (its fetch state); False if unknown."""
        with self.transaction():
            cursor = self._conn.execute(
                f"UPDATE sources SET {_SOURCE_SET} WHERE url = %(url)s",
                source_params(source),
            )
        return cursor.rowcount == 1

    # -- articles --------------------------------------------------------------

    def _owners(self, urls: list[str]) -> dict[str, int]:
        rows = self._conn.execute(
            "SELECT url, article_id FROM article_urls WHERE url = ANY(%s)", (urls,)
        ).fetchall()
        return {row["url"]: row["article_id"] for row in rows}

    def _add_urls(self, article_id: int, urls: list[str]) -> None:
        self._conn.execute(
            "INSERT INTO article_urls (url, article_id) "
            "SELECT u, %s FROM unnest(%s::text[]) AS u ON CONFLICT (url) DO NOTHING",
            (article_id, urls),
        )

    def _insert(self, sql: str, params: Any) -> int:
        row = self._conn.execute(f"{sql} RETURNING id", params).fetchone()
        assert row is not None  # RETURNING of a successful INSERT
        return int(row["id"])

    def _insert_article(self, article: Article) -> int:
        return self._insert(
            f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES ({_ARTICLE_VALUES})",
            article_params(article),
        )

    def _set_article(self, article_id: int, article: Article) -> None:
        self._conn.execute(
            f"UPDATE articles SET ({_ARTICLE_COLUMNS}) = ({_ARTICLE_VALUES}) WHERE id = %s",
            (*article_params(article), article_id),
        )


if TYPE_CHECKING:  # mypy proves the class implements the protocol
    _PROTOCOL_CHECK: type[Store] = PostgresStore
