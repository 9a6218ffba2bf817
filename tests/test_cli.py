"""The ``everyday`` command as a user meets it: help, init, demo, run, sources, records."""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import urlsplit

import click
import pytest
from click.testing import CliRunner, Result

from everyday.cli import cli, records, run, sources  # noqa: F401  (registers the commands)
from everyday.cli.run import parse_every
from everyday.demo.newswire import Newswire
from everyday.records.files import iter_record_files
from everyday.settings import load_settings
from everyday.sources.opml import parse_opml


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def wire_env(wire: Newswire) -> dict[str, str]:
    return {"EVERYDAY_FETCH_ALLOW_PRIVATE": "true", "EVERYDAY_FETCH_HOSTS": ",".join(wire.hosts)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
    return found


def test_every_command_has_help_with_an_example() -> None:
    top = invoke("--help")
    assert top.exit_code == 0
    for name in ("demo", "init", "run", "sources", "records"):
        assert name in top.output
    for path in all_commands(cli):
        result = invoke(*path, "--help")
        assert result.exit_code == 0, path
        assert "Example" in result.output, path


def test_init_creates_a_hub_and_refuses_to_overwrite(tmp_path: Path) -> None:
    hub = tmp_path / "myhub"
    result = invoke(
        "init", str(hub), "--title", "Robotics Daily", "--source", "https://example.org/feed"
    )
    assert result.exit_code == 0, result.output
    settings = load_settings(hub, env={})
    assert settings.site.title == "Robotics Daily"
    assert settings.sources == ("https://example.org/feed",)
    assert any((hub / "_data" / "topics").glob("*.yaml"))
    again = invoke("init", str(hub))
    assert again.exit_code == 3
    assert "error:" in again.output


def test_run_outside_a_hub_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("run")
    assert result.exit_code == 3
    assert "everyday.toml" in result.output


def test_demo_collects_then_finds_nothing_new(tmp_path: Path) -> None:
    port = str(free_port())
    hub = tmp_path / "demo"
    first = invoke("demo", str(hub), "--port", port)
    assert first.exit_code == 0, first.output
    count = len(list(iter_record_files(hub / "_news")))
    assert count >= 50
    assert f"{count} new" in first.output
    assert "skipped" in first.output and "http-404" in first.output
    # Not a terminal: one line per problem, the URL whole (greppable, pasteable).
    skipped = [line for line in first.output.splitlines() if line.startswith("  skipped article")]
    assert any(re.fullmatch(r"  skipped article http://\S+/\S+: http-404: .+", s) for s in skipped)
    second = invoke("demo", str(hub), "--port", port)
    assert second.exit_code == 0, second.output
    assert "0 new, 0 updated" in second.output
    assert len(list(iter_record_files(hub / "_news"))) == count


def test_sources_add_list_remove_and_opml(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    invoke("init", str(hub), "--source", "https://example.org/feed")
    with Newswire() as wire:
        env = wire_env(wire)
        feed = wire.feed_urls[0]
        added = invoke("sources", "add", "--hub", str(hub), feed, env=env)
        assert added.exit_code == 0, added.output
        assert "added" in added.output and "(feed)" in added.output
        # a web page: its advertised feed is what gets added
        page = invoke("sources", "add", "--hub", str(hub), wire.home_url("tickerside"), env=env)
        assert page.exit_code == 0, page.output
        assert wire.feed_url("tickerside") in page.output
        listed = invoke("sources", "list", "--hub", str(hub), env=env)
        assert "never" in listed.output
        assert feed in load_settings(hub, env={}).sources

        opml = tmp_path / "subs.opml"
        where = urlsplit(wire.opml_url)
        opml.write_bytes(wire.respond("GET", where.path, {"host": where.netloc}).body)
        imported = invoke("sources", "import-opml", "--hub", str(hub), str(opml), env=env)
        assert imported.exit_code == 0, imported.output
        assert "already there" in imported.output

    exported = invoke("sources", "export-opml", "--hub", str(hub))
    urls = {o.xml_url for o in parse_opml(exported.output.encode())}
    assert set(wire.feed_urls) <= urls
    removed = invoke("sources", "remove", "--hub", str(hub), feed)
    assert removed.exit_code == 0
    assert feed not in load_settings(hub, env={}).sources
    missing = invoke("sources", "remove", "--hub", str(hub), "https://nowhere.example/")
    assert missing.exit_code == 1


def test_records_check_and_fmt(tmp_path: Path) -> None:
    news = tmp_path / "_news"
    news.mkdir()
    good = (
        '---\ncategory: news\ntitle: "A chip"\nexcerpt: "Fast."\n'
        "publishedDateTime: 2024-01-02T03:04:05Z\n"
        'originalUrl: "https://example.org/a"\nwebUrl: "https://example.org/a"\ntype: article\n\n'
        "provider:\n  name: Example\n  domain: example.org\n\ntopics:\n  - AI\n---\n\n"
    )
    (news / "2024-01-02-a-chip.md").write_text(good)
    (news / "2024-01-03-legacy.md").write_text(
        good.replace('"https://example.org/a"', "https://example.org/a")
    )
    (news / "2024-01-04-broken.md").write_text("---\ntitle: [unclosed\n---\n")
    check = invoke("records", "check", str(news))
    assert check.exit_code == 1
    assert "2024-01-04-broken.md" in check.output
    fmt_check = invoke("records", "fmt", "--check", str(news))
    assert fmt_check.exit_code == 1
    assert "2024-01-03-legacy.md" in fmt_check.output
    assert invoke("records", "fmt", str(news)).exit_code == 0
    assert (news / "2024-01-03-legacy.md").read_text() == good
    (news / "2024-01-04-broken.md").unlink()
    assert invoke("records", "check", str(news)).exit_code == 0
    assert invoke("records", "fmt", "--check", str(news)).exit_code == 0


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800), ("2h", 7200), ("90s", 90), ("45", 45), ("1d", 86400)]
)
def test_every_accepts_durations(text: str, seconds: int) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "0m", "soon", "5x", "-1m"])
def test_every_rejects_nonsense(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_every(text)


def test_every_command_is_in_the_cli_docs() -> None:
    from everyday.cli import build, enrich, newsletter, secure, serve, topics  # noqa: F401

    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    for path in all_commands(cli):
        assert f"everyday {path[0]}" in docs, path
        assert path[-1] in docs, path


def test_every_command_is_found_where_the_lazy_table_says() -> None:
    """Commands load on demand from COMMANDS; a command missing there would vanish."""
    import importlib
    import pkgutil

    import everyday.cli as package
    from everyday.cli import COMMANDS

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"everyday.cli.{info.name}")
    assert set(cli.commands) == set(COMMANDS)
    for name, command in cli.commands.items():
        module, short = COMMANDS[name]
        assert command.callback is not None, name
        assert command.callback.__module__ == f"everyday.cli.{module}", name
        assert command.get_short_help_str(10_000) == short, name
    assert CliRunner().invoke(cli, ["--help"]).output.count("\n  ") >= len(COMMANDS)


def test_the_command_list_loads_no_command() -> None:
    """`everyday --help` lists every command from the table: importing them all took 1.4 s."""
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from everyday.cli import cli; "
        "out = CliRunner().invoke(cli, ['--help']).output; "
        "print(sorted(m for m in sys.modules if m.startswith('everyday.cli.'))); print(out)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    loaded, _, listing = done.stdout.partition("\n")
    assert loaded == "['everyday.cli.output']", done.stderr
    for name in ("build", "serve", "topics"):
        assert f"\n  {name} " in listing
    assert "Build the static site: JSON API, web pages" in listing


def test_light_commands_start_without_the_pipeline() -> None:
    """`everyday build` (and `--help` of a command) must not pay for scikit-learn and the
    extractor, which the collect and enrich commands need: 1.4 s before anything ran; nor
    for asyncio, Pillow and rich's progress bar (37 ms of a 0.2 s start)."""
    import subprocess
    import sys

    heavy = ("sklearn", "scipy", "trafilatura", "everyday.pipeline", "asyncio", "PIL")
    heavy += ("rich.progress", "rich.table", "rich.console")
    code = (
        "import sys, everyday.cli.build, everyday.cli.records;"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("code", "status", "stderr"), [("3", 3, ""), ("None", 0, ""), ("'bad news'", 1, "bad news\n")]
)
def test_leave_exits_as_sys_exit_after_the_exit_handlers(
    code: str, status: int, stderr: str
) -> None:
    """`leave` skips only the heap's teardown: handlers run and buffered output is written."""
    import subprocess
    import sys

    program = (
        "import atexit; from everyday.cli import leave; "
        "atexit.register(lambda: print('handler ran')); print('buffered'); "
        f"leave({code})"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == status
    assert done.stdout == "buffered\nhandler ran\n"
    assert done.stderr == stderr


def test_the_everyday_process_builds_and_reports(tmp_path: Path) -> None:
    """The console script's path (main, then leave): the site is written and reported."""
    import subprocess
    import sys

    from build_samples import fill, make_hub

    settings, taxonomy = make_hub(tmp_path / "hub")
    fill(settings, taxonomy, 30)
    out = tmp_path / "site"
    command = [sys.executable, "-m", "everyday", "build", "--hub", str(settings.hub_dir)]
    done = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "index.html").is_file() and (out / "api/news/index.json").is_file()
    written = len([p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")])
    assert f"site: {written} written, 0 unchanged" in done.stdout
    again = subprocess.run([*command, "--out", str(out)], capture_output=True, text=True)
    assert again.returncode == 0 and f"0 written, {written} unchanged" in again.stdout
    assert re.search(r" in \S+ \(\d+\.\d\d s\)$", again.stdout.strip())  # and how long


def test_problems_on_a_terminal_wrap_in_their_cells_and_are_not_markup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rich.console import Console

    from everyday.cli import output

    screen = Console(force_terminal=True, width=60, record=True, color_system=None)
    monkeypatch.setattr(output, "console", screen)
    url = "http://example.org/" + "a-very-long-path-segment/" * 4 + "end"
    output.print_problems("Articles skipped", "skipped article", {url: "[smtp] refused"})
    text = screen.export_text()
    assert "…" not in text and "[smtp] refused" in text
    cells = "".join(line.strip("│ ").split("│")[0].strip() for line in text.splitlines()[3:-1])
    assert url in cells  # folded over several lines, every character kept


def test_a_pass_counts_what_the_hubs_filters_left_out_and_lists_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from rich.console import Console

    from everyday.cli import output
    from everyday.summary import RunSummary

    screen = Console(force_terminal=False, width=200, record=True, color_system=None)
    monkeypatch.setattr(output, "console", screen)
    summary = RunSummary()
    for n in range(3):
        summary.skip(f"https://a.example/{n}", "off-topic: the taxonomy finds no topic")
    summary.skip("https://a.example/ad", "excluded: matches [collect] exclude '^sponsored'")
    summary.skip("https://a.example/gone", "http-404: HTTP 404 (gone)")
    output.print_summary(summary, tmp_path)
    text = screen.export_text()
    assert "left out by [collect] exclude / require_topic: 3 off-topic, 1 excluded" in text
    assert "https://a.example/gone: http-404" in text  # a failure: listed, to look into
    assert "https://a.example/0" not in text and "https://a.example/ad" not in text
