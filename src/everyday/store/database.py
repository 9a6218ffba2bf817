"""One SQLite connection set up for the index: WAL, pragmas, migrations, transactions.

:class:`~.sqlite.SQLiteStore` keeps its queries; this module keeps what any user of the
file needs: how to open it safely, how to group writes (:mod:`.transactions`), how
driver errors become :class:`~everyday.errors.StoreError`, and how the statements both
backends share are worded for SQLite (:data:`SQLITE`, see :mod:`.sql`).

Threads: the connection is opened with ``check_same_thread=False`` so an object made on
one thread may be handed to another (e.g. ``asyncio.to_thread``), but it has no lock of
its own: use it from one thread at a time, and give each concurrent worker its own.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from ..errors import StoreError
from . import codec
from .migrations import migrate
from .sql import Dialect
from .transactions import Transactions

log = logging.getLogger(__name__)

ANALYSIS_LIMIT = 400  # rows ANALYZE samples per index (https://sqlite.org/lang_analyze.html)

SQLITE = Dialect(
    error=sqlite3.Error,
    message=str,
    mark="?",
    json_mark="?",
    instant=codec.utc_key,  # instants are UTC key text, which sorts
    instant_text=str,
    json=codec.loads,  # JSON columns are TEXT
    limit=lambda limit: -1 if limit is None else limit,  # a negative LIMIT is none
    is_published="is_published = 1",
    data_text="data",
    is_active="paused = 0",
    added_order="rowid",
    due_order="next_check_utc IS NOT NULL, next_check_utc, rowid",
)


class Database(Transactions):
    """An open, migrated SQLite file in WAL mode, with nestable transactions."""

    dialect = SQLITE
    # The write lock at once, so two writers queue instead of deadlocking.
    begin = ("BEGIN IMMEDIATE",)
    log_key = "path"
    conn: sqlite3.Connection

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        """Open (creating it and its folder if needed) and migrate the database.

        Raises:
            StoreError: the file cannot be created or opened, is not a database, or
                is from a newer everyday.
        """
        self.path = Path(path)
        self.label = str(self.path)
        self._depth = 0
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"{self.path}: cannot open the database: {e}") from e
        try:
            self._configure(timeout)
            version = migrate(self.conn)
        except (sqlite3.Error, StoreError) as e:
            self.conn.close()
            self._closed = True
            if isinstance(e, StoreError):
                raise
            raise StoreError(f"{self.path}: cannot open the database: {e}") from e
        log.debug("opened database path=%s schema=%d", self.path, version)

    def _configure(self, timeout: float) -> None:
        self.conn.row_factory = sqlite3.Row
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":  # e.g. a filesystem without shared memory
            log.warning("WAL unavailable path=%s journal_mode=%s", self.path, mode)
        # NORMAL in WAL mode may lose the last commits on power loss, never consistency.
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")

    def close(self) -> None:
        """Release the connection; unusable afterwards. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            # Bounded, as SQLite advises for optimize on close: without a limit, 3.40
            # re-ANALYZEs the articles table at every close of a 100,000-article index
            # (80 ms of each everyday build); with it, 1 ms and approximate statistics.
            self.conn.execute(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}")
            self.conn.execute("PRAGMA optimize")
        except sqlite3.Error as e:  # only a hint to the planner; never fail a close on it
            log.debug("PRAGMA optimize failed path=%s error=%s", self.path, e)
        self.conn.close()
