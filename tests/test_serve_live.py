"""End to end against a real uvicorn server on 127.0.0.1: raw hostile requests, a writer
committing while readers read, and a bounded load run (speed itself is in bench/)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from conftest import before_the_index
from everyday.serve import ServeSettings
from everyday.settings import Settings
from serve_samples import live_server, make_article, make_hub, seen, stored


@pytest.fixture
def settings(tmp_path: Path, index_dsn: str | None) -> Settings:
    settings = make_hub(tmp_path, 120, dsn=index_dsn)
    site = settings.hub_dir / "_site"
    site.mkdir()
    (site / "index.html").write_text("<h1>home</h1>", encoding="utf-8")
    (settings.hub_dir / "secret.txt").write_text("TOP-SECRET", encoding="utf-8")
    return settings


def raw_get(base: str, target: bytes) -> bytes:
    """Send a request line exactly as given (no client-side path normalisation)."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:  # the server hung up on a request it will not read
            pass
    return b"".join(chunks)


@before_the_index
@pytest.mark.parametrize(
    "target",
    [
        b"/api/news/../../etc/passwd",
        b"/api/news/%2e%2e/%2e%2e/etc/passwd",
        b"/../secret.txt",
        b"/%2e%2e/secret.txt",
        b"/..%2fsecret.txt",
        b"/api/news/2024/03/01/..%2f..%2f..%2fsecret.txt/index.json",
        b"/%252e%252e/secret.txt",
        b"/api/news/index.json?q=%00%ff%fe",
        b"/api/news/page/1e9/index.json",
    ],
)
def test_raw_hostile_paths_never_leave_the_site(settings: Settings, target: bytes) -> None:
    with live_server(settings) as (base, _app):
        answer = raw_get(base, target)
        status = int(answer.split(b" ", 2)[1])
        assert status in (200, 400, 404), answer[:200]
        assert b"TOP-SECRET" not in answer and b"root:" not in answer
        assert httpx.get(base + "/healthz").status_code == 200


def test_huge_request_line_and_body_are_refused_and_the_server_lives_on(settings: Settings) -> None:
    with live_server(settings, ServeSettings(max_body_bytes=1024)) as (base, _app):
        answer = raw_get(base, b"/api/news/index.json?q=" + b"a" * 200_000)
        assert answer == b"" or int(answer.split(b" ", 2)[1]) in (400, 413, 414, 431)
        big = httpx.post(
            base + "/api/admin/sources",
            content=b"{" + b" " * 5000 + b"}",
            headers={"Authorization": "Bearer evd_00000000_" + "a" * 43},
        )
        assert big.status_code == 401  # the key is checked before the body is read
        assert httpx.get(base + "/api/news/index.json").status_code == 200


def test_readers_never_see_half_a_batch_and_see_it_all_after_commit(settings: Settings) -> None:
    batches, size = 6, 10
    stop = threading.Event()

    def writer() -> None:
        with stored(settings) as store:
            for b in range(batches):
                with store.transaction():
                    for i in range(size):
                        n = 1000 + b * size + i
                        store.add_article(
                            make_article(
                                n, title=f"Batch {b} item {i}", excerpt=f"batch {b} item {i}"
                            )
                        )
                        time.sleep(0.003)  # keep the transaction open while readers read
        stop.set()

    async def readers(base: str) -> list[int]:
        seen: list[int] = []
        async with httpx.AsyncClient(base_url=base) as client:
            while not stop.is_set():
                page = (
                    await client.get("/api/news/index.json?q=batch&pageSize=100&sort=date")
                ).json()
                items = page["value"]
                for item in items:  # every record whole: title and excerpt agree
                    assert item["excerpt"].lower() == item["title"].lower()
                    assert item["provider"]["domain"] and item["images"]
                seen.append(len(items))
                await asyncio.sleep(0)
        return seen

    with live_server(settings, ServeSettings(search_rate=0)) as (base, app):
        thread = threading.Thread(target=writer)
        thread.start()
        counts = asyncio.run(readers(base))
        thread.join()
        seen(app)
        final = httpx.get(base + "/api/news/index.json?q=batch&pageSize=100").json()["value"]
    published = sum(1 for b in range(batches) for i in range(size) if (1000 + b * size + i) % 7)
    assert counts, "the readers never ran"
    possible = {sum(1 for n in range(1000, 1000 + k * size) if n % 7) for k in range(batches + 1)}
    assert set(counts) <= possible, counts  # only whole batches, ever
    assert len(final) == published


def test_bounded_load_all_answers_correct(settings: Settings) -> None:
    paths = [
        "/api/news/index.json",
        "/api/news/page/2/index.json",
        "/api/news/generative-ai/index.json",
        "/api/news/index.json?q=robot%20OR%20drone",
        "/api/topics/index.json",
        "/api/news/index.json?sort=heat&minQuality=50",
    ]

    async def load(base: str) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=base, limits=limits) as client:
            return list(
                await asyncio.gather(*(client.get(paths[n % len(paths)]) for n in range(200)))
            )

    with live_server(settings, ServeSettings(search_rate=0)) as (base, _app):
        answers = asyncio.run(load(base))
        expected = {p: httpx.get(base + p).content for p in paths}
    assert [a.status_code for a in answers] == [200] * 200
    for n, answer in enumerate(answers):
        assert answer.content == expected[paths[n % len(paths)]]
