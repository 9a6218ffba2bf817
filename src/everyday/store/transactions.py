"""Nestable transactions on one autocommit connection, for both backends: :class:`Transactions`.

SQLite's :class:`~.database.Database` and :class:`~.postgres_database.PostgresDatabase`
group writes the same way: the outermost level begins and commits a transaction, a
nested level is a savepoint, so an inner failure the caller catches undoes only the
inner writes. They differ in how the outermost level takes the write lock
(:attr:`Transactions.begin`) and in the driver (their :class:`~.sql.Dialect`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from ..errors import StoreError
from .sql import Connection, Dialect

log = logging.getLogger(__name__)


class Transactions:
    """Savepoint-nested transactions on ``conn``; driver errors become StoreError.

    A subclass sets :attr:`dialect`, :attr:`begin` and :attr:`log_key`, and in
    ``__init__`` ``conn``, ``label`` (what messages name it by) and ``_depth = 0``.
    """

    dialect: ClassVar[Dialect]
    begin: ClassVar[tuple[str, ...]]  # the outermost level's first statements
    log_key: ClassVar[str]  # the key of ``label`` in log lines: path, server
    conn: Connection
    label: str
    _depth: int

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: commit once on success, roll back on error.

        Nested calls become savepoints, so an inner failure the caller catches undoes
        only the inner writes. The outermost level takes the write lock first
        (:attr:`begin`), so two writers queue instead of deadlocking.

        Raises:
            StoreError: the transaction could not begin or commit.
        """
        begin: tuple[str, ...]
        rollback: tuple[str, ...]
        if self._depth == 0:
            begin, commit, rollback = self.begin, ("COMMIT",), ("ROLLBACK",)
        else:
            name = f"sp{self._depth}"
            begin, commit = (f"SAVEPOINT {name}",), (f"RELEASE {name}",)
            rollback = (f"ROLLBACK TO {name}", f"RELEASE {name}")
        self._begin(begin)
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

    def _begin(self, statements: tuple[str, ...]) -> None:
        self._control(*statements)

    def _control(self, *statements: str) -> None:
        for statement in statements:
            try:
                self.conn.execute(statement)
            except self.dialect.error as e:
                message = self.dialect.message(e)
                raise StoreError(f"{self.label}: {statement} failed: {message}") from e

    def _undo(self, statements: tuple[str, ...]) -> None:
        try:
            self._control(*statements)
        except StoreError as e:  # the original error matters more; keep it
            log.warning("rollback failed %s=%s error=%s", self.log_key, self.label, e)
