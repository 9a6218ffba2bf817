"""The live API's PostgreSQL side on a real server: tsquery from reader text, the search
vector kept with the article, change notifications, keys, and the same answers as SQLite.

The HTTP tests of test_serve_api/admin/live run on both backends; these cover what only
PostgreSQL has, and compare the two backends' bytes for the same index.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")

from everyday.errors import StoreError  # noqa: E402
from everyday.serve import ServeSettings, create_app  # noqa: E402
from everyday.serve import keys_postgres as keys  # noqa: E402
from everyday.serve.search import QueryError, parse_tsquery  # noqa: E402
from everyday.store import codec  # noqa: E402
from everyday.store import postgres_search as pg_search  # noqa: E402
from everyday.store.postgres import PostgresStore  # noqa: E402
from everyday.store.postgres_changes import ChangeWatch  # noqa: E402
from everyday.store.postgres_database import PostgresDatabase  # noqa: E402
from everyday.store.postgres_migrations import MIGRATIONS, migrate  # noqa: E402
from everyday.store.postgres_text import MAX_POSITION, lexemes, search_vector  # noqa: E402
from everyday.store.search import ArticleQuery  # noqa: E402
from pg_server import PgServer  # noqa: E402
from serve_samples import fill, get, make_article, make_hub, run, seen, stored  # noqa: E402

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HOSTILE = [
    "'",
    "''",
    "\\",
    "it's",
    "a\\'b",
    "!robot",
    "robot & arms | x",
    "robot:*",
    "robot:A",
    "<-> <2>",
    "(((",
    "'; DROP TABLE articles; --",
    "\x00",
    "robot\x00arms",
    "ünïcödé Straße",
    "x" * 256,
    " ".join(["w"] * 16),
    '"a b" OR cd* -d',
]


@pytest.fixture
def store(pg_dsn: str) -> Iterator[PostgresStore]:
    with PostgresStore(pg_dsn) as s:
        yield s


def search(store: PostgresStore, text: str, **query: object) -> list[str]:
    query = {"published": None, "sort": "rank", "limit": 50, **query}
    found = pg_search.find_articles(
        store.connection,
        ArticleQuery(match=parse_tsquery(text), **query),  # type: ignore[arg-type]
    )
    return [a.record.web_url for a in found]


# -- reader text to tsquery ------------------------------------------------------------


def test_search_text_becomes_quoted_lexemes() -> None:
    assert parse_tsquery("Robot arms") == "'robot' & 'arms'"
    assert parse_tsquery('"robot arms"') == "('robot' <-> 'arms')"
    assert parse_tsquery("robo*") == "'robo':*"
    assert parse_tsquery("drones OR robots -toys") == "(('drones' | 'robots')) & !('toys')"
    assert parse_tsquery("Été") == "'ete'"
    assert parse_tsquery("it's") == "('it' <-> 's')"
    with pytest.raises(QueryError, match="nothing to search for"):
        parse_tsquery("-toys")


def test_every_tsquery_is_accepted_and_finds_only_what_holds_its_words(store) -> None:
    store.add_article(make_article(1, title="Robot arms: it's a state-of-the-art Straße"))
    checked = 0
    for text in HOSTILE:
        try:
            expression = parse_tsquery(text)
        except QueryError:
            continue  # a 400 for the reader, never reaches the server
        row = store.connection.execute("SELECT %s::tsquery AS q", (expression,)).fetchone()
        assert row is not None and row["q"]
        search(store, text)  # runs: no syntax error, whatever the text
        checked += 1
    assert checked == 13  # the other five have no word: a 400 before any query
    assert search(store, "robot & arms | x") == []  # "x" is a word here, not an operator
    assert search(store, "it's") == [make_article(1).record.web_url]
    assert search(store, "strasse") == []  # folding is lower case and accents, not ß


# -- the vector follows the article ----------------------------------------------------


def test_index_follows_inserts_updates_and_deletes(store) -> None:
    first = make_article(1, title="Lidar startup maps tunnels")
    store.add_article(first)
    assert search(store, "tunnels") == [first.record.web_url]
    renamed = replace(first, record=replace(first.record, title="Sonar startup maps caves"))
    store.add_article(replace(renamed, fingerprint="changed"))
    assert search(store, "tunnels") == []
    assert search(store, "caves") == [first.record.web_url]
    assert search(store, "marker1") == [first.record.web_url]  # the body text
    store.delete_article(first.record.web_url)
    assert search(store, "caves") == []


def test_rolled_back_write_leaves_no_search_entry(store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.add_article(make_article(3, title="Phantom article"))
        raise RuntimeError("pass killed")
    assert search(store, "phantom") == []


def test_accents_prefixes_and_phrases_within_a_field(store) -> None:
    article = make_article(1, title="Café robots", excerpt="Serving espresso daily")
    article = replace(article, text="Baristas cheer.")
    store.add_article(article)
    url = [article.record.web_url]
    assert search(store, "cafe") == search(store, "CAFÉ") == url
    assert search(store, "robo*") == search(store, "CAFÉ*") == search(store, "caf*") == url
    assert search(store, '"robots serving"') == []  # title and excerpt are not one phrase
    assert search(store, '"serving espresso"') == url
    assert search(store, "robots -baristas") == []


def test_vector_limits_keep_long_texts_searchable() -> None:
    words = [f"w{n}" for n in range(MAX_POSITION + 100)]
    vector = search_vector("Title", "", " ".join(words) + " tailword " + "y" * 3000)
    assert "'tailword':16383" in vector  # past the last position: kept, at the last one
    assert "yyy" not in vector  # over 2,047 bytes: left out
    many = search_vector("", "", " ".join(f"{n:0>20}" for n in range(60_000)))
    assert len(many.encode()) < 2_000_000  # lexemes capped under the server's 1 MB
    assert lexemes("Ünïcode_snake 3.5") == ["unicode", "snake", "3", "5"]


def test_long_texts_are_stored_and_found(store) -> None:
    text = " ".join(f"w{n}" for n in range(20_000)) + " needle " + "z" * 5000
    store.add_article(replace(make_article(1), text=text))
    assert search(store, "needle") == [make_article(1).record.web_url]
    many = " ".join(f"{n:0>24}" for n in range(50_000))  # 1.2 MB of distinct words
    store.add_article(replace(make_article(2), text=many))
    assert search(store, "000000000000000000000007") == [make_article(2).record.web_url]


def test_upgrading_an_old_index_fills_the_search_columns(pg_server: PgServer) -> None:
    name, dsn = pg_server.create_database(migrated=False)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            migrate(conn, MIGRATIONS[:4])  # an index from before serve ran on PostgreSQL
            old = make_article(5, title="Legacy quantum record")
            conn.execute(
                "INSERT INTO articles (url, published_utc, is_published, path, fingerprint, "
                "data) VALUES (%s, %s, true, %s, 'f', %s::json)",
                (old.record.web_url, old.record.published, old.path, codec.dumps_article(old)),
            )
        with PostgresStore(dsn) as store:
            assert search(store, "quantum") == [old.record.web_url]
            conn = store.connection
            topic = ArticleQuery(topic="Machine Learning", published=None)
            assert pg_search.count_articles(conn, topic) == 1  # article 5 carries TOPICS[0]
            assert pg_search.count_articles(conn, ArticleQuery(provider="LABLEDGER.example")) == 1
            assert (
                pg_search.count_articles(conn, ArticleQuery(provider="gradientpost.example")) == 0
            )
    finally:
        pg_server.drop_database(name)


def test_relevance_ranks_the_newest_window_of_matches(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    best = make_article(1, title="Lidar lidar lidar survey", is_published=True)
    store.add_article(best)
    for n in range(2, 12):
        store.add_article(make_article(n, title=f"Notes {n} on lidar", is_published=True))
    assert search(store, "lidar")[0] == best.record.web_url
    monkeypatch.setattr(pg_search, "RANK_WINDOW", 5)
    urls = search(store, "lidar")
    assert sorted(urls) == sorted(make_article(n).record.web_url for n in range(7, 12))
    assert search(store, "lidar", provider="labledger.example") == [
        make_article(n).record.web_url
        for n in (9,)  # the window first, then the filter
    ]


# -- change notifications --------------------------------------------------------------


def test_change_watch_counts_every_commit_and_nothing_else(store, pg_dsn: str) -> None:
    watch = ChangeWatch(pg_dsn)
    try:
        store.add_article(make_article(1))
        watch.sync()
        seen = [watch.version()]
        for n in range(2, 12):  # a pass commits batch after batch
            with pytest.raises(RuntimeError), store.transaction():
                store.add_article(make_article(1000 + n))
                raise RuntimeError("rolled back")
            store.add_source(replace_source(n))  # not an article: no change
            pg_search.find_articles(store.connection, ArticleQuery())  # reads change nothing
            watch.sync()
            assert watch.version() == seen[-1], n
            with store.transaction():
                store.add_article(make_article(n))
                store.add_article(make_article(100 + n))
            watch.sync()
            seen.append(watch.version())
            assert seen[-1] == seen[-2] + 1, n  # one batch, one change
    finally:
        watch.close()
        watch.close()


def replace_source(n: int):  # type: ignore[no-untyped-def]
    from everyday.models import Source

    return Source(f"https://feeds.example/{n}.xml")


def test_a_server_restart_is_a_503_then_the_api_recovers(tmp_path: Path) -> None:
    """Readers and the change watch reconnect by themselves; nothing stale is served."""
    server = PgServer.start()  # its own server: this one is crashed mid-test
    try:
        _, dsn = server.create_database()
        settings = make_hub(tmp_path, 5, dsn=dsn)
        app = create_app(settings, ServeSettings(search_rate=0))
        state = app.state.serve
        try:
            assert get(app, "/api/news/index.json").status_code == 200
            steady = state.version()
            assert state.version() == steady  # connected: cached answers stand
            server.crash()
            deadline = time.monotonic() + 10
            while state.version() == state.version():  # down: a new number every call
                assert time.monotonic() < deadline, "the watch never noticed"
                time.sleep(0.01)
            down = get(app, "/api/news/index.json")  # not the cached page: the index
            assert down.status_code == 503 and down.headers["retry-after"] == "5"
            server.restart()
            deadline = time.monotonic() + 15
            while state.version() != state.version():  # back: numbers hold still again
                assert time.monotonic() < deadline, "the watch never came back"
                time.sleep(0.01)
            with stored(settings) as store:
                fill(store, 1, start=6)
            seen(app)
            page = get(app, "/api/news/index.json")
            assert page.status_code == 200
            assert page.json()["value"][0]["title"] == make_article(6).record.title
        finally:
            state.close()
    finally:
        server.stop()


# -- keys ------------------------------------------------------------------------------


def test_keys_are_stored_hashed_checked_and_revocable(pg_dsn: str) -> None:
    db = PostgresDatabase(pg_dsn)
    try:
        with db.transaction():
            token, key = keys.create_key(db.conn, "deploy bot", "admin", NOW)
        assert token.startswith(f"evd_{key.id}_") and len(token) == 56
        secret = token.rsplit("_", 1)[1]
        stored = db.conn.execute("SELECT * FROM api_keys").fetchone()
        assert secret.encode() not in bytes(stored["hash"]) and len(stored["salt"]) == 16
        assert keys.check_token(db.conn, token) == key
        assert keys.check_token(db.conn, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
        assert keys.check_token(db.conn, "evd_00000000_" + secret) is None
        assert keys.check_token(db.conn, "not a token") is None
        assert keys.revoke_key(db.conn, token, NOW) is True  # a whole token names its key
        assert keys.revoke_key(db.conn, key.id, NOW) is False
        assert keys.check_token(db.conn, token) is None
        assert keys.list_keys(db.conn)[0].revoked == NOW
        with pytest.raises(ValueError, match="scope"):
            keys.create_key(db.conn, "x", "root", NOW)
        with pytest.raises(StoreError, match="cannot store the key"):
            keys.create_key(db.conn, "nul\x00name", "read", NOW)
    finally:
        db.close()


# -- the same answers as SQLite --------------------------------------------------------

SAME = [
    "/api/news/index.json",
    "/api/news/page/2/index.json?pageSize=7",
    "/api/news/computer-vision/index.json",
    "/api/news/index.json?provider=LabLedger.example&pageSize=100",
    "/api/news/index.json?from=2024-03-01&to=2024-03-02&pageSize=100",
    "/api/news/index.json?from=2024-03-01T10:00:00%2B02:00&pageSize=100",
    "/api/news/index.json?sort=heat&minQuality=60&pageSize=50",
    "/api/news/index.json?sort=quality&page=2&pageSize=9",
    "/api/news/index.json?q=robot&sort=date&pageSize=100",
    "/api/news/index.json?q=%22open%20source%22%20OR%20lidar&sort=date&pageSize=100",
    "/api/news/index.json?q=rob*%20-drone&sort=heat&pageSize=100",
    "/api/news/index.json?q=marker42&pageSize=100",
    "/api/news/index.json?q=nothinglikeit",
    "/api/news/page/3/index.json?q=model&sort=date&pageSize=5",
    "/api/topics/index.json?pageSize=100",
    "/api/providers/index.json",
    "/api/stories/4",
    "/healthz",
]


def test_both_backends_answer_the_same_bytes(tmp_path: Path, pg_dsn: str) -> None:
    lite = make_hub(tmp_path / "lite", 90)
    pg = make_hub(tmp_path / "pg", 90, dsn=pg_dsn)
    apps = [create_app(s, ServeSettings(search_rate=0)) for s in (lite, pg)]
    try:
        for settings in (lite, pg):  # a story and a pin, through each backend's own code
            app = apps[0] if settings is lite else apps[1]
            state = app.state.serve
            for n in (4, 8):
                assert set_story(state, make_article(n).record.web_url, 4)
            with state.store.transaction():
                assert state.index.set_pinned(make_article(11).record.web_url, NOW)
            state.index.changed()

        async def answers(client):  # type: ignore[no-untyped-def]
            return [(await client.get(path)) for path in SAME]

        got = [run(app, answers) for app in apps]
        for path, a, b in zip(SAME, *got, strict=True):
            assert (a.status_code, a.content) == (b.status_code, b.content), path
        assert got[0][0].json()["value"][0]["title"] == make_article(11).record.title
        ranked = [get(app, "/api/news/index.json?q=robot&pageSize=100").json() for app in apps]
        assert sorted(i["webUrl"] for i in ranked[0]["value"]) == sorted(
            i["webUrl"] for i in ranked[1]["value"]
        )  # the same matches; their order is each backend's ranking (docs/serve.md)
    finally:
        for app in apps:
            app.state.serve.close()


def set_story(state, url: str, cluster: int) -> bool:  # type: ignore[no-untyped-def]
    from everyday.store import search as lite_search

    conn = state.store.connection
    module = pg_search if isinstance(state.store, PostgresStore) else lite_search
    return bool(module.set_cluster(conn, url, cluster))
