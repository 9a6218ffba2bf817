"""What every request handler of ``everyday serve`` shares: settings, connections, caches.

Reads run on a pool of read-only SQLite connections in worker threads, each response
inside one read transaction (WAL snapshot), so a pass committing a batch is seen whole or
not at all. Before each read the event loop asks a :class:`~everyday.store.search.CommitWatch`
(``PRAGMA data_version``, short-cut by the WAL-index header) whether anything was
committed: cached responses are keyed by its answer and never outlive their data.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import queue
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from ..errors import ConfigError
from ..settings import ServeSettings, Settings
from ..store.search import CommitWatch, connect_reader
from ..store.sqlite import SQLiteStore
from ..taxonomy import Taxonomy
from .limits import Limiter, Rate

log = logging.getLogger(__name__)
T = TypeVar("T")


def require_sqlite(settings: Settings) -> None:
    """The server reads the SQLite index itself: FTS5 search, commit watch, keys, admin log.

    Raises:
        ConfigError: the hub keeps its index on another backend (PostgreSQL).
    """
    backend = settings.storage.backend
    if backend != "sqlite":
        raise ConfigError(
            f"everyday serve and keys need [storage] backend = 'sqlite', this hub uses "
            f"{backend!r}: the live API's search (SQLite FTS5), API keys and admin log are "
            "not available on it yet. Publish with `everyday build` and serve the site "
            "folder with any web server (docs/storage.md)"
        )


def load_serve_settings(settings: Settings) -> ServeSettings:
    """The hub's ``[serve]`` settings (file, then ``EVERYDAY_SERVE_*``), checked.

    Raises:
        ConfigError: a value out of range, or an index the server cannot read.
    """
    require_sqlite(settings)
    serve = settings.serve
    if serve.page_size_max < 1 or serve.max_page < 1 or serve.max_body_bytes < 1:
        raise ConfigError("[serve] page_size_max, max_page and max_body_bytes must be positive")
    return serve


def serve_settings_markdown() -> str:
    """The ``[serve]`` table for docs/serve.md, generated so it cannot drift."""
    lines = ["| setting | default | what |", "|---|---|---|"]
    lines += [
        f"| `{f.name}` | `{f.default!r}` | {f.metadata['help']} |" for f in fields(ServeSettings)
    ]
    return "\n".join(lines)


class ReaderPool:
    """Read-only connections handed to one worker thread at a time."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = connect_reader(self.path)
            with self._lock:
                self._all.append(conn)
        try:
            yield conn
        finally:
            self._idle.put(conn)

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` in a worker thread with a pooled connection."""

        def call() -> T:
            with self.connection() as conn:
                return work(conn)

        return await anyio.to_thread.run_sync(call)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


class Body:
    """A response body ready to send: bytes, a weak ETag, and its gzip form made on demand."""

    __slots__ = ("_gz", "data", "etag", "headers")

    def __init__(self, data: bytes) -> None:
        self.data = data
        # The fast path's response headers by (gzip, cors), built on first use.
        self.headers: dict[tuple[bool, bool], list[tuple[bytes, bytes]]] = {}
        # Weak: the same entity is sent identity or gzip-encoded (RFC 9110 §8.8.1).
        self.etag = 'W/"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
        self._gz: bytes | None = None

    @classmethod
    def of(cls, text: str) -> Body:
        return cls(text.encode("utf-8"))

    @property
    def gz(self) -> bytes | None:
        """The gzip form, or None when the body is too small to gain from it."""
        if self._gz is None and len(self.data) >= 500:
            self._gz = gzip.compress(self.data, compresslevel=6, mtime=0)
        return self._gz


class ResponseCache:
    """Recently built bodies by (data version, canonical request), least recently used out."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._items: OrderedDict[tuple[object, ...], Body] = OrderedDict()
        self._version: int | None = None

    def get(self, version: int, key: tuple[object, ...]) -> Body | None:
        if version != self._version:
            self._items.clear()
            self._version = version
            return None
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, version: int, key: tuple[object, ...], body: Body) -> None:
        if version != self._version or self.entries < 1:
            return
        self._items[key] = body
        if len(self._items) > self.entries:
            self._items.popitem(last=False)


class ServeState:
    """One server's shared state; :meth:`close` releases every connection."""

    def __init__(self, settings: Settings, taxonomy: Taxonomy, serve: ServeSettings) -> None:
        self.settings = settings
        self.taxonomy = taxonomy
        self.serve = serve
        self.hub_dir = settings.hub_dir
        require_sqlite(settings)
        self.db_path = settings.path(settings.storage.database)
        # Opening the store creates and migrates the file before any reader needs it.
        self.store = SQLiteStore(self.db_path)
        self.readers = ReaderPool(self.db_path)
        self._watch = CommitWatch(str(self.db_path))
        self.cache = ResponseCache(serve.cache_entries)
        # Public answers by raw path and query string, for the fast path (app.FastPath).
        self.raw_cache = ResponseCache(serve.cache_entries)
        self.limiter = Limiter(
            {
                "search": Rate(serve.search_rate, serve.search_burst),
                "admin": Rate(serve.admin_rate, serve.admin_burst),
                "admin-address": Rate(serve.admin_rate, serve.admin_burst),
            }
        )
        self.max_age = serve.cache_max_age or max(10, min(300, settings.collect.min_interval))
        self.write_lock = anyio.Lock()  # admin writes go one at a time through self.store
        self.passes: dict[str, Any] = {"running": False}

    def version(self) -> int:
        """Changes whenever another connection (a pass, an admin write) commits."""
        return self._watch.version()

    async def write(self, work: Callable[[SQLiteStore], T]) -> T:
        """Run ``work(store)`` in a worker thread, one admin write at a time."""
        async with self.write_lock:
            return await anyio.to_thread.run_sync(work, self.store)

    def close(self) -> None:
        """Close the store and every reader; idempotent."""
        self.readers.close()
        self._watch.close()
        self.store.close()
