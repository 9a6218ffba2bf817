"""Shared fixtures: the sample newswire on 127.0.0.1, hubs pointed at it, and a PostgreSQL
server for the index tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from everyday.demo.newswire import Newswire
from everyday.hub import init_hub
from everyday.settings import Settings, load_settings, with_overrides
from pg_server import PgServer, missing_reason

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture
def corpus() -> Path:
    """The real hubs' data in ../shared/corpus; skipped with a reason when absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"../shared/corpus not found at {CORPUS} (only CI and developers have it)")
    return CORPUS


@pytest.fixture
def newswire() -> Iterator[Newswire]:
    """A fresh sample newswire on a free loopback port."""
    with Newswire(port=0) as wire:
        yield wire


@pytest.fixture
def hub_dir(tmp_path: Path, newswire: Newswire) -> Path:
    """A new hub whose sources are the newswire's feeds."""
    return init_hub(tmp_path / "hub", title="Test Hub", sources=list(newswire.feed_urls))


def loopback_settings(hub_dir: Path, wire: Newswire | None = None) -> Settings:
    """The hub's settings with the SSRF guard opened for 127.0.0.1, the newswire's host
    names resolved to it, and quick failures."""
    settings = load_settings(hub_dir, env={})
    hosts = tuple(wire.hosts) if wire is not None else ()
    return with_overrides(
        settings, "fetch", allow_private=True, hosts=hosts, retries=1, backoff=0.01, timeout=5.0
    )


@pytest.fixture
def settings(hub_dir: Path, newswire: Newswire) -> Settings:
    return loopback_settings(hub_dir, newswire)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole session.

    Without the server binaries or psycopg the tests that need it are skipped with the
    reason, except in CI (``CI=true``), where that is a failure: CI installs both.
    """
    reason = missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL: {reason}")
        pytest.skip(reason)
    server = PgServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_dsn(pg_server: PgServer) -> Iterator[str]:
    """The dsn of a fresh, migrated database of its own (dropped afterwards)."""
    name, dsn = pg_server.create_database()
    yield dsn
    pg_server.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_dsn(request: pytest.FixtureRequest) -> str | None:
    """Run a test on both index backends: None for SQLite, else a fresh database's dsn."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_dsn"))


# For serve tests whose requests end before any index access (routing, parameter checks):
# they run on SQLite only, keeping the PostgreSQL runs to what can differ.
before_the_index = pytest.mark.parametrize("index_dsn", [None], ids=["sqlite"])
