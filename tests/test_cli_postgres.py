"""A hub whose index is on PostgreSQL, as a user meets it: settings, errors, run and build."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import Result

from everyday.app import open_store
from everyday.cli import build, run, serve  # noqa: F401  (registers the commands)
from everyday.demo.newswire import Newswire
from everyday.enrich_stories import clusters_of
from everyday.errors import ConfigError
from everyday.records.files import iter_record_files, read_record
from everyday.serve.app import create_app
from everyday.settings import DATABASE_URL_ENV, load_settings, with_overrides
from pg_server import PASSWORD, free_port
from serve_samples import get
from test_cli import invoke, wire_env

pytest.importorskip("psycopg")


def use_postgresql(hub_dir: Path) -> None:
    """Switch the hub's everyday.toml to the PostgreSQL backend (the dsn comes from env)."""
    config = hub_dir / "everyday.toml"
    text = config.read_text(encoding="utf-8")
    assert '# backend = "sqlite"' in text
    config.write_text(text.replace('# backend = "sqlite"', 'backend = "postgresql"'))


def said(result: Result) -> str:
    """The command's output on one line (rich wraps long errors at the terminal width)."""
    return " ".join(result.output.split())


# -- settings and configuration errors -------------------------------------------------


def test_database_url_overrides_the_dsn_of_the_file(hub_dir: Path) -> None:
    use_postgresql(hub_dir)
    settings = load_settings(hub_dir, env={DATABASE_URL_ENV: "postgresql://db.example/news"})
    assert settings.storage.backend == "postgresql"
    assert settings.storage.dsn == "postgresql://db.example/news"
    assert load_settings(hub_dir, env={}).storage.dsn == ""
    same = {DATABASE_URL_ENV: "host=a", "EVERYDAY_STORAGE_DSN": "host=a"}
    assert load_settings(hub_dir, env=same).storage.dsn == "host=a"


def test_database_url_and_storage_dsn_disagreeing_is_a_config_error(hub_dir: Path) -> None:
    env = {DATABASE_URL_ENV: f"postgresql://u:{PASSWORD}@a/x", "EVERYDAY_STORAGE_DSN": "host=b"}
    with pytest.raises(ConfigError, match="both set and differ") as e:
        load_settings(hub_dir, env=env)
    assert PASSWORD not in str(e.value)


@pytest.mark.parametrize(
    ("dsn", "message"),
    [("", "dsn is empty"), (f"postgresql://u:{PASSWORD} x@h/db", "not a PostgreSQL connection")],
)
def test_empty_or_malformed_dsn_is_a_config_error(hub_dir: Path, dsn: str, message: str) -> None:
    use_postgresql(hub_dir)
    settings = load_settings(hub_dir, env={DATABASE_URL_ENV: dsn} if dsn else {})
    with pytest.raises(ConfigError, match=message) as e:
        open_store(settings)
    assert DATABASE_URL_ENV in str(e.value)
    assert PASSWORD not in str(e.value)
    result = invoke("run", "--hub", str(hub_dir), env={DATABASE_URL_ENV: dsn})
    assert result.exit_code == 3
    assert message in said(result) and PASSWORD not in result.output


def test_without_psycopg_the_backend_is_a_config_error_naming_the_extra(
    hub_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m.startswith("everyday.store.postgres")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    use_postgresql(hub_dir)
    settings = load_settings(hub_dir, env={DATABASE_URL_ENV: "postgresql://h/db"})
    with pytest.raises(ConfigError, match=re.escape("pip install 'everyday[postgres]'")):
        open_store(settings)


def test_a_dsn_on_a_sqlite_hub_is_reported_unused(
    hub_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = load_settings(hub_dir, env={DATABASE_URL_ENV: "postgresql://h/db"})
    open_store(settings).close()
    assert "dsn is set but backend is 'sqlite'" in caplog.text
    assert (hub_dir / ".everyday" / "everyday.db").is_file()


def test_unknown_backend_is_a_config_error(hub_dir: Path) -> None:
    settings = with_overrides(load_settings(hub_dir, env={}), "storage", backend="mongodb")
    with pytest.raises(ConfigError, match=r"'mongodb' is not available.*'postgresql'"):
        open_store(settings)


def test_unreachable_server_is_a_storage_error_exit_code(hub_dir: Path) -> None:
    use_postgresql(hub_dir)
    dsn = f"postgresql://everyday:{PASSWORD}@127.0.0.1:{free_port()}/news"
    result = invoke("run", "--hub", str(hub_dir), "--no-progress", env={DATABASE_URL_ENV: dsn})
    assert result.exit_code == 4
    assert "cannot connect: connection failed" in said(result)
    assert "user=everyday password=***" in said(result)
    assert PASSWORD not in result.output


def test_serve_and_keys_stop_at_start_on_a_bad_dsn_or_server(hub_dir: Path) -> None:
    """What cannot work is said at once, as for other commands: config 3, server 4."""
    use_postgresql(hub_dir)
    unreachable = f"postgresql://everyday:{PASSWORD}@127.0.0.1:{free_port()}/news"
    malformed = f"postgresql://u:{PASSWORD} x@h/db"
    for command in (["serve"], ["keys", "list"], ["keys", "create", "--name", "bot"]):
        result = invoke(*command, "--hub", str(hub_dir), env={DATABASE_URL_ENV: malformed})
        assert result.exit_code == 3, (command, result.output)
        assert "not a PostgreSQL connection" in said(result)
        result = invoke(*command, "--hub", str(hub_dir), env={DATABASE_URL_ENV: unreachable})
        assert result.exit_code == 4, (command, result.output)
        assert "cannot connect" in said(result) and "password=***" in said(result)
        assert PASSWORD not in result.output
    with pytest.raises(ConfigError, match="not a PostgreSQL connection"):
        create_app(load_settings(hub_dir, env={DATABASE_URL_ENV: malformed}))
    assert not (hub_dir / ".everyday" / "everyday.db").exists()


def test_keys_made_by_the_cli_open_the_admin_api_of_a_postgresql_hub(
    hub_dir: Path, pg_dsn: str
) -> None:
    use_postgresql(hub_dir)
    env = {DATABASE_URL_ENV: pg_dsn}
    made = invoke("keys", "create", "--hub", str(hub_dir), "--name", "ops", env=env)
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    key_id = token.split("_")[1]
    listed = invoke("keys", "list", "--hub", str(hub_dir), env=env)
    assert key_id in listed.output and "admin" in listed.output

    app = create_app(load_settings(hub_dir, env=env))
    try:
        headers = {"Authorization": f"Bearer {token}"}
        assert get(app, "/api/admin/sources", headers=headers).status_code == 200
        assert invoke("keys", "revoke", "--hub", str(hub_dir), key_id, env=env).exit_code == 0
        assert get(app, "/api/admin/sources", headers=headers).status_code == 401
    finally:
        app.state.serve.close()
    again = invoke("keys", "revoke", "--hub", str(hub_dir), key_id, env=env)
    assert again.exit_code != 0 and f"no live key {key_id}" in said(again)
    assert not (hub_dir / ".everyday" / "everyday.db").exists()  # no SQLite index made


# -- end to end ------------------------------------------------------------------------


def test_run_then_build_with_the_index_on_postgresql(
    hub_dir: Path, newswire: Newswire, pg_dsn: str
) -> None:
    from everyday.store.postgres import PostgresStore

    use_postgresql(hub_dir)
    env = {**wire_env(newswire), DATABASE_URL_ENV: pg_dsn}
    first = invoke("run", "--hub", str(hub_dir), "--all", "--no-progress", env=env)
    assert first.exit_code == 0, first.output
    records = {read_record(p).web_url: p for p in iter_record_files(hub_dir / "_news")}
    assert len(records) >= 50
    assert re.search(rf"\b{len(records)} new\b", first.output), first.output
    assert not (hub_dir / ".everyday" / "everyday.db").exists()  # no SQLite index made

    with PostgresStore(pg_dsn) as store:
        articles = store.get_articles()
        assert {a.record.web_url for a in articles} == set(records)
        assert {str(hub_dir / a.path) for a in articles} == {str(p) for p in records.values()}
        assert {s.url for s in store.get_sources()} == set(newswire.feed_urls)
        assert all(s.last_checked is not None for s in store.get_sources())
        clusters = store.get_clusters()
        assert clusters and clusters == clusters_of(articles)  # stories filed by the index
        assert len(store.get_runs()) == 1

    again = invoke("run", "--hub", str(hub_dir), "--all", "--no-progress", env=env)
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated" in again.output

    built = invoke("build", "--hub", str(hub_dir), "--full", env=env)
    assert built.exit_code == 0, built.output
    page = json.loads((hub_dir / "_site/api/news/index.json").read_text())
    assert page["value"], "published records are listed"
    listed = {item["webUrl"] for item in page["value"]}
    assert listed <= set(records)
