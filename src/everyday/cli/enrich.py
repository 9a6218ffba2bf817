"""``everyday enrich``, ``everyday import`` and ``everyday explain``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..app import open_hub
from ..editorial import find_article
from ..enrichment import Events, enrich_new, enrich_pending
from ..enrichment import recompute as recompute_hub
from ..errors import EverydayError
from ..explain import explain as explain_article
from ..explain import render
from ..importer import import_records
from ..settings import load_settings
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console, log_to_file, print_problems, progress_bar

if TYPE_CHECKING:
    from rich.progress import TaskID


@contextmanager
def phase_progress(enabled: bool) -> Iterator[Events]:
    """A progress bar with one row per phase (index, decide, write, import)."""
    if not enabled:
        yield lambda kind, data: None
        return
    with progress_bar("{task.description:>8}") as bar:
        current: list[TaskID] = []

        def on_event(kind: str, data: dict[str, object]) -> None:
            if kind == "phase":
                current[:] = [bar.add_task(str(data["name"]), total=int(str(data["total"])))]
            elif kind == "step" and current:
                bar.advance(current[0])

        yield on_event


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as e:
        raise click.BadParameter(f"{value!r} is not a date like 2024-05-01") from e
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@cli.command()
@click.argument("refs", nargs=-1, metavar="[URL-OR-RECORD]...")
@hub_option
@click.option("--recompute", is_flag=True, help="Decide every derived field again, from the store.")
@click.option("--since", help="Only articles published on or after this date (e.g. 2024-05-01).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def enrich(
    refs: tuple[str, ...],
    hub_dir: Path | None,
    recompute: bool,
    since: str | None,
    no_progress: bool,
) -> None:
    """Decide stories, related lists, quality, heat and published for stored articles.

    A pass enriches what it collects by itself. Without flags this decides the articles
    that never were (a pass stopped early, an import without scores). --recompute decides
    everything again, topics included, from the stored articles alone: after an import, or
    after changing the [enrich] settings or the taxonomy. Given articles (URLs or record
    paths), it decides those again, topics included, and the neighbours they touch. An
    editor's publish or unpublish (`everyday articles`) is kept either way.

    \b
    Examples:
        everyday enrich
        everyday enrich --recompute
        everyday enrich --recompute --since 2024-05-01
        everyday enrich _news/2024-05-01-some-title.md
    """
    if refs and (recompute or since):
        raise click.UsageError("give articles, or --recompute/--since, not both")
    hub_dir = resolve_hub(hub_dir)
    settings = load_settings(hub_dir)
    show = not no_progress and sys.stderr.isatty()
    unknown: dict[str, str] = {}
    with (
        log_to_file(settings.path(".everyday/everyday.log")),
        open_hub(hub_dir, settings) as hub,
        phase_progress(show) as events,
    ):
        now = datetime.now(UTC)
        if refs:
            urls = []
            for ref in refs:
                try:
                    urls.append(find_article(hub, ref).record.web_url)
                except EverydayError as e:  # unknown, or a record file that does not read
                    unknown[ref] = str(e)
            report = enrich_new(hub, urls, now, retopic=True, on_event=events)
        else:
            run = recompute_hub if recompute else enrich_pending
            report = run(hub, now, since=_date(since), on_event=events)
    console.print(
        f"[bold]{report.targets} decided[/] among {report.considered}: "
        f"{len(report.rewritten)} records rewritten, {report.published} published, "
        f"{len(report.demoted)} no longer published"
    )
    if report.secured_missing:
        console.print(f"[yellow]warning:[/] {report.secured_missing}")
    print_problems("Not decided", "article", unknown)
    sys.exit(EXIT_ATTENTION if unknown else 0)


@cli.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@hub_option
@click.option(
    "--strip-derived",
    is_flag=True,
    help="Drop quality, heat, published, related and secured (then run enrich --recompute).",
)
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def import_(hub_dir: Path | None, path: Path, strip_derived: bool, no_progress: bool) -> None:
    """Import another hub's records (_news, _archive/_news, _posts; any era of the format).

    Records keep their file names unless the name is taken; a URL already in the hub is
    skipped; a file that does not parse is listed with its reason.

    \b
    Example:
        everyday import ../old-hub --hub myhub && everyday enrich --recompute --hub myhub
    """
    hub_dir = resolve_hub(hub_dir)
    settings = load_settings(hub_dir)
    show = not no_progress and sys.stderr.isatty()
    with open_hub(hub_dir, settings) as hub, phase_progress(show) as events:
        report = import_records(
            hub, path, datetime.now(UTC), keep_derived=not strip_derived, on_event=events
        )
    console.print(
        f"[bold]{len(report.imported)} imported[/] of {report.found} files: "
        f"{len(report.duplicates)} duplicates, {len(report.failed)} failed, "
        f"{report.renamed} renamed; provider tiers known: {report.tiers_learned}"
    )
    print_problems("Records that failed", "file", report.failed)
    sys.exit(EXIT_ATTENTION if report.failed else 0)


@cli.command()
@click.argument("ref", metavar="URL-OR-RECORD")
@hub_option
def explain(ref: str, hub_dir: Path | None) -> None:
    """Explain an article's topics, quality, heat, story, related list and published flag.

    \b
    Example:
        everyday explain _news/2024-05-01-some-title.md
    """
    hub_dir = resolve_hub(hub_dir)
    with open_hub(hub_dir) as hub:
        lines = render(explain_article(hub, ref))
    for line in lines:
        click.echo(line)
