"""Generated hubs for the serve tests and benchmark: invented records in a real store
(SQLite, or PostgreSQL given a dsn), plus helpers to call the app in-process and to run
it under a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn
from starlette.applications import Starlette

from everyday.app import open_store
from everyday.hub import init_hub
from everyday.models import Article, Image, Provider, Record, Related
from everyday.records.frontmatter import format_record
from everyday.records.slug import record_filename
from everyday.serve import ServeSettings, create_app
from everyday.settings import Settings, load_settings
from everyday.store.base import Store
from everyday.store.sqlite import SQLiteStore

T = TypeVar("T")
START = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)
TOPICS = ("Machine Learning", "Computer Vision", "Generative AI", "AI in Robotics", "AI Policy")
PROVIDERS = (
    ("Circuit Weekly", "circuitweekly.example"),
    ("The Lab Ledger", "labledger.example"),
    ("Signal & Noise", "signalnoise.example"),
    ("Gradient Post", "gradientpost.example"),
)
WORDS = [
    "model",
    "training",
    "dataset",
    "benchmark",
    "robot",
    "vision",
    "transformer",
    "chip",
    "policy",
    "regulation",
    "startup",
    "funding",
    "research",
    "paper",
    "open",
    "source",
    "inference",
    "latency",
    "accuracy",
    "camera",
    "drone",
    "language",
    "speech",
    "agent",
    "safety",
    "audit",
    "hospital",
    "diagnosis",
    "bank",
    "fraud",
    "factory",
    "warehouse",
    "satellite",
    "climate",
    "energy",
    "battery",
    "sensor",
    "lidar",
    "mapping",
    "translation",
    "tutor",
    "classroom",
]
HOSTILE_TITLE = '<script>alert(1)</script> " OR 1=1 -- NEAR( \u00e9t\u00e9 caf\u00e9'


def make_record(n: int, **changes: Any) -> Record:
    """Record ``n``: published ``n`` times 37 minutes after START; every 7th unpublished."""
    rng = random.Random(n)
    name, domain = PROVIDERS[n % len(PROVIDERS)]
    words = rng.sample(WORDS, 6)
    values: dict[str, Any] = {
        "title": f"Story {n}: {words[0]} {words[1]} and {words[2]}",
        "excerpt": f"Report number {n} on {words[3]} and {words[4]} ...",
        "published": START + timedelta(minutes=37 * n),
        "web_url": f"https://{domain}/news/{n}",
        "original_url": f"https://{domain}/news/{n}?utm_source=feed",
        "provider": Provider(name, domain, (Image(f"https://{domain}/logo.png", 50, 50),)),
        "quality": 40 + (n * 7) % 60,
        "heat": 30 + (n * 13) % 70,
        "is_published": n % 7 != 0,
        "topics": ("AI", TOPICS[n % len(TOPICS)]),
        "images": (Image(f"https://{domain}/img/{n}.jpg", 1200, 675, True),),
        "related": (
            Related(
                title=f"Related to {n}",
                excerpt="Another take.",
                published=START + timedelta(minutes=37 * n + 5),
                web_url=f"https://other.example/take/{n}",
                provider=Provider("Other", "other.example"),
                quality=55,
            ),
        ),
    }
    values.update(changes)
    return Record(**values)


def make_article(n: int, **changes: Any) -> Article:
    """Article of :func:`make_record` with its file path, body text and fingerprint."""
    record = make_record(n, **changes)
    rng = random.Random(-n)
    text = " ".join(rng.choice(WORDS) for _ in range(120)) + f" marker{n}"
    fingerprint = hashlib.sha256(format_record(record).encode("utf-8")).hexdigest()
    return Article(
        record=record,
        path=f"_news/{record_filename(record.published.date(), record.title)}",
        text=text,
        first_seen=record.published,
        fingerprint=fingerprint,
    )


def fill(store: Store, count: int, start: int = 1) -> list[Article]:
    """Add articles ``start .. start+count-1`` in one transaction."""
    articles = [make_article(n) for n in range(start, start + count)]
    with store.transaction():
        for article in articles:
            store.add_article(article)
    return articles


def make_hub(root: Path, count: int, dsn: str | None = None, **site: Any) -> Settings:
    """A hub with the default AI taxonomy and ``count`` generated articles in its index:
    SQLite, or with ``dsn`` the PostgreSQL database it names (in everyday.toml)."""
    hub = init_hub(root / "hub", title="Serve Test Hub", sources=[])
    if dsn is not None:
        use_postgresql(hub, dsn)
    settings = load_settings(hub, env={})
    with stored(settings) as store:
        fill(store, count)
    return settings


def use_postgresql(hub_dir: Path, dsn: str) -> None:
    """Point the hub's everyday.toml at a PostgreSQL index (the dsn in the file: tests)."""
    config = hub_dir / "everyday.toml"
    text = config.read_text(encoding="utf-8")
    assert '# backend = "sqlite"' in text and '# dsn = ""' in text
    text = text.replace('# backend = "sqlite"', 'backend = "postgresql"')
    config.write_text(text.replace('# dsn = ""', f'dsn = "{dsn}"'), encoding="utf-8")


@contextmanager
def stored(settings: Settings) -> Iterator[Store]:
    """The hub's store, whichever backend, closed afterwards."""
    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


def set_cluster(settings: Settings, url: str, cluster_id: int) -> None:
    """File an article under a story, as the enrich stage does, on either backend."""
    with stored(settings) as store:
        if isinstance(store, SQLiteStore):
            from everyday.store.search import set_cluster as update
        else:
            from everyday.store.postgres_search import set_cluster as update
        assert update(store.connection, url, cluster_id)  # type: ignore[attr-defined]


def seen(app: Starlette) -> None:
    """Wait until the app has noticed every commit so far (PostgreSQL: the notifications;
    SQLite: at once), so a write from another connection shows in the next answer."""
    app.state.serve.index.sync()


def run(app: Starlette, go: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run ``go(client)`` against the app in-process (httpx ASGITransport)."""

    async def main() -> T:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4242))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            return await go(client)

    return asyncio.run(main())


def get(app: Starlette, url: str, **kwargs: Any) -> httpx.Response:
    """One in-process GET."""

    async def go(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(url, **kwargs)

    return run(app, go)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(
    settings: Settings, serve: ServeSettings | None = None
) -> Iterator[tuple[str, Starlette]]:
    """The app under a real uvicorn server on 127.0.0.1, in a thread; yields its base URL."""
    app = create_app(settings, serve or ServeSettings())
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{config.port}", app
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.serve.close()
