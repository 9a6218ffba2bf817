"""``everyday articles``: an editor's publish, unpublish, hand-back and pin, by hand."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from .. import editorial
from ..app import open_hub
from ..errors import EverydayError
from ..pipeline import Hub
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console, print_problems

REBUILD = "the site shows it after the next `everyday build` (or pass; or use --build)"
ActOn = Callable[[Hub, str], str]  # does it to one article, says what it did


@cli.group()
def articles() -> None:
    """An editor's decisions on stored articles: publish, unpublish, pin.

    The hub decides `published` from quality and related coverage, and decides again
    when a story changes. An editor's publish or unpublish is kept over that until
    `auto` hands the decision back; pins lead the site's and the API's date lists.
    Articles are named by a URL (any they were collected by) or a record path.

    \b
    Examples:
        everyday articles unpublish https://example.com/news/wrong-story
        everyday articles publish _news/2024-05-01-held-back-story.md
        everyday articles auto https://example.com/news/wrong-story
        everyday articles pin https://example.com/news/big-launch
    """


def _each(hub_dir: Path | None, refs: tuple[str, ...], act: ActOn, build: bool) -> None:
    """Act on every article named; list the ones not found (exit 1), act on the rest;
    with ``build``, then build the site."""
    hub_dir = resolve_hub(hub_dir)
    failed: dict[str, str] = {}
    with open_hub(hub_dir) as hub:
        settings = hub.settings
        for ref in refs:
            try:
                console.print(act(hub, ref), markup=False, highlight=False)
            except EverydayError as e:  # unknown, or a record file that does not read
                failed[ref] = str(e)
    print_problems("Not changed", "article", failed)
    if build:
        from .build import build_and_report  # the publish stage: loaded only for this

        build_and_report(settings)
    elif len(failed) < len(refs):
        console.print(f"[dim]{REBUILD}[/]")
    sys.exit(EXIT_ATTENTION if failed else 0)


def _decide(published: bool) -> ActOn:
    def act(hub: Hub, ref: str) -> str:
        outcome = editorial.decide(hub, ref, published)
        state = "published" if published else "unpublished"
        return f"{state} by an editor: {outcome.article.path}"

    return act


def _auto(hub: Hub, ref: str) -> str:
    outcome = editorial.hand_back(hub, ref, datetime.now(UTC))
    state = "published" if outcome.article.record.is_published else "not published"
    return f"{state} by the hub: {outcome.article.path}"


def _pin(pinned: bool) -> ActOn:
    def act(hub: Hub, ref: str) -> str:
        article = editorial.pin(hub, ref, datetime.now(UTC) if pinned else None)
        return f"{'pinned' if pinned else 'unpinned'}: {article.path}"

    return act


def _command(name: str, act: ActOn, summary: str, example: str) -> None:
    """``everyday articles NAME URL-OR-RECORD...``, doing ``act`` to each article."""

    @articles.command(name, help=f"{summary}\n\n\b\nExample:\n    everyday articles {example}")
    @click.argument("refs", nargs=-1, required=True, metavar="URL-OR-RECORD...")
    @hub_option
    @click.option("--build", is_flag=True, help="Build the site afterwards (incrementally).")
    def command(refs: tuple[str, ...], hub_dir: Path | None, build: bool) -> None:
        _each(hub_dir, refs, act, build)


_command(
    "publish",
    _decide(True),
    "Publish articles; the hub keeps this decision until `auto`.",
    "publish _news/2024-05-01-held-back-story.md",
)
_command(
    "unpublish",
    _decide(False),
    "Unpublish articles; the hub keeps this decision until `auto`.",
    "unpublish https://example.com/news/wrong-story",
)
_command(
    "auto",
    _auto,
    "Hand `published` back to the hub, which decides it again now.",
    "auto https://example.com/news/wrong-story",
)
_command(
    "pin",
    _pin(True),
    "Pin articles: they lead the date lists (newest pin first), not the feeds.",
    "pin https://example.com/news/big-launch",
)
_command(
    "unpin",
    _pin(False),
    "Unpin articles: back to their place by date.",
    "unpin https://example.com/news/big-launch",
)


@articles.command("list")
@hub_option
def list_(hub_dir: Path | None) -> None:
    """Show the editor's decisions standing: pinned articles and published or unpublished ones.

    \b
    Example:
        everyday articles list
    """
    hub_dir = resolve_hub(hub_dir)
    with open_hub(hub_dir) as hub:
        pins = hub.store.get_pins()
        decided = editorial.decided(hub)
    console.print(f"pinned ({len(pins)}):", markup=False, highlight=False)
    for path, when in sorted(pins.items(), key=lambda item: item[1], reverse=True):
        click.echo(f"  {_minute(when)}  {path}")
    console.print(f"decided by an editor ({len(decided)}):", markup=False, highlight=False)
    for article in decided:
        state = "published" if editorial.editor_decision(article.tags) else "unpublished"
        click.echo(f"  {state:<11}  {article.path}  {article.record.title}")


def _minute(iso: str) -> str:
    """``2024-05-01 12:00 UTC`` from a stored instant (its text as is if it does not read)."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
