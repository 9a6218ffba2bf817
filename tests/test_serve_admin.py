"""Admin endpoints, API keys, rate limits and the admin log, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from conftest import loopback_settings
from everyday.cli import cli
from everyday.cli import serve as _serve_commands  # noqa: F401  (registers the commands)
from everyday.demo.newswire import Newswire
from everyday.records.files import read_record
from everyday.serve import ServeSettings, create_app
from everyday.serve.index import open_keys
from everyday.serve.keys import check_token, create_key, list_keys, revoke_key
from everyday.serve.limits import Limiter, Rate
from everyday.settings import Settings, load_settings
from everyday.store.database import Database
from serve_samples import make_article, make_hub, run, stored, use_postgresql

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def new_key(settings: Settings, scope: str = "admin", name: str = "tester") -> str:
    table = open_keys(settings)
    try:
        token, _ = table.create_key(name, scope, NOW)
    finally:
        table.close()
    return token


@pytest.fixture
def hub(tmp_path: Path, index_dsn: str | None) -> Settings:
    return make_hub(tmp_path, 30, dsn=index_dsn)


@pytest.fixture
def app(hub: Settings) -> Iterator[Starlette]:
    app = create_app(hub, ServeSettings(admin_rate=0, search_rate=0, max_body_bytes=1000))
    yield app
    app.state.serve.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_keys_are_stored_hashed_checked_and_revocable(tmp_path: Path) -> None:
    db = Database(tmp_path / "k.db")
    try:
        token, key = create_key(db.conn, "deploy bot", "admin", NOW)
        assert token.startswith(f"evd_{key.id}_") and len(token) == 56
        secret = token.rsplit("_", 1)[1]
        stored = db.conn.execute("SELECT * FROM api_keys").fetchone()
        assert secret.encode() not in bytes(stored["hash"]) and len(stored["salt"]) == 16
        assert check_token(db.conn, token) == key
        assert check_token(db.conn, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert check_token(db.conn, "evd_00000000_" + secret) is None
        assert check_token(db.conn, "not a token") is None
        assert revoke_key(db.conn, key.id, NOW) is True
        assert revoke_key(db.conn, key.id, NOW) is False
        assert check_token(db.conn, token) is None
        assert list_keys(db.conn)[0].revoked == NOW
        with pytest.raises(ValueError, match="scope"):
            create_key(db.conn, "x", "root", NOW)
    finally:
        db.close()


def test_cli_creates_lists_and_revokes_keys(hub: Settings) -> None:
    runner = CliRunner()
    hub = ["--hub", str(hub.hub_dir)]
    made = runner.invoke(cli, ["keys", "create", *hub, "--name", "ci", "--scope", "read"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    key_id = token.split("_")[1]
    listed = runner.invoke(cli, ["keys", "list", *hub])
    assert key_id in listed.output and "read" in listed.output
    assert runner.invoke(cli, ["keys", "revoke", *hub, key_id]).exit_code == 0
    assert runner.invoke(cli, ["keys", "revoke", *hub, key_id]).exit_code != 0


def test_admin_needs_an_admin_key(app: Starlette, hub: Settings) -> None:
    reader, admin = new_key(hub, "read"), new_key(hub)
    body = {"url": "https://feeds.example/a.xml"}

    async def go(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post("/api/admin/sources", json=body),
            await client.post("/api/admin/sources", json=body, headers=auth("evd_nope")),
            await client.post("/api/admin/sources", json=body, headers=auth(reader)),
            await client.post("/api/admin/sources", json=body, headers={"X-API-Key": admin}),
        ]

    none, wrong, read, ok = run(app, go)
    assert none.status_code == 401 and none.json()["error"]["message"] == "an API key is needed"
    assert wrong.status_code == 401 and "invalid" in wrong.json()["error"]["message"]
    assert read.status_code == 403 and "scope read" in read.json()["error"]["message"]
    assert ok.status_code == 201 and ok.json() == {
        "url": body["url"],
        "kind": "feed",
        "added": True,
    }


def test_sources_add_pause_remove_keep_store_and_config_in_step(
    app: Starlette, hub: Settings
) -> None:
    headers = auth(new_key(hub))
    url = "https://feeds.example/robots.xml"

    async def go(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post("/api/admin/sources", json={"url": url}, headers=headers),
            await client.post("/api/admin/sources", json={"url": url}, headers=headers),
            await client.post("/api/admin/sources/pause", json={"url": url}, headers=headers),
            await client.get("/api/admin/sources", headers=headers),
        ]

    added, again, paused, listed = run(app, go)
    assert (added.status_code, again.status_code, paused.status_code) == (201, 200, 200)
    assert listed.json()["value"][0]["paused"] is True
    assert load_settings(hub.hub_dir, env={}).sources == (url,)

    async def remove(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post("/api/admin/sources/remove", json={"url": url}, headers=headers),
            await client.post("/api/admin/sources/remove", json={"url": url}, headers=headers),
        ]

    removed, missing = run(app, remove)
    assert removed.status_code == 200 and missing.status_code == 404
    assert load_settings(hub.hub_dir, env={}).sources == ()


def test_status_for_monitoring_needs_an_admin_key(app: Starlette, hub: Settings) -> None:
    headers = auth(new_key(hub))

    async def go(client: httpx.AsyncClient) -> list[httpx.Response]:
        await client.post(
            "/api/admin/sources", json={"url": "https://a.example/f"}, headers=headers
        )
        return [
            await client.get("/api/admin/status"),
            await client.get("/api/admin/status", headers=auth(new_key(hub, "read"))),
            await client.get("/api/admin/status", headers=headers),
        ]

    anonymous, reader, admin = run(app, go)
    assert (anonymous.status_code, reader.status_code, admin.status_code) == (401, 403, 200)
    data = admin.json()
    assert data["records"]["indexed"] == 30 and data["title"] == hub.site.title
    assert [s["url"] for s in data["sources"]] == ["https://a.example/f"]
    assert data["needsAttention"] is False and data["passes"] == []
    assert admin.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b'{"url": 5}', 400, "url must be"),
        (b'{"url": "file:///etc/passwd"}', 400, "http(s)"),
        (b'{"url": "https://x.example/", "kind": "shell"}', 400, "kind"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b'{"url": "' + b"a" * 2000 + b'"}', 413, "over 1000 bytes"),
    ],
)
def test_bad_admin_bodies_are_rejected_before_any_work(
    app: Starlette, hub: Settings, content: bytes, status: int, message: str
) -> None:
    headers = {**auth(new_key(hub)), "Content-Type": "application/json"}
    answer = run(app, lambda c: c.post("/api/admin/sources", content=content, headers=headers))
    assert answer.status_code == status
    assert message in answer.json()["error"]["message"]
    assert load_settings(hub.hub_dir, env={}).sources == ()


@pytest.mark.parametrize("url", ["https://x.example/\u0000", "https://x.example/\u0007a"])
def test_admin_urls_with_control_characters_are_400(
    app: Starlette, hub: Settings, url: str
) -> None:
    """NUL fits no index column (PostgreSQL text refuses it): refused before any work."""
    headers = auth(new_key(hub))
    answer = run(app, lambda c: c.post("/api/admin/sources", json={"url": url}, headers=headers))
    assert answer.status_code == 400 and "http(s)" in answer.json()["error"]["message"]
    log = run(app, lambda c: c.get("/api/admin/log", headers=headers)).json()["value"]
    logged = url.replace("\u0000", "\ufffd").replace("\u0007", "\ufffd")
    assert [(r["action"], r["status"], r["target"]) for r in log] == [("source.add", 400, logged)]
    assert load_settings(hub.hub_dir, env={}).sources == ()


def test_oversized_streamed_body_without_length_is_413(app: Starlette, hub: Settings) -> None:
    headers = auth(new_key(hub))

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b"x" * 100

    answer = run(app, lambda c: c.post("/api/admin/sources", content=chunks(), headers=headers))
    assert answer.status_code == 413


def test_unpublish_publish_and_pin_change_the_lists(app: Starlette, hub: Settings) -> None:
    headers = auth(new_key(hub))
    victim, pinned = make_article(30), make_article(2)

    async def go(client: httpx.AsyncClient) -> dict[str, object]:
        seen: dict[str, object] = {}
        first = (await client.get("/api/news/index.json")).json()["value"][0]["title"]
        seen["before"] = first
        r = await client.post(
            "/api/admin/articles/unpublish", json={"url": victim.record.web_url}, headers=headers
        )
        seen["unpublish"] = r.status_code
        seen["after"] = (await client.get("/api/news/index.json")).json()["value"][0]["title"]
        r = await client.post(
            "/api/admin/articles/pin", json={"url": pinned.record.original_url}, headers=headers
        )
        seen["pin"] = r.status_code
        page = (await client.get("/api/news/index.json?pageSize=3")).json()
        seen["pinned_first"] = [i["title"] for i in page["value"]]
        seen["page2"] = [
            i["title"]
            for i in (await client.get("/api/news/index.json?pageSize=3&page=2")).json()["value"]
        ]
        r = await client.post(
            "/api/admin/articles/publish", json={"url": victim.record.web_url}, headers=headers
        )
        seen["restored"] = (await client.get("/api/news/index.json")).json()["value"][1]["title"]
        seen["unknown"] = (
            await client.post(
                "/api/admin/articles/pin", json={"url": "https://nope.example/"}, headers=headers
            )
        ).status_code
        return seen

    seen = run(app, go)
    assert seen["before"] == victim.record.title and seen["unpublish"] == 200
    assert seen["after"] == make_article(29).record.title
    assert seen["pin"] == 200
    assert seen["pinned_first"] == [
        pinned.record.title,
        make_article(29).record.title,
        make_article(27).record.title,  # 28 is a 7th: never published
    ]
    assert pinned.record.title not in seen["page2"]  # type: ignore[operator]
    assert seen["restored"] == victim.record.title  # pinned first, then the newest
    assert seen["unknown"] == 404
    on_disk = read_record(hub.hub_dir / victim.path)
    assert on_disk.is_published is True and on_disk.title == victim.record.title


def test_enrich_rebuilds_the_record_and_decides_it_again(app: Starlette, hub: Settings) -> None:
    headers = auth(new_key(hub))
    article = make_article(3)
    url = article.record.web_url
    answer = run(
        app, lambda c: c.post("/api/admin/articles/enrich", json={"url": url}, headers=headers)
    )
    assert answer.status_code == 200 and answer.json()["url"] == url
    with stored(hub) as store:
        found = store.get_article(url)
    assert found is not None
    decided = answer.json()
    assert list(found.record.topics) == decided["topics"]
    # Decided by the enrich stage (the sample's scores were made up), as the answer says.
    assert (found.record.quality, found.record.heat) == (decided["quality"], decided["heat"])
    assert found.record.is_published is decided["published"]
    assert found.record.quality != article.record.quality and decided["changed"] is True
    assert read_record(hub.hub_dir / article.path) == found.record  # file == index


def test_an_editors_decision_holds_until_handed_back(app: Starlette, hub: Settings) -> None:
    headers = auth(new_key(hub))
    url = make_article(3).record.web_url

    async def go(client: httpx.AsyncClient) -> list[dict[str, object]]:
        async def post(action: str) -> dict[str, object]:
            r = await client.post(
                f"/api/admin/articles/{action}", json={"url": url}, headers=headers
            )
            assert r.status_code == 200, r.text
            return dict(r.json())

        hubs = await post("enrich")
        opposite = "unpublish" if hubs["published"] else "publish"
        return [hubs, await post(opposite), await post("enrich"), await post("auto")]

    hubs, editors, again, back = run(app, go)
    own = hubs["published"]
    assert editors == {"url": url, "published": not own, "by": "editor"}
    assert again["published"] is (not own)  # deciding again keeps the editor's decision
    assert back == {"url": url, "published": own, "by": "hub"}
    assert read_record(hub.hub_dir / make_article(3).path).is_published is own


def test_every_admin_action_is_logged_with_who_and_when(app: Starlette, hub: Settings) -> None:
    token = new_key(hub, name="ops")
    headers = auth(token)

    async def go(client: httpx.AsyncClient) -> httpx.Response:
        await client.post(
            "/api/admin/sources", json={"url": "https://a.example/f"}, headers=headers
        )
        await client.post(
            "/api/admin/sources/pause", json={"url": "https://b.example/"}, headers=headers
        )
        return await client.get("/api/admin/log", headers=headers)

    rows = run(app, go).json()["value"]
    assert [(r["action"], r["status"]) for r in rows] == [
        ("source.pause", 404),
        ("source.add", 201),
    ]
    assert {r["key_id"] for r in rows} == {token.split("_")[1]}
    assert {r["client"] for r in rows} == {"203.0.113.9"}
    assert rows[1]["target"] == "https://a.example/f" and rows[1]["at_utc"] > "2024"


def test_admin_and_search_are_rate_limited_with_retry_after(hub: Settings) -> None:
    app = create_app(
        hub, ServeSettings(admin_rate=0.01, admin_burst=2, search_rate=0.5, search_burst=2)
    )
    headers = auth(new_key(hub))
    try:

        async def go(client: httpx.AsyncClient) -> tuple[list[int], list[httpx.Response]]:
            admin = [
                (await client.get("/api/admin/sources", headers=headers)).status_code
                for _ in range(3)
            ]
            searches = [await client.get("/api/news/index.json?q=robot") for _ in range(3)]
            return admin, searches

        admin, searches = run(app, go)
        assert admin == [200, 200, 429]
        assert [s.status_code for s in searches] == [200, 200, 429]
        assert searches[2].headers["retry-after"] == "2"
        assert searches[2].json()["error"]["status"] == 429
        assert get_plain(app, "/api/news/index.json").status_code == 200  # lists are not limited
    finally:
        app.state.serve.close()


def get_plain(app: Starlette, url: str) -> httpx.Response:
    return run(app, lambda c: c.get(url))


def test_token_bucket_refills_and_reports_the_wait() -> None:
    limiter = Limiter({"search": Rate(per_second=2, burst=3)})
    assert [limiter.take("search", "ip:a", 0.0).allowed for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert limiter.take("search", "ip:a", 0.0).retry_after == 1
    assert limiter.take("search", "ip:b", 0.0).allowed  # buckets are per client
    assert limiter.take("search", "ip:a", 0.5).allowed  # one token back after 0.5 s
    assert not limiter.take("search", "ip:a", 0.5).allowed
    assert limiter.take("other", "ip:a", 0.0).allowed  # no rate: no limit


def test_limiter_memory_stays_bounded() -> None:
    limiter = Limiter({"search": Rate(1, 1)}, max_buckets=100)
    for n in range(1000):
        limiter.take("search", f"ip:{n}", float(n) / 1000)
    assert len(limiter._buckets) <= 101


def test_pass_runs_in_the_background_and_its_articles_appear(
    hub_dir: Path, index_dsn: str | None, newswire: Newswire
) -> None:
    """A real pass against the sample newswire (conftest), triggered over the API."""
    if index_dsn is not None:
        use_postgresql(hub_dir, index_dsn)
    settings = loopback_settings(hub_dir, newswire)
    app = create_app(settings, ServeSettings(admin_rate=0))
    headers = auth(new_key(settings))
    try:

        async def go(client: httpx.AsyncClient) -> tuple[int, int, dict[str, object], int]:
            started = await client.post("/api/admin/pass", json={"all": True}, headers=headers)
            second = await client.post("/api/admin/pass", json={}, headers=headers)
            for _ in range(600):
                status = (await client.get("/api/admin/pass", headers=headers)).json()
                if not status["running"]:
                    break
                await asyncio.sleep(0.05)
            listed = await client.get(
                "/api/news/index.json?published=any&pageSize=100", headers=headers
            )
            return started.status_code, second.status_code, status, len(listed.json()["value"])

        started, second, status, count = run(app, go)
        assert (started, second) == (202, 409)
        assert status["error"] is None and status["counts"]["new"] > 0  # type: ignore[index]
        assert count == status["counts"]["new"]  # type: ignore[index]
    finally:
        app.state.serve.close()
