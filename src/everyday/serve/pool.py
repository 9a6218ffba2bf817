"""Reader connections of ``everyday serve``, handed to one worker thread at a time."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

import anyio
import anyio.to_thread

C = TypeVar("C")
T = TypeVar("T")


class ReaderPool(Generic[C]):
    """Connections made by ``connect`` on demand, kept for the next request.

    ``is_usable`` drops a connection that broke (a PostgreSQL server restarted, say) so
    the next request makes a new one; ``limit`` caps how many exist at once (the server
    counts connections, the worker threads would open up to 40).
    """

    def __init__(
        self,
        connect: Callable[[], C],
        close: Callable[[C], None],
        is_usable: Callable[[C], bool] = lambda conn: True,
        limit: int | None = None,
    ) -> None:
        self._connect = connect
        self._close = close
        self._is_usable = is_usable
        self._limiter = anyio.CapacityLimiter(limit) if limit else None
        self._idle: queue.SimpleQueue[C] = queue.SimpleQueue()
        self._all: list[C] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[C]:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
            with self._lock:
                self._all.append(conn)
        try:
            yield conn
        finally:
            if self._is_usable(conn):
                self._idle.put(conn)
            else:
                self._discard(conn)

    def _discard(self, conn: C) -> None:
        with self._lock:
            self._all.remove(conn)
        self._close(conn)

    async def run(self, work: Callable[[C], T]) -> T:
        """Run ``work(conn)`` in a worker thread with a pooled connection."""

        def call() -> T:
            with self.connection() as conn:
                return work(conn)

        return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                self._close(conn)
            self._all.clear()
