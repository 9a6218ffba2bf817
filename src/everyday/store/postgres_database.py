"""One PostgreSQL connection set up for the index: dsn, session, migrations, transactions.

The twin of :mod:`.database` for the server backend: :class:`~.postgres.PostgresStore`
keeps its queries; this module keeps how to connect (a connect timeout, a UTC session),
how to group writes (:mod:`.transactions`), how driver errors become
:class:`~everyday.errors.StoreError`, and how the statements both backends share are
worded for PostgreSQL (:data:`POSTGRES`, see :mod:`.sql`).
Messages name the server by its connection parameters with the password masked: libpq's
own parse errors quote the string they choke on, so those are never passed on.

Writers queue like SQLite's ``BEGIN IMMEDIATE``: the outermost transaction takes a
transaction-level advisory lock first (:data:`WRITE_LOCK`), so two processes adding
overlapping batches of articles wait for each other instead of deadlocking on each
other's URL rows. Readers take no lock and see the last committed state (MVCC).

Threads: like :class:`~.database.Database`, use it from one thread at a time.
"""

from __future__ import annotations

import logging

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow, dict_row

from ..errors import StoreError
from . import codec
from .postgres_migrations import WRITE_LOCK, migrate
from .postgres_rows import instant
from .sql import Dialect
from .transactions import Transactions

log = logging.getLogger(__name__)

# Connection parameters whose values are secrets (libpq's names).
SECRET_KEYS = frozenset({"password", "sslpassword"})
SHOWN_FIRST = ("host", "hostaddr", "port", "dbname", "user")
# libpq waits forever for an unreachable host unless told otherwise.
CONNECT_TIMEOUT = 10

Connection = psycopg.Connection[DictRow]


def parse_dsn(dsn: str) -> dict[str, str]:
    """The parameters of a libpq connection string (``postgresql://`` URL or ``key=value``).

    Raises:
        ValueError: empty or malformed; the message never repeats the string, which
            may hold a password.
    """
    expected = "expected postgresql://user@host:5432/dbname or host=... dbname=..."
    if not dsn.strip():
        raise ValueError(f"is empty ({expected})")
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        # libpq quotes the part it could not parse: maybe the password. Not chained.
        raise ValueError(f"is not a PostgreSQL connection string ({expected})") from None
    return {key: str(value) for key, value in params.items() if value is not None}


def describe(params: dict[str, str]) -> str:
    """Connection parameters for messages and logs, secrets masked as ``***``."""
    keys = [k for k in SHOWN_FIRST if k in params] + sorted(set(params) - set(SHOWN_FIRST))
    shown = {k: "***" if k in SECRET_KEYS else params[k] for k in keys}
    return make_conninfo(**shown) if shown else "(libpq defaults)"


def one_line(error: BaseException) -> str:
    """A driver message on one line (libpq adds hints on indented lines)."""
    return " ".join(str(error).split())


def _limit(limit: int | None) -> int | None:
    # SQLite reads a negative LIMIT as none; PostgreSQL refuses it. NULL means none.
    return None if limit is None or limit < 0 else limit


POSTGRES = Dialect(
    error=psycopg.Error,
    message=one_line,
    mark="%s",
    json_mark="%s::json",
    instant=instant,  # a timestamptz; naive counts as UTC
    instant_text=codec.utc_key,
    json=lambda value: value,  # psycopg decodes json columns
    limit=_limit,
    is_published="is_published",
    data_text="data::text",
    is_active="NOT paused",
    added_order="id",
    due_order="next_check_utc NULLS FIRST, id",
)


def connect(dsn: str) -> tuple[str, Connection]:
    """An autocommit connection (rows as dicts) in a UTC session, and the server's name
    for messages (:func:`describe`). No migration: for users of a migrated index.

    Raises:
        StoreError: the dsn is malformed, or the server cannot be reached or refuses
            the login.
    """
    try:
        params = parse_dsn(dsn)
    except ValueError as e:
        raise StoreError(f"[storage] dsn {e}") from None
    name = describe(params)
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
    params.setdefault("application_name", "everyday")
    try:
        conn: Connection = psycopg.connect(
            make_conninfo(**params), autocommit=True, row_factory=dict_row
        )
    except psycopg.Error as e:
        raise StoreError(f"{name}: cannot connect: {one_line(e)}") from e
    try:
        # Timestamps are compared as instants; a UTC session keeps any naive value
        # from being read in the server's local zone.
        conn.execute("SET TIME ZONE 'UTC'")
    except psycopg.Error as e:
        conn.close()
        raise StoreError(f"{name}: cannot set the session up: {one_line(e)}") from e
    return name, conn


class PostgresDatabase(Transactions):
    """An open, migrated PostgreSQL connection (autocommit) with nestable transactions."""

    dialect = POSTGRES
    # The write lock first, so writers queue instead of deadlocking (module docstring).
    begin = ("BEGIN", f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
    log_key = "server"
    conn: Connection

    def __init__(self, dsn: str) -> None:
        """Connect, set the session up and migrate the schema.

        Raises:
            StoreError: the dsn is malformed, the server cannot be reached or refuses
                the login, a migration fails, or the schema is from a newer everyday.
        """
        self.name, self.conn = connect(dsn)
        self.label = self.name
        self._depth = 0
        try:
            version = migrate(self.conn)
        except (psycopg.Error, StoreError) as e:
            self.conn.close()
            if isinstance(e, StoreError):
                raise StoreError(f"{self.name}: {e}") from e
            raise StoreError(f"{self.name}: cannot open the index: {one_line(e)}") from e
        log.debug("opened database server=%s schema=%d", self.name, version)

    def _begin(self, statements: tuple[str, ...]) -> None:
        try:
            self._control(*statements)
        except StoreError:
            if statements[0] == "BEGIN":  # the lock failed after BEGIN: leave no transaction
                self._undo(("ROLLBACK",))
            raise

    def close(self) -> None:
        """Release the connection; unusable afterwards. Idempotent."""
        self.conn.close()
