"""What every request handler of ``everyday serve`` shares: settings, the index, caches.

The index (:mod:`.index`: SQLite or PostgreSQL) runs reads in worker threads, each
response inside one snapshot, so a pass committing a batch is seen whole or not at all.
Before each read the event loop asks it for its version, a number that changes when
articles change: cached responses are keyed by it and never outlive their data.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

import anyio.to_thread

from ..errors import ConfigError
from ..settings import ServeSettings, Settings
from ..store.base import Store
from ..taxonomy import Taxonomy
from .index import IndexReader, open_index
from .limits import Limiter, Rate

log = logging.getLogger(__name__)
T = TypeVar("T")


def load_serve_settings(settings: Settings) -> ServeSettings:
    """The hub's ``[serve]`` settings (file, then ``EVERYDAY_SERVE_*``), checked.

    Raises:
        ConfigError: a value out of range.
    """
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
        self.index = open_index(settings)
        self.store = self.index.store
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
        """Changes whenever articles change (a pass, an admin write)."""
        return self.index.version()

    async def read(self, work: Callable[[IndexReader], T]) -> T:
        """Run ``work(reader)`` in a worker thread with a pooled connection."""
        return await self.index.read(work)

    async def write(self, work: Callable[[Store], T]) -> T:
        """Run ``work(store)`` in a worker thread, one admin write at a time."""
        async with self.write_lock:
            try:
                return await anyio.to_thread.run_sync(work, self.store)
            finally:  # a refused action still commits its log row
                self.index.changed()

    def close(self) -> None:
        """Close the index (store, readers, watch); idempotent."""
        self.index.close()
