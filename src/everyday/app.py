"""Open a hub directory for a command: settings, taxonomy and the store, closed together."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ConfigError
from .pipeline import Hub
from .settings import Settings, load_settings
from .store.base import Store
from .store.sqlite import SQLiteStore
from .taxonomy import load_taxonomy


def open_store(settings: Settings) -> Store:
    """The index backend the hub is configured for."""
    backend = settings.storage.backend
    if backend == "sqlite":
        return SQLiteStore(settings.path(settings.storage.database))
    raise ConfigError(f"[storage] backend: {backend!r} is not available (use 'sqlite')")


@contextmanager
def open_hub(hub_dir: Path, settings: Settings | None = None) -> Iterator[Hub]:
    """Load a hub and yield it with an open store; the store is closed on exit."""
    settings = settings or load_settings(hub_dir)
    taxonomy = load_taxonomy(hub_dir, settings.site.topic)
    store = open_store(settings)
    try:
        yield Hub(settings=settings, taxonomy=taxonomy, store=store)
    finally:
        store.close()
