"""Open a hub directory for a command: settings, taxonomy and the store, closed together."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError, ModelError
from .settings import DATABASE_URL_ENV, Settings, load_settings
from .store.base import Store
from .store.sqlite import SQLiteStore
from .taxonomy import load_taxonomy

if TYPE_CHECKING:  # the pipeline and the classifier (scikit-learn) load when used: a
    # command that only builds or serves starts without them
    from .enrich.classifier import TopicModel
    from .pipeline import Hub

log = logging.getLogger(__name__)


def open_store(settings: Settings) -> Store:
    """The index backend the hub is configured for.

    Raises:
        ConfigError: an unknown backend, or PostgreSQL without a usable dsn or driver.
        StoreError: the index cannot be opened (the server is unreachable, say).
    """
    check_backend(settings)
    if settings.storage.backend == "postgresql":
        from .store.postgres import PostgresStore

        return PostgresStore(settings.storage.dsn)
    if settings.storage.dsn:
        log.warning("[storage] dsn is set but backend is 'sqlite': the dsn is not used")
    return SQLiteStore(settings.path(settings.storage.database))


def check_backend(settings: Settings) -> None:
    """Whether the configured backend can be opened at all, before connecting: a known
    name, and for PostgreSQL the driver (imported only here, so SQLite hubs need not
    install it) and a dsn that parses.

    Raises:
        ConfigError: it cannot.
    """
    backend = settings.storage.backend
    if backend == "sqlite":
        return
    if backend != "postgresql":
        raise ConfigError(
            f"[storage] backend: {backend!r} is not available (use 'sqlite' or 'postgresql')"
        )
    try:
        from .store.postgres_database import parse_dsn
    except ImportError as e:  # psycopg is an optional dependency
        raise ConfigError(
            f"[storage] backend 'postgresql' needs psycopg: pip install 'everyday[postgres]' ({e})"
        ) from e
    try:
        parse_dsn(settings.storage.dsn)
    except ValueError as e:
        raise ConfigError(
            f"[storage] dsn {e}; set it or {DATABASE_URL_ENV} (docs/storage.md)"
        ) from None


def load_topic_model(settings: Settings) -> TopicModel | None:
    """The trained topic model when ``[topics] mode`` asks for it; without a usable model
    the hub falls back to keywords and says so once."""
    mode = settings.topics.mode
    if mode == "keywords":
        return None
    from .enrich.classifier import MODES
    from .enrich.classifier_files import MODEL_DIR, load_model

    if mode not in MODES:
        raise ConfigError(f"[topics] mode: {mode!r} is not one of {', '.join(MODES)}")
    try:
        return load_model(settings.path(str(MODEL_DIR)))
    except ModelError as e:
        log.warning("topic model not used, keywords only: %s (run `everyday topics train`)", e)
        return None


@contextmanager
def open_hub(hub_dir: Path, settings: Settings | None = None) -> Iterator[Hub]:
    """Load a hub and yield it with an open store; the store is closed on exit."""
    from .pipeline import Hub

    settings = settings or load_settings(hub_dir)
    taxonomy = load_taxonomy(hub_dir, settings.site.topic)
    model = load_topic_model(settings)
    store = open_store(settings)
    try:
        yield Hub(settings=settings, taxonomy=taxonomy, store=store, topic_model=model)
    finally:
        store.close()
