"""What both backends' migrations share: running the pending steps of an append-only list.

:mod:`.migrations` (SQLite) and :mod:`.postgres_migrations` keep their own steps, where
the version is kept (``PRAGMA user_version``, table ``everyday_schema``) and how the
write lock is taken around the one transaction they all run in. Refusing a newer schema
and running the steps after the current version, in order, is the same on both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import StoreError

log = logging.getLogger(__name__)


def run_statements(conn: Any, *statements: str) -> None:
    """Execute each statement in turn (one call each: a script would commit first)."""
    for statement in statements:
        conn.execute(statement)


def run_pending(conn: Any, migrations: Sequence[Callable[..., None]], version: int) -> None:
    """Run the migrations after ``version``, in order, in the caller's transaction.

    Raises:
        StoreError: the database is from a newer everyday (``version`` is past the list).
    """
    if version > len(migrations):
        raise StoreError(
            f"database schema version {version} is newer than this everyday "
            f"({len(migrations)}); upgrade everyday"
        )
    for number, step in enumerate(migrations[version:], start=version + 1):
        log.info("migrating database step=%d name=%s", number, step.__name__)
        step(conn)
