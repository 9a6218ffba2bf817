"""The Store protocol against both backends, and SQLiteStore's own file behaviour.

Tests that take ``store`` or ``open_store`` run once on a SQLite file and once on a
fresh PostgreSQL database (tests/pg_server.py); those that take ``db_path`` are about
the SQLite file itself. PostgreSQL's own behaviour is in test_store_postgres.py.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from everyday.errors import StoreError
from everyday.models import Source
from everyday.store import migrations
from everyday.store.base import Failure, Store
from everyday.store.sqlite import SQLiteStore
from store_samples import T0, full_article, later, make_article

UTC = UTC
TESTS = Path(__file__).parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hub" / ".everyday" / "everyday.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def open_store(request: pytest.FixtureRequest, db_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens stores (a new connection each call) on one fresh index of the backend."""
    if request.param == "sqlite":
        factory: Callable[[], Store] = lambda: SQLiteStore(db_path)  # noqa: E731
    else:
        from everyday.store.postgres import PostgresStore

        dsn = request.getfixturevalue("pg_dsn")
        factory = lambda: PostgresStore(dsn)  # noqa: E731
    opened: list[Store] = []

    def make() -> Store:
        opened.append(factory())
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()


def pin(store: Store, url: str, when: datetime) -> None:
    """Pin an article as the admin API and `everyday articles pin` do."""
    with store.transaction():
        assert store.set_pinned(url, when)


@contextmanager
def raw(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain driver connection, to look under the store."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


# -- opening, migrations, errors -------------------------------------------------------


def test_open_creates_folders_and_uses_wal(db_path):
    with SQLiteStore(db_path) as store:
        assert db_path.is_file()
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_migrations_are_idempotent_and_data_survives_reopen(db_path):
    with SQLiteStore(db_path) as store:
        store.add_source(Source("https://e.x/feed"))
    with SQLiteStore(db_path) as store:
        assert store.get_source("https://e.x/feed") is not None
    with raw(db_path) as conn:
        assert migrations.get_version(conn) == len(migrations.MIGRATIONS)
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert {"sources", "articles", "article_urls", "failures", "runs"} <= set(names)
    assert len(names) == len(set(names))


def test_stories_are_read_from_the_story_index_alone(db_path):
    """Every build reads each filed article's path and story: an index-only scan (SQLite's
    own plan), and a story's articles are found through the same index."""
    SQLiteStore(db_path).close()
    with raw(db_path) as conn:
        clusters = conn.execute(
            "EXPLAIN QUERY PLAN SELECT path, cluster_id FROM articles WHERE cluster_id IS NOT NULL"
        ).fetchall()
        story = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM articles AS a WHERE a.cluster_id = 7"
        ).fetchall()
    assert "COVERING INDEX articles_story_path" in clusters[0][3]
    assert "articles_story_path" in story[0][3]


def test_failed_migration_changes_nothing(tmp_path):
    def good(c):
        c.execute("CREATE TABLE t (x)")

    def bad(c):
        c.execute("CREATE TABLE broken (")

    with raw(tmp_path / "m.db") as conn:
        with pytest.raises(sqlite3.Error):
            migrations.migrate(conn, [good, bad])
        assert migrations.get_version(conn) == 0
        assert conn.execute("SELECT name FROM sqlite_master WHERE name='t'").fetchone() is None
        assert migrations.migrate(conn, [good]) == 1
        assert migrations.migrate(conn, [good]) == 1  # second run: nothing to do


def test_newer_schema_is_refused(db_path):
    SQLiteStore(db_path).close()
    with raw(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {len(migrations.MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer than this everyday"):
        SQLiteStore(db_path)


def test_corrupt_file_is_a_clear_store_error(db_path):
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite, just garbage bytes\x00\xff" * 200)
    with pytest.raises(StoreError, match="cannot open the database: file is not a database") as e:
        SQLiteStore(db_path)
    assert str(db_path) in str(e.value)
    assert isinstance(e.value.__cause__, sqlite3.DatabaseError)


def test_closed_store_raises_store_error_with_cause(open_store):
    store = open_store()
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="count_articles failed") as e:
        store.count_articles()
    assert type(e.value.__cause__).__module__.split(".")[0] in {"sqlite3", "psycopg"}


def test_locked_database_is_a_store_error(db_path):
    with SQLiteStore(db_path) as writer, SQLiteStore(db_path, timeout=0.05) as other:
        with writer.transaction():
            writer.add_source(Source("https://e.x/a"))
            with pytest.raises(StoreError, match="locked") as e:
                other.add_source(Source("https://e.x/b"))
            assert isinstance(e.value.__cause__, sqlite3.OperationalError)
        assert other.get_source("https://e.x/a") is not None
        assert other.get_source("https://e.x/b") is None


# -- sources ------------------------------------------------------------------------


def test_add_get_set_delete_source(store):
    source = Source("https://e.x/feed.xml", kind="feed", title="E")
    assert store.add_source(source) is True
    assert store.add_source(replace(source, title="changed")) is False
    assert store.get_source(source.url) == source
    assert store.get_source("https://unknown.example/") is None

    fetched = replace(
        source,
        kind="sitemap",
        title="New title",
        etag='W/"abc"',
        last_modified="Tue, 07 Nov 2023 12:00:00 GMT",
        last_checked=T0,
        next_check=T0 + timedelta(minutes=30),
        error_count=2,
        last_error="HTTP 503",
        paused=True,
        interval_seconds=3600,
    )
    assert store.set_source(fetched) is True
    assert store.get_source(source.url) == fetched
    assert store.set_source(Source("https://unknown.example/")) is False
    assert store.get_source("https://unknown.example/") is None

    assert store.delete_source(source.url) is True
    assert store.delete_source(source.url) is False
    assert store.get_sources() == []


def test_get_sources_lists_in_insertion_order(store):
    urls = ["https://z.example/", "https://a.example/", "https://m.example/"]
    for url in urls:
        store.add_source(Source(url))
    assert [s.url for s in store.get_sources()] == urls


def test_due_sources_never_checked_first_then_most_overdue(store):
    now = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    plus3 = timezone(timedelta(hours=3))
    sources = [
        Source("https://future.example/", next_check=now + timedelta(seconds=1)),
        Source("https://late-1h.example/", next_check=now - timedelta(hours=1)),
        Source("https://new.example/"),  # never checked: due now
        # 13:00+03:00 is 10:00 UTC, two hours late although its wall clock is later.
        Source("https://late-2h.example/", next_check=datetime(2024, 5, 1, 13, 0, tzinfo=plus3)),
        Source("https://exactly-now.example/", next_check=now),
        Source("https://paused.example/", next_check=now - timedelta(days=1), paused=True),
    ]
    for source in sources:
        store.add_source(source)

    due = store.get_sources(due_before=now, include_paused=False)
    assert [s.url for s in due] == [
        "https://new.example/",
        "https://late-2h.example/",
        "https://late-1h.example/",
        "https://exactly-now.example/",
    ]
    due_all = store.get_sources(due_before=now)
    assert [s.url for s in due_all][1] == "https://paused.example/"
    assert len(store.get_sources(include_paused=False)) == 5
    # The offset the caller used comes back unchanged.
    assert store.get_source("https://late-2h.example/").next_check.utcoffset() == timedelta(hours=3)


# -- articles -----------------------------------------------------------------------


def test_add_and_get_full_article(store):
    article = full_article()
    assert store.add_article(article) is True
    assert store.get_article(article.record.web_url) == article
    assert store.count_articles() == 1


def test_same_fingerprint_is_no_change(store):
    article = make_article("https://e.x/a", fingerprint="fp1", text="first text")
    assert store.add_article(article) is True
    assert store.add_article(replace(article, text="other text")) is False
    assert store.get_article("https://e.x/a").text == "first text"
    assert store.count_articles() == 1


def test_changed_fingerprint_updates_in_place(store):
    article = make_article("https://e.x/a", is_published=False)
    store.add_article(article)
    changed = later(article, title="Better title", heat=90, is_published=True)
    assert store.add_article(changed) is True
    assert store.get_article("https://e.x/a") == changed
    assert store.count_articles() == 1
    assert [a.record.title for a in store.get_articles(published_only=True)] == ["Better title"]


def test_empty_fingerprint_compares_the_whole_document(store):
    article = make_article("https://e.x/a", fingerprint="")
    assert store.add_article(article) is True
    assert store.add_article(article) is False
    assert store.add_article(replace(article, text="new")) is True
    assert store.get_article("https://e.x/a").text == "new"


def test_first_seen_keeps_the_earliest(store):
    first = make_article("https://e.x/a", first_seen=T0)
    store.add_article(first)
    assert store.add_article(replace(later(first), first_seen=T0 + timedelta(days=1)))
    assert store.get_article("https://e.x/a").first_seen == T0
    assert store.add_article(replace(later(later(first)), first_seen=T0 - timedelta(days=1)))
    assert store.get_article("https://e.x/a").first_seen == T0 - timedelta(days=1)


def test_aliases_lead_to_one_article(store):
    article = make_article("https://e.x/canonical", original_url="https://feed.e.x/r/1")
    assert store.add_article(article, aliases=("https://e.x/amp/canonical",)) is True
    for url in ("https://e.x/canonical", "https://feed.e.x/r/1", "https://e.x/amp/canonical"):
        assert store.has_url(url)
        assert store.get_article(url) == article
    assert not store.has_url("https://e.x/other")
    assert store.get_article("https://e.x/other") is None

    # The same story reached from a short link, same fingerprint: no change reported,
    # still one record, and the new URL now leads to it.
    assert store.add_article(article, aliases=("https://t.co/xyz",)) is False
    assert store.count_articles() == 1
    assert store.get_article("https://t.co/xyz") == article


def test_canonical_url_found_later_moves_the_key_and_keeps_the_old_url(store):
    first = make_article("https://feed.e.x/r/1")  # only the feed link was known
    store.add_article(first)
    canonical = later(first, web_url="https://e.x/story", original_url="https://feed.e.x/r/1")
    assert store.add_article(canonical) is True
    assert store.count_articles() == 1
    assert store.get_article("https://feed.e.x/r/1") == canonical
    assert store.get_article("https://e.x/story") == canonical
    assert store.add_article(canonical) is False


def test_alias_owned_by_another_article_is_not_stolen(store):
    a = make_article("https://e.x/a")
    b = make_article("https://e.x/b")
    store.add_article(a)
    store.add_article(b)
    c = later(a, original_url="https://e.x/b")  # claims b's URL as its original
    assert store.add_article(c) is True
    assert store.count_articles() == 2
    assert store.get_article("https://e.x/b") == b
    assert store.get_article("https://e.x/a") == c


def test_get_articles_newest_first_with_since_and_limit(store):
    plus9 = timezone(timedelta(hours=9))
    times = {
        "https://e.x/old": datetime(2023, 1, 1, tzinfo=UTC),
        "https://e.x/tokyo": datetime(2023, 1, 3, 8, 0, tzinfo=plus9),  # Jan 2 23:00 UTC
        "https://e.x/naive": datetime(2023, 1, 3, 0, 30),  # treated as UTC
        "https://e.x/new": datetime(2023, 1, 4, tzinfo=UTC),
    }
    for url, published in times.items():
        store.add_article(make_article(url, published, is_published=url != "https://e.x/new"))
    order = [a.record.web_url for a in store.get_articles()]
    assert order == ["https://e.x/new", "https://e.x/naive", "https://e.x/tokyo", "https://e.x/old"]
    since = datetime(2023, 1, 2, 23, 0, tzinfo=UTC)
    assert [a.record.web_url for a in store.get_articles(since=since)] == order[:3]
    assert [a.record.web_url for a in store.get_articles(limit=2)] == order[:2]
    published = store.get_articles(published_only=True, limit=1)
    assert [a.record.web_url for a in published] == ["https://e.x/naive"]
    assert store.get_articles(limit=0) == []


def test_delete_article_by_alias_removes_its_urls(store):
    article = make_article("https://e.x/a", original_url="https://feed.e.x/a")
    store.add_article(article)
    store.add_article(make_article("https://e.x/keep"))
    assert store.delete_article("https://feed.e.x/a") is True
    assert not store.has_url("https://e.x/a") and not store.has_url("https://feed.e.x/a")
    assert store.delete_article("https://e.x/a") is False
    assert store.count_articles() == 1
    # The key is free again: re-adding inserts a fresh record.
    assert store.add_article(article) is True


def test_clusters_follow_the_first_story_tag(store):
    a = replace(make_article("https://e.x/a"), tags=("ml", "story:123"))
    store.add_article(a)
    store.add_article(make_article("https://e.x/b"))
    assert store.get_clusters() == {a.path: "123"}
    moved = replace(later(a), tags=("story:456", "story:789"))
    store.add_article(moved)
    assert store.get_clusters() == {a.path: "456"}
    store.add_article(replace(later(moved), tags=("ml",)))
    assert store.get_clusters() == {}


def test_pins_list_pinned_records_in_utc(store):
    a = make_article("https://e.x/a")
    b = make_article("https://e.x/b", original_url="https://feed.e.x/b")
    store.add_article(a)
    store.add_article(b)
    assert store.get_pins() == {}
    plus2 = timezone(timedelta(hours=2))
    pin(store, "https://feed.e.x/b", datetime(2024, 5, 1, 14, 0, tzinfo=plus2))
    assert store.get_pins() == {b.path: "2024-05-01T12:00:00.000000+00:00"}


def test_tagged_articles_are_found_by_tag_not_by_text(store):
    newer = T0 + timedelta(days=1)
    tagged = replace(make_article("https://e.x/t", newer), tags=("ml", "editor:unpublished"))
    older = replace(make_article("https://e.x/o"), tags=("editor:published",))
    lookalike = make_article("https://e.x/l", title='He said "editor:published" twice')
    percent = replace(make_article("https://e.x/p"), tags=("edit%r:x", "editorial"))
    with store.transaction():
        for article in (older, tagged, lookalike, percent):
            store.add_article(article)
    assert [a.record.web_url for a in store.get_tagged("editor:")] == [
        "https://e.x/t",  # newest first
        "https://e.x/o",
    ]  # not the title that quotes a tag, not a tag LIKE's wildcards would match
    assert store.get_tagged("edit%r:") == [store.get_article("https://e.x/p")]


def test_documents_come_back_as_written(store):
    """NUL and other control characters, and the key order of a legacy mapping."""
    article = make_article(
        "https://e.x/nul", fingerprint="fp", title="A\x00title\x1f", text="body\x00\u2028end"
    )
    mapping = {"zeta": 1, "alpha": {"y": 2, "b": 3}}
    article = replace(article, record=replace(article.record, extra=(("map", mapping),)))
    store.add_article(article)
    stored = store.get_article("https://e.x/nul")
    assert stored == article
    assert list(stored.record.extra[0][1]) == ["zeta", "alpha"]
    assert list(stored.record.extra[0][1]["alpha"]) == ["y", "b"]


# -- failures and runs --------------------------------------------------------------


def test_failures_record_and_expire(store):
    url = "https://e.x/broken"
    store.add_failure(url, "https://e.x/feed", "HTTP 404", T0)
    store.add_failure(url, None, "not HTML", T0 + timedelta(hours=1))
    assert store.get_failures(url) == [
        Failure(url, "not HTML", T0 + timedelta(hours=1), None),
        Failure(url, "HTTP 404", T0, "https://e.x/feed"),
    ]
    assert store.get_failures("https://e.x/fine") == []
    day = timedelta(days=1)
    last = T0 + timedelta(hours=1)
    assert store.has_recent_failure(url, last + day, within=day)  # boundary included
    assert not store.has_recent_failure(url, last + day + timedelta(seconds=1), within=day)
    assert not store.has_recent_failure("https://e.x/fine", T0, within=day)
    assert store.delete_failures(url) == 2
    assert not store.has_recent_failure(url, last, within=day)


def test_runs(store):
    first = store.add_run(T0)
    second = store.add_run(T0 + timedelta(hours=1))
    assert second > first
    summary = {"errors": ["https://e.x/feed: HTTP 503"], "until": T0, "ratio": 0.25}
    assert store.set_run(first, T0 + timedelta(minutes=5), {"new": 3, "updated": 1}, summary)
    assert store.set_run(999, T0, {}, {}) is False
    runs = store.get_runs(limit=10)
    assert [r.id for r in runs] == [second, first]
    assert runs[0].finished is None and runs[0].counts == {}
    assert runs[1].started == T0
    assert runs[1].finished == T0 + timedelta(minutes=5)
    assert runs[1].counts == {"new": 3, "updated": 1}
    assert runs[1].summary == summary
    assert [r.id for r in store.get_runs(limit=1)] == [second]


# -- transactions, concurrency, crashes ---------------------------------------------


def test_transaction_commits_once_and_rolls_back_on_error(store):
    with store.transaction():
        store.add_article(make_article("https://e.x/1"))
        store.add_article(make_article("https://e.x/2"))
    with pytest.raises(RuntimeError), store.transaction():
        store.add_article(make_article("https://e.x/3"))
        store.add_source(Source("https://e.x/feed"))
        raise RuntimeError("pipeline step failed")
    assert store.count_articles() == 2
    assert not store.has_url("https://e.x/3")
    assert store.get_source("https://e.x/feed") is None


def test_nested_transaction_failure_undoes_only_the_inner_part(store):
    with store.transaction():
        store.add_article(make_article("https://e.x/outer"))
        with pytest.raises(RuntimeError), store.transaction():
            store.add_article(make_article("https://e.x/inner"))
            raise RuntimeError("one article failed")
        store.add_article(make_article("https://e.x/after"))
    assert store.has_url("https://e.x/outer") and store.has_url("https://e.x/after")
    assert not store.has_url("https://e.x/inner")


def test_reader_sees_only_committed_data_while_writer_is_open(open_store):
    writer, reader = open_store(), open_store()
    writer.add_article(make_article("https://e.x/committed"))
    with writer.transaction():
        writer.add_article(make_article("https://e.x/pending"))
        writer.add_source(Source("https://e.x/feed"))
        # The reader is not blocked (WAL, MVCC) and sees the last committed state.
        assert reader.count_articles() == 1
        assert reader.has_url("https://e.x/committed")
        assert not reader.has_url("https://e.x/pending")
        assert reader.get_sources() == []
        assert writer.count_articles() == 2  # the writer sees its own writes
    assert reader.has_url("https://e.x/pending")
    assert reader.count_articles() == 2


WRITER = """
import sys, time
from store_samples import make_article
from everyday.store.sqlite import SQLiteStore

store = SQLiteStore(sys.argv[1])
with store.transaction():
    for i in range(40):
        store.add_article(make_article(f"https://e.x/committed/{i}"))
with store.transaction():
    for i in range(200):
        store.add_article(make_article(f"https://e.x/pending/{i}", text="x" * 40_000))
    print("mid-batch", flush=True)
    time.sleep(120)
"""


def test_killed_writer_leaves_committed_batch_only(db_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "mid-batch"
        # The uncommitted batch (8 MB) overflowed the page cache into the WAL, so
        # recovery really has to ignore uncommitted frames.
        assert Path(f"{db_path}-wal").stat().st_size > 4_000_000
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL

    with SQLiteStore(db_path) as store:
        assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.count_articles() == 40
        assert all(store.has_url(f"https://e.x/committed/{i}") for i in range(40))
        assert not any(store.has_url(f"https://e.x/pending/{i}") for i in range(200))
        assert store.add_article(make_article("https://e.x/after-crash")) is True
