"""``everyday status``: the hub at a glance (records, sources, recent passes, the site)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from ..app import open_store
from ..settings import load_settings
from ..status import HubStatus, PassState, hub_status
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console


@cli.command()
@hub_option
@click.option(
    "--passes",
    "pass_count",
    type=click.IntRange(0, 1000),
    default=5,
    show_default=True,
    help="How many of the latest passes to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (for monitoring).")
def status(hub_dir: Path | None, pass_count: int, as_json: bool) -> None:
    """Show the hub at a glance: records, sources, the latest passes and the site.

    Reads only (safe while a pass or a build runs). Exit code 1 when something needs a
    person: a source that failed 3 or more checks in a row, or sources due for longer
    than their interval (no collector is polling them).

    \b
    Examples:
        everyday status
        everyday status --passes 20
        everyday status --json | jq .sources
    """
    settings = load_settings(resolve_hub(hub_dir))
    store = open_store(settings)
    try:
        state = hub_status(settings, store, datetime.now(UTC), pass_count)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(state.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in status_lines(state):
            console.print(line, markup=False, highlight=False)
    if state.needs_attention:
        sys.exit(EXIT_ATTENTION)


def status_lines(state: HubStatus) -> list[str]:
    """The text report, one line each (no markup: every value may come from a source)."""
    lines = [f"{state.title} (topic {state.topic}) in {state.hub_dir}"]
    lines.append(
        f"records: {state.record_files:,} files, {state.indexed:,} in the index ({state.backend})"
    )
    if state.newest is not None:
        published, title, path = state.newest
        lines.append(f"newest published: {_when(published, state.now)}: {title} ({path})")
    paused = sum(s.paused for s in state.sources)
    due = sum(s.due for s in state.sources)
    failing, overdue = state.failing, state.overdue
    lines.append(
        f"sources: {len(state.sources)} ({paused} paused, {due} due now, "
        f"{len(overdue)} overdue, {len(failing)} failing)"
    )
    if overdue:
        lines.append(
            f"  overdue: {len(overdue)} due for longer than their interval; "
            "is `everyday run --every` running?"
        )
    for source in failing:
        checked = _when(source.last_checked, state.now) if source.last_checked else "never"
        lines.append(
            f"  failing: {source.url}: {source.errors} errors in a row, last checked "
            f"{checked}: {source.last_error or 'no message'}"
        )
    for url in state.unsynced:
        lines.append(f"  new in everyday.toml, not polled yet: {url}")
    if state.passes:
        lines.append(f"passes (latest {len(state.passes)}):")
        lines += [f"  {_pass_line(p, state.now)}" for p in state.passes]
    else:
        lines.append("passes: none yet (everyday run)")
    site = state.site
    if site.built is None:
        lines.append(f"site: not built in {site.folder} (everyday build)")
    else:
        files = "" if site.files is None else f", {site.files:,} files"
        lines.append(f"site: {site.folder}, built {_when(site.built, state.now)}{files}")
    return lines


def _pass_line(run: PassState, now: datetime) -> str:
    started = _when(run.started, now)
    if run.finished is None:
        return f"{started}: did not finish (still running, or stopped)"
    took = (run.finished - run.started).total_seconds()
    c = run.counts
    text = (
        f"{started}, {took:.0f} s: {c.get('new', 0)} new, {c.get('updated', 0)} updated, "
        f"{c.get('skipped', 0)} skipped{_kinds(run.skipped_by)}, "
        f"{c.get('sources_failed', 0)} of {c.get('sources_polled', 0)} sources failed"
    )
    return text


def _kinds(counts: dict[str, int]) -> str:
    """`` (off-topic 12, http-404 1)``: what the skipped articles were skipped for."""
    return f" ({', '.join(f'{k} {n}' for k, n in counts.items())})" if counts else ""


def _when(value: datetime, now: datetime) -> str:
    """``2024-05-01 12:00 UTC (3 h ago)``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M} UTC ({_ago(now - value)})"


def _ago(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    if seconds < 0:
        return "in the future"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"
