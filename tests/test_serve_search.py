"""Search text -> safe FTS5 expression, and the FTS5 index kept in step with the store."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from serve_samples import make_article

from everyday.serve.search import MAX_QUERY_LENGTH, QueryError, parse_query
from everyday.store import migrations
from everyday.store.search import ArticleQuery, connect_reader, count_articles, find_articles
from everyday.store.sqlite import SQLiteStore


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
        ("NEAR(a b)", '"NEAR" AND "a" AND "b"'),
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
    hostile = ["NEAR(", "a:b", "^x", "x AND", "(((", "'; DROP TABLE t; --", "\x00x", "ü*"]
    for text in hostile + ['"a b" OR c* -d', "x OR y OR z"]:
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (parse_query(text),)).fetchall()
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
    migrations.migrate(conn, migrations.MIGRATIONS[:4])  # as before serve existed
    conn.close()
    with SQLiteStore(path) as store:  # to make an old-schema row, add then downgrade
        pass
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA user_version = 4")
    for table in ("article_search", "article_topics", "api_keys", "admin_log"):
        conn.execute(f"DROP TABLE {table}")
    for column in ("provider_domain", "pinned_utc", "cluster_id"):
        for index in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE ?", (f"%{column}%",)
        ).fetchall():
            conn.execute(f"DROP INDEX {index[0]}")
        conn.execute(f"ALTER TABLE articles DROP COLUMN {column}")
    for index in ("articles_listed", "articles_heat", "articles_quality"):
        conn.execute(f"DROP INDEX {index}")
    old = make_article(5, title="Legacy quantum record")
    conn.execute(
        "INSERT INTO articles (url, published_utc, quality, heat, is_published, path, "
        "fingerprint, data) VALUES (?, '2024', 1, 1, 1, ?, 'f', ?)",
        (old.record.web_url, old.path, __import__("everyday.store.codec").store.codec.dumps_article(old)),
    )
    conn.close()
    with SQLiteStore(path) as store:
        assert search(store, "quantum") == [old.record.web_url]
        reader = connect_reader(str(path))
        try:
            topic = ArticleQuery(topic="Machine Learning", published=None)
            assert count_articles(reader, topic) == 1  # article 5: TOPICS[0]
        finally:
            reader.close()
