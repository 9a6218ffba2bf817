"""PostgresStore's own behaviour on a real server: schema and migrations, concurrent
writers, connection errors, and passwords kept out of every message.

The Store protocol itself is tested on both backends in test_store_sqlite.py.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before the imports that need it: without the driver, skip (conftest's pg_server fixture
# turns a missing server into a failure in CI; .ci/run installs both).
psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")

from everyday.errors import StoreError  # noqa: E402
from everyday.models import Source  # noqa: E402
from everyday.store.postgres import PostgresStore  # noqa: E402
from everyday.store.postgres_database import describe, parse_dsn  # noqa: E402
from everyday.store.postgres_migrations import MIGRATIONS, get_version, migrate  # noqa: E402
from everyday.store.postgres_rows import cluster_id  # noqa: E402
from pg_server import PASSWORD, PgServer, free_port  # noqa: E402
from store_samples import make_article  # noqa: E402

TESTS = Path(__file__).parent


@pytest.fixture
def store(pg_dsn: str) -> Iterator[PostgresStore]:
    with PostgresStore(pg_dsn) as s:
        yield s


@pytest.fixture
def empty_dsn(pg_server: PgServer) -> Iterator[str]:
    """A database that has never been migrated."""
    name, dsn = pg_server.create_database(migrated=False)
    yield dsn
    pg_server.drop_database(name)


def raw(dsn: str):  # type: ignore[no-untyped-def]
    """A plain driver connection (autocommit), to look under the store."""
    return psycopg.connect(dsn, autocommit=True)


def env_with_tests() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
    }


def assert_secret_free(error: BaseException, *secrets: str) -> None:
    """Neither the message nor the printed traceback (chained causes too) shows a secret."""
    printed = "".join(traceback.format_exception(error))
    for secret in secrets:
        assert secret not in str(error)
        assert secret not in printed


# -- schema and migrations -------------------------------------------------------------


def test_a_new_database_is_migrated_once_and_data_survives_reopen(empty_dsn):
    with PostgresStore(empty_dsn) as store:
        store.add_source(Source("https://e.x/feed"))
    with PostgresStore(empty_dsn) as store:  # second open: nothing to migrate
        assert store.get_source("https://e.x/feed") is not None
    with raw(empty_dsn) as conn:
        assert get_version(conn) == len(MIGRATIONS)
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
    assert tables == {
        "sources",
        "articles",
        "article_urls",
        "failures",
        "runs",
        "api_keys",
        "admin_log",
        "everyday_schema",
    }


def test_failed_migration_changes_nothing(empty_dsn):
    def good(c):
        c.execute("CREATE TABLE t (x integer)")

    def bad(c):
        c.execute("CREATE TABLE broken (")

    with raw(empty_dsn) as conn:
        with pytest.raises(psycopg.errors.SyntaxError):
            migrate(conn, [good, bad])
        assert get_version(conn) == 0
        assert conn.execute("SELECT to_regclass('t')").fetchone()[0] is None
        assert migrate(conn, [good]) == 1
        assert migrate(conn, [good]) == 1  # second run: nothing to do
        assert get_version(conn) == 1


def test_newer_schema_is_refused(pg_dsn):
    with raw(pg_dsn) as conn:
        conn.execute("UPDATE everyday_schema SET version = %s", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match="newer than this everyday") as e:
        PostgresStore(pg_dsn)
    assert "dbname=" in str(e.value)


def test_two_processes_opening_a_new_database_migrate_it_once(empty_dsn):
    results: list[object] = []

    def open_it() -> None:
        try:
            PostgresStore(empty_dsn).close()
            results.append("ok")
        except StoreError as e:  # pragma: no cover - the failure being tested
            results.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ok"] * 4
    with raw(empty_dsn) as conn:
        assert get_version(conn) == len(MIGRATIONS)


def test_columns_hold_instants_for_sorting_and_iso_text_for_callers(store, pg_dsn):
    from datetime import datetime, timedelta, timezone

    tokyo = datetime(2023, 1, 3, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    store.add_article(make_article("https://e.x/t", tokyo, is_published=True))
    store.add_source(Source("https://e.x/feed", next_check=tokyo))
    with raw(pg_dsn) as conn:
        published, is_published = conn.execute(
            "SELECT published_utc, is_published FROM articles"
        ).fetchone()
        next_check, next_check_utc = conn.execute(
            "SELECT next_check, next_check_utc FROM sources"
        ).fetchone()
    assert published == tokyo and is_published is True
    assert next_check == "2023-01-03T08:00:00+09:00" and next_check_utc == tokyo


@pytest.mark.parametrize(
    "tags",
    [
        (),
        ("ml",),
        ("story:123",),
        ("ml", "story:1152921504606846975", "story:7"),
        ("STORY:42",),
        ("story:",),
        ("story:abc",),
        ("story:12abc",),
        ("story:  -5",),
        ("story:+8",),
        ("story:99999999999999999999999",),
        ("story:-99999999999999999999999",),
        ("storyline:3", "story:4"),
    ],
)
def test_cluster_id_reads_the_story_tag_as_sqlite_does(tags):
    """The PostgreSQL store computes in Python what a SQLite trigger computes in SQL."""
    conn = sqlite3.connect(":memory:")
    row = conn.execute(
        "SELECT CAST(substr(value, 7) AS INTEGER) FROM json_each(?) "
        "WHERE value LIKE 'story:%' LIMIT 1",
        (str(list(tags)).replace("'", '"'),),
    ).fetchone()
    conn.close()
    assert cluster_id(tags) == (None if row is None else row[0])


# -- concurrent writers ----------------------------------------------------------------

WRITER = """
import sys
from dataclasses import replace
from store_samples import make_article
from everyday.models import Source
from everyday.store.postgres import PostgresStore

dsn, order, tag = sys.argv[1], sys.argv[2], sys.argv[3]
numbers = list(range(120))
if order == "down":
    numbers.reverse()
store = PostgresStore(dsn)
print("ready", flush=True)
sys.stdin.readline()  # go
for start in range(0, len(numbers), 30):
    with store.transaction():
        for i in numbers[start : start + 30]:
            store.add_source(Source(f"https://e.x/feed/{i % 7}"))
            article = make_article(f"https://e.x/{i}", original_url=f"https://feed.e.x/{i}")
            if tag == "b":  # the same stories found again, changed, by another URL
                article = replace(article, text="updated", fingerprint=f"fp-b-{i}")
            store.add_article(article, aliases=(f"https://{tag}.short.x/{i}",))
store.close()
print("done", flush=True)
"""


def test_two_processes_adding_the_same_articles_neither_duplicate_nor_fail(pg_dsn):
    """Overlapping batches in opposite orders: without the write lock this deadlocks."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), pg_dsn, order, tag],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env_with_tests(),
        )
        for order, tag in (("up", "a"), ("down", "b"))
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        for proc in procs:  # both connected: start them together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outcomes = [proc.communicate(timeout=60) for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
    for proc, (out, err) in zip(procs, outcomes, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "done"

    with PostgresStore(pg_dsn) as store:
        assert store.count_articles() == 120
        assert len(store.get_sources()) == 7
        for i in range(120):
            urls = (f"https://e.x/{i}", f"https://feed.e.x/{i}")
            urls += (f"https://a.short.x/{i}", f"https://b.short.x/{i}")
            found = {store.get_article(u).record.web_url for u in urls}  # type: ignore[union-attr]
            assert found == {f"https://e.x/{i}"}
            article = store.get_article(urls[0])
            assert article is not None  # the last writer's version, whole
            assert article.text == (
                "updated" if article.fingerprint.startswith("fp-b") else "Body text."
            )
    with raw(pg_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM article_urls").fetchone()[0] == 480


def test_a_second_writer_waits_for_the_first_instead_of_failing(pg_dsn):
    first, second = PostgresStore(pg_dsn), PostgresStore(pg_dsn)
    done = threading.Event()
    try:
        with first.transaction():
            first.add_article(make_article("https://e.x/1"))
            worker = threading.Thread(
                target=lambda: (second.add_article(make_article("https://e.x/1")), done.set())
            )
            worker.start()
            assert not done.wait(0.3)  # queued on the write lock
        worker.join(10)
        assert done.is_set()
        assert second.count_articles() == 1
    finally:
        first.close()
        second.close()


KILLED = """
import sys, time
from store_samples import make_article
from everyday.store.postgres import PostgresStore

store = PostgresStore(sys.argv[1])
with store.transaction():
    for i in range(40):
        store.add_article(make_article(f"https://e.x/committed/{i}"))
with store.transaction():
    for i in range(100):
        store.add_article(make_article(f"https://e.x/pending/{i}"))
    print("mid-batch", flush=True)
    time.sleep(120)
"""


def test_killed_writer_leaves_committed_batch_only(pg_dsn):
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED), pg_dsn],
        stdout=subprocess.PIPE,
        text=True,
        env=env_with_tests(),
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "mid-batch"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    with PostgresStore(pg_dsn) as store:
        assert store.count_articles() == 40
        assert not store.has_url("https://e.x/pending/0")
        # The dead session's write lock is released with it: writing goes on.
        assert store.add_article(make_article("https://e.x/pending/0")) is True


# -- connection errors and secrets -----------------------------------------------------


def test_describe_masks_secrets_and_keeps_the_rest():
    params = parse_dsn(f"postgresql://everyday:{PASSWORD}@db.example.org:5433/news?sslmode=require")
    text = describe(params)
    assert PASSWORD not in text
    assert (
        text
        == "host=db.example.org port=5433 dbname=news user=everyday password=*** sslmode=require"
    )
    assert describe(parse_dsn("host=h sslpassword=k3y")) == "host=h sslpassword=***"


@pytest.mark.parametrize(
    "dsn",
    [
        "",
        "   ",
        "garbage",
        f"postgresql://u:{PASSWORD} with space@h/db",
        f"mysql://u:{PASSWORD}@h/db",
    ],
)
def test_malformed_dsn_is_a_store_error_that_does_not_echo_it(dsn):
    with pytest.raises(StoreError, match=r"^\[storage\] dsn is (empty|not a PostgreSQL)") as e:
        PostgresStore(dsn)
    assert_secret_free(e.value, PASSWORD)


def test_unreachable_server_is_a_store_error_naming_it_without_the_password():
    port = free_port()  # nothing listens there
    dsn = f"postgresql://everyday:{PASSWORD}@127.0.0.1:{port}/news"
    with pytest.raises(StoreError, match="cannot connect") as e:
        PostgresStore(dsn)
    message = str(e.value)
    assert f"host=127.0.0.1 port={port} dbname=news user=everyday password=***" in message
    assert "refused" in message and "\n" not in message
    assert_secret_free(e.value, PASSWORD)


def test_wrong_password_and_unknown_database_are_clear_store_errors(pg_server):
    wrong = "Wrong-Guess-9876"
    with pytest.raises(StoreError, match="password authentication failed") as e:
        PostgresStore(pg_server.dsn("postgres", password=wrong))
    assert_secret_free(e.value, wrong, PASSWORD)
    with pytest.raises(StoreError, match='database "no_such_db" does not exist') as e:
        PostgresStore(pg_server.dsn("no_such_db"))
    assert_secret_free(e.value, PASSWORD)


def test_password_never_reaches_the_logs(pg_dsn, caplog):
    caplog.set_level(logging.DEBUG, logger="everyday")
    with PostgresStore(pg_dsn) as store:
        store.add_article(make_article("https://e.x/a"))
        assert PASSWORD not in repr(store)
    with pytest.raises(StoreError, match="cannot connect"):
        PostgresStore(re.sub(r":\d+/", f":{free_port()}/", pg_dsn))
    assert caplog.records
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)


def test_server_gone_mid_run_gives_store_errors_and_keeps_what_was_committed():
    """A server crashing under an open store: calls fail cleanly, nothing half-done."""
    server = PgServer.start()  # its own server: this one is crashed mid-test
    try:
        _, dsn = server.create_database()
        store = PostgresStore(dsn)
        store.add_article(make_article("https://e.x/before"))
        with pytest.raises(StoreError) as e, store.transaction():
            store.add_article(make_article("https://e.x/in-transaction"))
            server.crash()
            store.add_article(make_article("https://e.x/after-crash"))
        assert "server closed the connection unexpectedly" in str(e.value)
        assert_secret_free(e.value, PASSWORD)
        for call in (store.count_articles, lambda: store.add_source(Source("https://e.x/f"))):
            with pytest.raises(StoreError) as later:
                call()
            assert_secret_free(later.value, PASSWORD)
        store.close()
        store.close()
        with pytest.raises(StoreError, match="cannot connect"):
            PostgresStore(dsn)

        server.restart()
        with PostgresStore(dsn) as again:
            assert again.has_url("https://e.x/before")
            assert not again.has_url("https://e.x/in-transaction")
            assert again.count_articles() == 1
    finally:
        server.stop()
