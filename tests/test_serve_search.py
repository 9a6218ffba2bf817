"""Search text -> safe FTS5 expression, and the FTS5 index kept in step with the store."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from everyday.serve.search import MAX_QUERY_LENGTH, QueryError, parse_query
from everyday.store import codec, migrations
from everyday.store import search as store_search
from everyday.store.search import (
    ArticleQuery,
    CommitWatch,
    connect_reader,
    count_articles,
    find_articles,
)
from everyday.store.sqlite import SQLiteStore
from serve_samples import make_article


@pytest.mark.parametrize(
    ("text", "expression"),
    [
        ("robot", '"robot"'),
        ("robot arms", '"robot" AND "arms"'),
        ('"robot arms"', '"robot arms"'),
        ("robo*", '"robo"*'),
        ("drones OR robots", '("drones" OR "robots")'),
        ("robots -toys", '("robots") NOT ("toys")'),
        ("state-of-the-art", '"state of the art"'),
        ("NEAR(a b)", '"NEAR a" AND "b"'),
        ("title:x", '"title x"'),
        ("été Café", '"été" AND "Café"'),
        ("OR robots", '"robots"'),
        ("robots OR", '"robots"'),
        ('" OR 1=1 --"', '"OR 1 1"'),
    ],
)
def test_queries_become_quoted_terms(text: str, expression: str) -> None:
    assert parse_query(text) == expression


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"robot', "unbalanced quote"),
        ("*", "nothing to search for"),
        ("-toys", "nothing to search for"),
        ("   ", "nothing to search for"),
        ("a*", "prefix"),
        ("x" * (MAX_QUERY_LENGTH + 1), "longer than"),
        (" ".join(["w"] * 17), "too many"),
    ],
)
def test_unreadable_queries_say_why(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_every_expression_is_accepted_by_fts5() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
    hostile = ["NEAR(", "a:b", "^x", "x AND", "(((", "'; DROP TABLE t; --", "\x00x", "üb*"]
    checked = 0
    for text in [*hostile, '"a b" OR cd* -d', "x OR y OR z"]:
        try:
            expression = parse_query(text)
        except QueryError:
            continue  # a 400 for the reader, never reaches FTS5
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (expression,)).fetchall()
        checked += 1
    assert checked == 9
    conn.close()


def search(store: SQLiteStore, text: str) -> list[str]:
    conn = connect_reader(str(store.path))
    try:
        query = ArticleQuery(match=parse_query(text), published=None, sort="rank", limit=50)
        return [a.record.web_url for a in find_articles(conn, query)]
    finally:
        conn.close()


def test_index_follows_inserts_updates_and_deletes(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "x.db") as store:
        first = make_article(1, title="Lidar startup maps tunnels")
        store.add_article(first)
        assert search(store, "tunnels") == [first.record.web_url]
        renamed = replace(first, record=replace(first.record, title="Sonar startup maps caves"))
        renamed = replace(renamed, fingerprint="changed")
        store.add_article(renamed)
        assert search(store, "tunnels") == []
        assert search(store, "caves") == [first.record.web_url]
        assert search(store, "marker1") == [first.record.web_url]  # the body text
        store.delete_article(first.record.web_url)
        assert search(store, "caves") == []
        conn = connect_reader(str(store.path))
        try:
            topics = conn.execute("SELECT count(*) FROM article_topics").fetchone()[0]
        finally:
            conn.close()
        assert topics == 0


def test_rolled_back_write_leaves_no_search_entry(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "x.db") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.add_article(make_article(3, title="Phantom article"))
            raise RuntimeError("pass killed")
        assert search(store, "phantom") == []
        assert store.count_articles() == 0


def test_upgrading_an_old_index_fills_the_search_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrations.migrate(conn, migrations.MIGRATIONS[:4])  # an index from before serve
    old = make_article(5, title="Legacy quantum record")
    conn.execute(
        "INSERT INTO articles (url, published_utc, quality, heat, is_published, path, "
        "fingerprint, data) VALUES (?, '2024', 1, 1, 1, ?, 'f', ?)",
        (old.record.web_url, old.path, codec.dumps_article(old)),
    )
    conn.close()
    with SQLiteStore(path) as store:
        assert search(store, "quantum") == [old.record.web_url]
        reader = connect_reader(str(path))
        try:
            topic = ArticleQuery(topic="Machine Learning", published=None)
            assert count_articles(reader, topic) == 1  # article 5 carries TOPICS[0]
            assert count_articles(reader, ArticleQuery(provider="LABLEDGER.example")) == 1
            assert count_articles(reader, ArticleQuery(provider="gradientpost.example")) == 0
        finally:
            reader.close()


def test_commit_watch_sees_every_commit_and_nothing_else(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "x.db") as store:
        store.add_article(make_article(1))
        watch = CommitWatch(str(store.path))
        reader = connect_reader(str(store.path))
        try:
            seen = [watch.version()]
            for n in range(2, 40):  # a pass commits batch after batch
                assert watch.version() == seen[-1]  # nothing new: the cheap answer
                find_articles(reader, ArticleQuery())  # reads change nothing
                with pytest.raises(RuntimeError), store.transaction():
                    store.add_article(make_article(1000 + n))
                    raise RuntimeError("rolled back")
                assert watch.version() == seen[-1]
                store.add_article(make_article(n))
                seen.append(watch.version())
                assert seen[-1] != seen[-2], n
        finally:
            reader.close()
            watch.close()


def test_commit_watch_without_wal_asks_sqlite_every_time(tmp_path: Path) -> None:
    path = tmp_path / "rollback.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (x)")
    watch = CommitWatch(str(path))
    try:
        before = watch.version()
        assert watch.version() == before
        conn.execute("INSERT INTO t VALUES (1)")
        assert watch.version() != before
    finally:
        watch.close()
        conn.close()


def test_relevance_ranks_the_newest_window_of_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the newest RANK_WINDOW matches are ranked: an older, better match is left out."""
    with SQLiteStore(tmp_path / "x.db") as store:
        best = make_article(1, title="Lidar lidar lidar survey", is_published=True)
        store.add_article(best)
        for n in range(2, 12):
            store.add_article(make_article(n, title=f"Notes {n} on lidar", is_published=True))
        assert search(store, "lidar")[0] == best.record.web_url
        monkeypatch.setattr(store_search, "RANK_WINDOW", 5)
        urls = search(store, "lidar")
        newest = [make_article(n).record.web_url for n in range(7, 12)]
        assert sorted(urls) == sorted(newest)  # the window: the 5 newest matches only
        assert best.record.web_url not in urls


@pytest.mark.parametrize("sort", ["date", "heat", "quality"])
def test_a_search_in_another_order_lets_the_full_text_index_lead(tmp_path: Path, sort: str) -> None:
    """The matches are found once, then sorted: no walk of the date index running MATCH per row.

    SQLite's planner, which cannot tell how many rows a MATCH finds, chose that walk for a
    plain JOIN (300 ms a search on 20,000 articles); the plan is read from SQLite itself.
    """
    with SQLiteStore(tmp_path / "x.db") as store:
        for n in range(1, 30):
            store.add_article(make_article(n, title=f"Lidar note {n}", is_published=True))
        conn = connect_reader(str(store.path))
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        try:
            query = ArticleQuery(match=parse_query("lidar"), sort=sort, limit=5)
            found = find_articles(conn, query)
            assert len(found) == 5 and count_articles(conn, query) == 29
            conn.set_trace_callback(None)
            selects = [s for s in statements if "MATCH" in s]
            assert len(selects) == 2  # the page and the count
            for sql in selects:
                plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
                assert plan[0].startswith("SCAN article_search VIRTUAL TABLE"), plan
                assert not any("articles_listed" in step for step in plan), plan
        finally:
            conn.close()
