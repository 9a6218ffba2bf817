"""``everyday build``: write the static site folder (JSON API, pages, feeds)."""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from ..app import open_store
from ..build import build_hub
from ..publish.output import BuildReport
from ..settings import Settings, load_settings
from ..taxonomy import load_taxonomy
from . import cli, process_ends
from .options import hub_option, resolve_hub
from .output import console


def build_and_report(
    settings: Settings, out_dir: Path | None = None, full: bool = False
) -> BuildReport:
    """Build the hub's site and print what changed (shared with ``everyday run``).

    ``full`` ignores the build state and renders every file; unchanged bytes are still
    not rewritten, so their mtime stays.
    """
    started = time.perf_counter()
    store = open_store(settings)  # the store alone: a build needs no topic model
    try:
        clusters = store.get_clusters()
        pins = store.get_pins()
    finally:
        store.close()
    taxonomy = load_taxonomy(settings.hub_dir, settings.site.topic)
    report, problems = build_hub(
        settings,
        taxonomy,
        datetime.now(UTC),
        clusters=clusters,
        pins=pins,
        out_dir=out_dir,
        full=full,
    )
    for problem in problems:
        console.print(f"[yellow]skipped record:[/] {problem}")
    where = out_dir or settings.path(settings.publish.out_dir)
    click.echo(  # plain text: a path is not markup, and rich need not be imported
        f"site: {len(report.written)} written, {report.unchanged_count} unchanged, "
        f"{len(report.removed)} removed in {where} ({time.perf_counter() - started:.2f} s)"
    )
    return report


@cli.command()
@hub_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the site here instead of [publish] out_dir (default _site).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Ignore the build state and render every file (unchanged bytes keep their mtime).",
)
def build(hub_dir: Path | None, out_dir: Path | None, full: bool) -> None:
    """Build the static site: JSON API, web pages, RSS/Atom/JSON feeds and sitemaps.

    Only what changed since the last build is rendered, and only files whose bytes
    change are rewritten, so a sync to a static host uploads only the difference.
    --full renders every file again, so files deleted from the site by hand come back.

    \b
    Examples:
        everyday build
        everyday build --out /var/www/ai-hub
        everyday build --full
    """
    hub_dir = resolve_hub(hub_dir)
    if process_ends():  # the collection a build leaves for later would free nothing
        gc.disable()  # (its state is millions of objects at 100,000 records: 0.2 s)
    build_and_report(load_settings(hub_dir), out_dir, full=full)
