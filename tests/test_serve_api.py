"""The live read API, in-process: same bytes as the static API, filters, search, HTTP caching."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from conftest import before_the_index
from everyday.publish import Entry, Output
from everyday.publish.api import build_api
from everyday.serve import ServeSettings, create_app
from everyday.serve.state import serve_settings_markdown
from everyday.settings import Settings
from everyday.taxonomy import load_taxonomy
from serve_samples import (
    fill,
    get,
    make_article,
    make_hub,
    run,
    seen,
    set_cluster,
    stored,
)

COUNT = 75


@pytest.fixture
def settings(tmp_path: Path, index_dsn: str | None) -> Settings:
    return make_hub(tmp_path, COUNT, dsn=index_dsn)


@pytest.fixture
def app(settings: Settings) -> Iterator[Starlette]:
    app = create_app(settings, ServeSettings(search_rate=0))
    yield app
    app.state.serve.close()


def static_api(settings: Settings, root: Path) -> Path:
    """What ``everyday build`` writes for the same index (the publish stage's functions)."""
    with stored(settings) as store:
        entries = [Entry(a.path, a.record) for a in store.get_articles()]
    out = Output(root)
    build_api(entries, load_taxonomy(settings.hub_dir, settings.site.topic), settings.site, out)
    out.finish()
    return root


def test_lists_and_items_equal_the_static_files_byte_for_byte(
    app: Starlette, settings: Settings, tmp_path: Path
) -> None:
    root = static_api(settings, tmp_path / "site")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("index.json"))
    chosen = [f for f in files if f.count("/") <= 4 or f.startswith("api/news/2024")]
    assert "api/news/page/3/index.json" in chosen  # 64 published / 20 a page = 4 pages
    assert any(f.startswith("api/news/2024/") for f in chosen)
    assert "api/news/generative-ai/index.json" in chosen

    async def go(client: httpx.AsyncClient) -> list[tuple[str, bytes]]:
        return [(f, (await client.get("/" + f)).content) for f in chosen]

    for name, body in run(app, go):
        assert body == (root / name).read_bytes(), name


def test_page_past_the_end_is_404_like_a_static_host(app: Starlette) -> None:
    first = get(app, "/api/news/index.json").json()
    assert first["page"] == 1 and first["nextPage"] == 2 and len(first["value"]) == 20
    assert get(app, "/api/news/page/4/index.json").json()["nextPage"] is None
    missing = get(app, "/api/news/page/5/index.json")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"status": 404, "message": "no such page"}}
    assert get(app, "/api/news/no-such-topic/index.json").status_code == 404


def test_filters_narrow_the_list(app: Starlette) -> None:
    def items(query: str) -> list[dict[str, object]]:
        return get(app, f"/api/news/index.json?pageSize=100&{query}").json()["value"]

    everything = items("")
    assert len(everything) == COUNT - COUNT // 7
    assert all(i["topics"][1] == "Computer Vision" for i in items("topic=computer-vision"))
    assert len(items("topic=Computer%20Vision")) == len(items("topic=computer-vision")) > 0
    by_provider = items("provider=LabLedger.example")
    assert by_provider and {i["provider"]["domain"] for i in by_provider} == {"labledger.example"}
    day = items("from=2024-03-01&to=2024-03-01")
    assert day and all(str(i["publishedDateTime"]).startswith("2024-03-01") for i in day)
    assert len(day) < len(everything)
    heat = [i["heat"] for i in items("sort=heat")]
    assert heat == sorted(heat, reverse=True)


def item_url(path: str) -> str:
    """``_news/2024-03-01-slug.md`` -> ``/api/news/2024/03/01/slug/index.json``."""
    name = path.rsplit("/", 1)[-1]
    return f"/api/news/{name[:4]}/{name[5:7]}/{name[8:10]}/{name[11:-3]}/index.json"


def test_min_quality_and_quality_sort_use_the_stored_quality(app: Starlette) -> None:
    good = get(app, "/api/news/index.json?minQuality=90&pageSize=100").json()["value"]
    qualities = [get(app, item_url(str(i["path"]))).json()["quality"] for i in good]
    assert qualities and all(q >= 90 for q in qualities)
    everything = get(app, "/api/news/index.json?pageSize=100").json()["value"]
    assert len(good) < len(everything)
    best = get(app, "/api/news/index.json?sort=quality&pageSize=5").json()["value"]
    best_quality = [get(app, item_url(str(i["path"]))).json()["quality"] for i in best]
    assert best_quality == sorted(best_quality, reverse=True) and best_quality[0] == max(qualities)


def test_unpublished_records_need_a_key(app: Starlette) -> None:
    refused = get(app, "/api/news/index.json?published=false")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert get(app, "/api/news/index.json?published=maybe").status_code == 400


def test_search_ranks_title_matches_first_and_supports_phrases_and_prefixes(
    app: Starlette, settings: Settings
) -> None:
    with stored(settings) as store:
        fill(store, 1, start=900)
        store.add_article(make_article(901, title="Quantum annealers reach the clinic"))
        store.add_article(make_article(902, excerpt="A note on quantum annealers in passing."))
    seen(app)
    found = get(app, "/api/news/index.json?q=quantum annealers").json()["value"]
    assert [i["title"] for i in found][:2] == [
        "Quantum annealers reach the clinic",
        make_article(902).record.title,
    ]
    assert len(get(app, '/api/news/index.json?q="annealers reach"').json()["value"]) == 1
    assert len(get(app, '/api/news/index.json?q="reach annealers"').json()["value"]) == 0
    assert len(get(app, "/api/news/index.json?q=annea*").json()["value"]) == 2
    assert len(get(app, "/api/news/index.json?q=quantum -clinic").json()["value"]) == 1
    body_only = get(app, "/api/news/index.json?q=marker901").json()["value"]
    assert [i["title"] for i in body_only] == ["Quantum annealers reach the clinic"]


@pytest.mark.parametrize(
    "query",
    ['"', '" OR 1=1 --', "NEAR(", "*", "-", "a*", "'; DROP TABLE articles; --", "x" * 300],
)
def test_bad_or_hostile_search_is_400_never_500(app: Starlette, query: str) -> None:
    answer = get(app, "/api/news/index.json", params={"q": query})
    if answer.status_code == 200:  # the words in it are searched as words, safely
        assert answer.json()["page"] == 1
    else:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["message"].startswith("q: ")
    assert get(app, "/healthz").json()["articles"] == COUNT  # nothing dropped


@pytest.mark.parametrize(
    "query",
    [
        "\x00",
        "robot\x00arms",
        "\\",
        "a\\'b",
        "!robot & arms | x <-> y:*",
        "robot:A",
        "'",
        "it's",
        "(((",
        "x" * 256,
        " ".join(["w"] * 16),
        "%00%27",
        "\ud7ff\ufffd\U0001f600 emoji",
    ],
)
def test_hostile_search_text_is_200_or_400_on_every_backend(app: Starlette, query: str) -> None:
    """Quotes, backslashes, NUL and either backend's operators: words or a 400, never a 5xx."""
    answer = get(app, "/api/news/index.json", params={"q": query})
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:
        assert answer.json()["error"]["message"].startswith("q: ")
    else:
        assert answer.json()["value"] == []  # none of these words is in the sample index
    assert get(app, "/healthz").json()["articles"] == COUNT


@pytest.mark.parametrize("query", ["1' OR '1'='1", '" OR 1=1 --"', "x) OR title:*", "NEAR(a b)"])
def test_injection_text_is_searched_as_words(app: Starlette, query: str) -> None:
    answer = get(app, "/api/news/index.json", params={"q": query, "pageSize": 100})
    assert answer.status_code == 200
    # Not "everything": only records holding the words (here at most story 1) match.
    assert [i["title"] for i in answer.json()["value"]] in ([], [make_article(1).record.title])


@before_the_index
@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page=99999999999999999999",
        "pageSize=0",
        "pageSize=101",
        "minQuality=101",
        "from=yesterday",
        "to=2024-13-01",
        "sort=random",
        "sort=relevance",
        "topic=Nope",
        "provider=not a domain",
    ],
)
def test_bad_parameters_are_400_with_a_message(app: Starlette, query: str) -> None:
    answer = get(app, f"/api/news/index.json?{query}")
    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == 400 and answer.json()["error"]["message"]


@before_the_index
def test_huge_query_string_is_414(app: Starlette) -> None:
    answer = get(app, "/api/news/index.json?q=" + "a" * 5000)
    assert answer.status_code == 414 and "query string" in answer.json()["error"]["message"]


def test_etag_gives_304_until_the_data_changes(app: Starlette, settings: Settings) -> None:
    first = get(app, "/api/news/index.json")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert "max-age=" in first.headers["cache-control"]
    again = get(app, "/api/news/index.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    with stored(settings) as store:
        fill(store, 1, start=500)
    seen(app)
    changed = get(app, "/api/news/index.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["value"][0]["title"] == make_article(500).record.title


def test_gzip_and_cors(app: Starlette) -> None:
    plain = get(app, "/api/news/index.json", headers={"Accept-Encoding": "identity"})
    zipped = get(
        app,
        "/api/news/index.json",
        headers={"Accept-Encoding": "gzip", "Origin": "https://reader.example"},
    )
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it
    assert zipped.headers["access-control-allow-origin"] == "*"
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert "content-encoding" not in plain.headers

    async def preflight(client: httpx.AsyncClient) -> httpx.Response:
        headers = {"Origin": "https://x.example", "Access-Control-Request-Method": "POST"}
        return await client.options("/api/admin/sources", headers=headers)

    assert run(app, preflight).status_code == 400  # CORS is for GET only


def test_items_topics_providers_and_stories(app: Starlette, settings: Settings) -> None:
    item = get(app, item_url(make_article(1).path)).json()
    assert item["title"] == make_article(1).record.title
    assert item["related"][0]["title"] == "Related to 1" and item["published"] is True
    assert get(app, item_url(make_article(7).path)).status_code == 404  # unpublished
    topics = {
        t["name"]: t["count"]
        for t in get(app, "/api/topics/index.json?pageSize=100").json()["value"]
    }
    assert topics["AI"] == COUNT - COUNT // 7
    providers = get(app, "/api/providers/index.json").json()["value"]
    assert sum(p["count"] for p in providers) == COUNT - COUNT // 7
    assert get(app, "/api/stories/3").status_code == 404
    for n in (2, 3, 7):
        set_cluster(settings, make_article(n).record.web_url, 3)
    seen(app)
    story = get(app, "/api/stories/3").json()
    assert story["id"] == 3 and story["count"] == 2  # 7 is unpublished
    assert [i["title"] for i in story["value"]] == [
        make_article(3).record.title,
        make_article(2).record.title,
    ]


@before_the_index
@pytest.mark.parametrize(
    "path",
    [
        "/api/news/2024/03/01/..%2F..%2Fetc%2Fpasswd/index.json",
        "/api/news/2024/03/01/%2e%2e/index.json",
        "/api/news/2024/3/1/story/index.json",
        "/api/news/2024/02/30/story/index.json",
        "/api/news/..%2f..%2fetc/passwd",
        "/api/news/%00/index.json",
        "/api/stories/1%20OR%201=1",
    ],
)
def test_path_traversal_and_odd_item_paths_are_404(app: Starlette, path: str) -> None:
    answer = get(app, path)
    assert answer.status_code == 404
    assert "root:" not in answer.text
    assert answer.json()["error"]["status"] == 404


def test_healthz_openapi_and_docs_describe_every_route(app: Starlette) -> None:
    assert get(app, "/healthz").json() == {"status": "ok", "articles": COUNT}
    document = get(app, "/openapi.json").json()
    assert document["openapi"].startswith("3.")
    described = set(document["paths"])
    for route in app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/") or path in {"/healthz", "/docs", "/openapi.json"}:
            assert path in described or path == "/api/stories/{id}/index.json", path
    page = get(app, "/docs")
    assert page.headers["content-type"].startswith("text/html")
    assert "/api/news/{topic}/page/{page}/index.json" in page.text


def test_site_folder_is_served_at_the_root(settings: Settings) -> None:
    site = settings.hub_dir / "_site"
    (site / "api" / "news").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Hub home</h1>", encoding="utf-8")
    (site / "api" / "news" / "index.json").write_text('{"stale": true}', encoding="utf-8")
    app = create_app(settings)
    try:
        assert get(app, "/").text == "<h1>Hub home</h1>"
        assert "stale" not in get(app, "/api/news/index.json").text  # the live API wins
        assert get(app, "/../everyday.toml").status_code == 404
    finally:
        app.state.serve.close()


def test_private_reads_need_a_read_key(settings: Settings) -> None:
    app = create_app(settings, ServeSettings(private_reads=True))
    try:
        for path in ("/api/news/index.json", "/api/topics/index.json", "/api/stories/1"):
            assert get(app, path).status_code == 401, path
        wrong = get(app, "/api/news/index.json", headers={"Authorization": "Bearer evd_x"})
        assert wrong.json()["error"]["message"] == "invalid or revoked API key"
    finally:
        app.state.serve.close()


def test_gzip_bytes_are_the_same_page(app: Starlette) -> None:
    async def go(client: httpx.AsyncClient) -> tuple[bytes, bytes]:
        raw = await client.get("/api/news/index.json")
        request = client.build_request(
            "GET", "/api/news/index.json", headers={"Accept-Encoding": "gzip"}
        )
        zipped = await client.send(request, stream=True)
        body = b"".join([chunk async for chunk in zipped.aiter_raw()])
        return raw.content, body

    raw, body = run(app, go)
    assert gzip.decompress(body) == raw
    assert json.loads(raw)["page"] == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://reader.example", "Accept-Encoding": "gzip"},
        {"Accept-Encoding": "identity"},
        {"Accept-Encoding": "gzip, br"},
    ],
)
def test_fast_path_answers_like_the_full_stack(app: Starlette, headers: dict[str, str]) -> None:
    """The second read of a page comes from the raw cache; nothing a client sees differs."""
    names = ("etag", "cache-control", "content-type", "content-encoding", "content-length")
    names += ("vary", "access-control-allow-origin", "access-control-expose-headers")

    async def go(client: httpx.AsyncClient) -> list[httpx.Response]:
        url = "/api/news/page/2/index.json?pageSize=5"
        slow = await client.get(url, headers=headers)
        assert app.state.serve.raw_cache.get(
            app.state.serve.version(), (url.split("?")[0], b"pageSize=5")
        )
        fast = await client.get(url, headers=headers)
        not_modified = await client.get(url, headers={"If-None-Match": fast.headers["etag"]})
        head = await client.head(url, headers={"Accept-Encoding": "identity"})
        return [slow, fast, not_modified, head]

    slow, fast, not_modified, head = run(app, go)
    assert fast.content == slow.content and fast.status_code == slow.status_code == 200
    assert {n: fast.headers.get(n) for n in names} == {n: slow.headers.get(n) for n in names}
    assert fast.headers["vary"] == "Accept-Encoding, Origin"
    gzipped = "gzip" in headers["Accept-Encoding"]
    assert fast.headers.get("content-encoding") == ("gzip" if gzipped else None)
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert head.content == b"" and int(head.headers["content-length"]) == len(slow.content)


def test_docs_list_every_serve_setting() -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "serve.md"
    assert serve_settings_markdown() in docs.read_text(encoding="utf-8")
