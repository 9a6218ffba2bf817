"""Notice, without asking the server per request, that another process changed articles.

The live API keys its response cache by a number that must change whenever articles
change (SQLite: :class:`~.search.CommitWatch`). On PostgreSQL a query per request would
cost a round trip on the event loop, as much as the rest of a cached answer; instead a
statement trigger on ``articles`` (migration 8, :mod:`.postgres_migrations`) signals
:data:`~.postgres_migrations.CHANGES_CHANNEL` and this watch LISTENs on a connection of
its own, in a thread, adding one to its number per notification.

PostgreSQL delivers a notification at commit, once per transaction, never for a
rollback (docs: NOTIFY). So a pass's batch is one change, seen by every server process;
the window between a commit and its arrival here is the time a local socket takes
(well under a millisecond), during which a cached answer may still be served, as a
client might have read it a moment earlier. Writes made by the server itself call
:meth:`ChangeWatch.bump` after they commit, so an admin action is visible to the next
request at once. While the connection is down every call returns a new number (no
caching: each request reads the index) until it is back, which counts as a change.

PostgreSQL delivers notifications in commit order, so :meth:`ChangeWatch.sync` (send
one of our own and wait for it) returns once every earlier commit has been counted.
"""

from __future__ import annotations

import logging
import os
import secrets
import select
import threading

import psycopg

from ..errors import StoreError
from .postgres_database import Connection, connect, one_line
from .postgres_migrations import CHANGES_CHANNEL

log = logging.getLogger(__name__)

# Pauses between attempts to reconnect: a restarting server is back within a second or
# two; one that stays down is asked every 5 s.
RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)


class ChangeWatch:
    """A number that changes whenever a transaction writing ``articles`` commits."""

    def __init__(self, dsn: str) -> None:
        """Connect and LISTEN before returning, so no commit after this goes unseen.

        Raises:
            StoreError: the server cannot be reached.
        """
        self.dsn = dsn
        self._lock = threading.Lock()
        self._version = 0
        self._listening = False
        self._fences: dict[str, threading.Event] = {}
        self._stopped = threading.Event()
        self.name, conn = self._listen()
        self._listening = True
        self._wake_read, self._wake_write = os.pipe()  # close() wakes the thread with it
        self._thread = threading.Thread(
            target=self._run, args=(conn,), name="everyday-change-watch", daemon=True
        )
        self._thread.start()

    def version(self) -> int:
        """The current number; a new one per call while the watch is disconnected."""
        if not self._listening:
            self.bump()
        return self._version

    def bump(self) -> None:
        """Count a change (a write of this process has committed)."""
        with self._lock:
            self._version += 1

    def sync(self, timeout: float = 10.0) -> None:
        """Return once every commit made before this call has been counted.

        Raises:
            StoreError: the server cannot be reached, or the fence did not come back.
        """
        token = "fence-" + secrets.token_hex(8)
        arrived = self._fences[token] = threading.Event()
        try:
            name, conn = connect(self.dsn)
            try:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANGES_CHANNEL, token))
            except psycopg.Error as e:
                raise StoreError(f"{name}: cannot NOTIFY: {one_line(e)}") from e
            finally:
                conn.close()
            if not arrived.wait(timeout):
                raise StoreError(f"{self.name}: no notification back within {timeout} s")
        finally:
            self._fences.pop(token, None)

    def close(self) -> None:
        """Stop the thread and close its connection; idempotent."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        os.write(self._wake_write, b"x")
        self._thread.join(10)
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _listen(self) -> tuple[str, Connection]:
        name, conn = connect(self.dsn)
        try:
            conn.execute(f"LISTEN {CHANGES_CHANNEL}")
        except psycopg.Error as e:
            conn.close()
            raise StoreError(f"{name}: cannot LISTEN: {one_line(e)}") from e
        return name, conn

    def _run(self, conn: Connection | None) -> None:
        failures = 0
        while not self._stopped.is_set():
            if conn is None:
                conn = self._reconnect(failures)
                failures = 0 if conn is not None else failures + 1
                continue
            try:
                self._wait(conn)
            except (psycopg.Error, OSError) as e:
                log.warning("change watch lost its connection server=%s error=%s", self.name, e)
                self._listening = False
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def _wait(self, conn: Connection) -> None:
        """Block until the server sends something (or close wakes us), then count it."""
        pgconn = conn.pgconn
        ready, _, _ = select.select([pgconn.socket, self._wake_read], [], [])
        if self._wake_read in ready:
            return
        pgconn.consume_input()  # raises when the server has gone
        if pgconn.status != psycopg.pq.ConnStatus.OK:
            raise psycopg.OperationalError("connection lost")
        changed = False
        while (notify := pgconn.notifies()) is not None:
            payload = notify.extra.decode("utf-8", "replace")
            if not payload:
                changed = True
            elif payload in self._fences:  # other processes' fences are not changes
                self._fences[payload].set()
        if changed:
            self.bump()

    def _reconnect(self, failures: int) -> Connection | None:
        """A new listening connection after a pause, or None (still down, or closing)."""
        pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
        ready, _, _ = select.select([self._wake_read], [], [], pause)
        if ready:
            return None
        try:
            _, conn = self._listen()
        except StoreError as e:
            log.warning("change watch cannot reconnect error=%s", e)
            return None
        self.bump()  # commits while it was down were not signalled here
        self._listening = True  # only now: until the bump, nothing may be cached
        log.info("change watch listening again server=%s", self.name)
        return conn
