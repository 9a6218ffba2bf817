"""``everyday init``, ``everyday run`` and ``everyday demo``."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from ..hub import init_hub
from ..settings import Settings, load_settings, with_overrides
from ..summary import RunSummary
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console, log_to_file, print_summary, progress_events

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(value: str) -> int:
    """``30m`` -> 1800 seconds; also ``90s``, ``2h``, ``1d`` or a bare number of seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", value)
    if not match or int(match.group(1)) == 0:
        raise click.BadParameter(f"{value!r} is not a duration like 30m, 2h or 90s")
    return int(match.group(1)) * UNITS[match.group(2) or "s"]


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", help="Hub title (default: A.I. Every Day).")
@click.option("--topic", help="Root topic every record carries (default: AI).")
@click.option("--url", help="Public URL the site will be served from.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="Feed URL to poll (repeatable). "
    "Without it the hub starts with a list of public AI news feeds.",
)
@click.option("--force", is_flag=True, help="Overwrite the config of an existing hub.")
def init(
    directory: Path,
    title: str | None,
    topic: str | None,
    url: str | None,
    sources: tuple[str, ...],
    force: bool,
) -> None:
    """Create a hub directory: everyday.toml, a default AI taxonomy and _news/.

    \b
    Example:
        everyday init myhub --title "Robotics Daily" --topic Robotics
    """
    path = init_hub(
        directory, title=title, topic=topic, url=url, sources=list(sources) or None, force=force
    )
    console.print(f"hub created in {path}; next: cd {directory} && everyday run")


def run_once(
    settings: Settings, hub_dir: Path, *, refresh: bool, all_sources: bool, show_progress: bool
) -> RunSummary:
    # Imported here: the options of this module serve light commands (build, serve) too.
    from ..app import open_hub
    from ..pipeline import run_pass

    with (
        log_to_file(settings.path(".everyday/everyday.log")),
        open_hub(hub_dir, settings) as hub,
        progress_events(show_progress) as events,
    ):
        summary = asyncio.run(
            run_pass(
                hub, datetime.now(UTC), refresh=refresh, all_sources=all_sources, on_event=events
            )
        )
    print_summary(summary, hub.news_dir)
    if settings.publish.build_after_run:
        from .build import build_and_report

        build_and_report(settings)
    return summary


def failed_everything(summary: RunSummary) -> bool:
    return summary.sources_polled > 0 and len(summary.sources_failed) == summary.sources_polled


@cli.command()
@hub_option
@click.option("--every", help="Keep going: run a pass, wait this long (30m, 2h...), repeat.")
@click.option("--refresh", is_flag=True, help="Re-fetch articles already stored and update them.")
@click.option("--all", "all_sources", is_flag=True, help="Poll every source, even if not due.")
@click.option("--no-progress", is_flag=True, help="No progress bar (logs and summary only).")
def run(
    hub_dir: Path | None, every: str | None, refresh: bool, all_sources: bool, no_progress: bool
) -> None:
    """Do one full pass: poll due sources, fetch new articles, extract, store records.

    \b
    Examples:
        everyday run                  # one pass over the sources that are due
        everyday run --all            # poll every source now
        everyday run --every 30m      # keep the hub fresh
    """
    hub_dir = resolve_hub(hub_dir)
    interval = parse_every(every) if every else None
    settings = load_settings(hub_dir)
    while True:
        summary = run_once(
            settings,
            hub_dir,
            refresh=refresh,
            all_sources=all_sources,
            show_progress=not no_progress and sys.stderr.isatty(),
        )
        if interval is None:
            sys.exit(EXIT_ATTENTION if failed_everything(summary) else 0)
        console.print(f"next pass in {every}; Ctrl-C stops")
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            sys.exit(130)


@cli.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("everyday-demo")
)
@click.option(
    "--port",
    type=int,
    default=8765,
    show_default=True,
    help="Port of the sample newswire on 127.0.0.1 (keep it the same between runs).",
)
@click.option("--serve", is_flag=True, help="Then serve the hub (live API and site) until Ctrl-C.")
@click.option(
    "--serve-port",
    type=int,
    default=8000,
    show_default=True,
    help="Port of the hub's server with --serve (127.0.0.1).",
)
def demo(directory: Path, port: int, serve: bool, serve_port: int) -> None:
    """Run a hub against the bundled sample newswire on 127.0.0.1 (no internet needed).

    Starts the newswire (several providers, RSS/Atom/JSON Feed, article pages, images,
    a few broken items), creates a hub in DIRECTORY pointed at it, runs one pass, builds
    the site, prints where the records are, and exits. Running it again on the same
    directory finds nothing new. With --serve it goes on serving the hub (the newswire
    keeps running, so passes started from the admin API work too).

    \b
    Examples:
        everyday demo /tmp/ai-hub
        everyday demo --serve        # then open http://127.0.0.1:8000/
    """
    from ..demo.newswire import Newswire

    with Newswire(port=port) as wire:
        if not (directory / "everyday.toml").exists():
            init_hub(directory, title="A.I. Every Day (demo)", sources=wire.feed_urls)
            console.print(f"demo hub created in {directory}")
        # The newswire lives on 127.0.0.1, which the SSRF guard blocks for real hubs.
        settings = with_overrides(
            load_settings(directory), "fetch", allow_private=True, hosts=tuple(wire.hosts)
        )
        run_once(
            settings, directory, refresh=False, all_sources=True, show_progress=sys.stderr.isatty()
        )
        console.print(f"done: open {directory / settings.storage.news_dir} to read the records")
        if serve:
            serve_demo(settings, serve_port)


def serve_demo(settings: Settings, port: int) -> None:
    """Serve the demo hub on 127.0.0.1 until Ctrl-C."""
    import uvicorn

    from ..serve.app import create_app

    console.print(f"serving the demo hub on http://127.0.0.1:{port}/ (Ctrl-C stops)")
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
