"""One SQLite connection set up for the index: WAL, pragmas, migrations, transactions.

:class:`~.sqlite.SQLiteStore` keeps its queries; this module keeps what any user of the
file needs: how to open it safely, how to group writes, and how driver errors become
:class:`~everyday.errors.StoreError`.

Threads: the connection is opened with ``check_same_thread=False`` so an object made on
one thread may be handed to another (e.g. ``asyncio.to_thread``), but it has no lock of
its own: use it from one thread at a time, and give each concurrent worker its own.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from .migrations import migrate

log = logging.getLogger(__name__)

ANALYSIS_LIMIT = 400  # rows ANALYZE samples per index (https://sqlite.org/lang_analyze.html)


class Database:
    """An open, migrated SQLite file in WAL mode, with nestable transactions."""

    def __init__(self, path: str | Path, *, timeout: float = 5.0) -> None:
        """Open (creating it and its folder if needed) and migrate the database.

        Raises:
            StoreError: the file cannot be created or opened, is not a database, or
                is from a newer everyday.
        """
        self.path = Path(path)
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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: commit once on success, roll back on error.

        Nested calls become savepoints, so an inner failure the caller catches undoes
        only the inner writes. The outermost level takes the write lock at once
        (``BEGIN IMMEDIATE``) so two writers queue instead of deadlocking.

        Raises:
            StoreError: the transaction could not begin or commit.
        """
        rollback: tuple[str, ...]
        if self._depth == 0:
            begin, commit, rollback = "BEGIN IMMEDIATE", ("COMMIT",), ("ROLLBACK",)
        else:
            name = f"sp{self._depth}"
            begin, commit = f"SAVEPOINT {name}", (f"RELEASE {name}",)
            rollback = (f"ROLLBACK TO {name}", f"RELEASE {name}")
        self._control(begin)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self._undo(rollback)
            raise
        self._depth -= 1
        try:
            self._control(*commit)
        except StoreError:
            self._undo(rollback)
            raise

    def _control(self, *statements: str) -> None:
        for statement in statements:
            try:
                self.conn.execute(statement)
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: {statement} failed: {e}") from e

    def _undo(self, statements: tuple[str, ...]) -> None:
        try:
            self._control(*statements)
        except StoreError as e:  # the original error matters more; keep it
            log.warning("rollback failed path=%s error=%s", self.path, e)

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
