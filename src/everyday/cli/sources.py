"""``everyday sources``: add, list, remove, import-opml, export-opml."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from ..app import open_hub
from ..errors import ParseError
from ..fetch.http import Fetcher, decode_text
from ..hub import write_config_sources
from ..models import Source
from ..settings import Settings, load_settings
from ..sources.discover import discover_feeds
from ..sources.feeds import parse_feed
from ..sources.opml import export_opml, parse_opml
from . import cli
from .options import hub_option, resolve_hub
from .output import console

KINDS = ("feed", "sitemap", "page")


@cli.group()
def sources() -> None:
    """Manage the sources a hub polls (kept in everyday.toml and the index).

    \b
    Examples:
        everyday sources add https://example.com/feed.xml
        everyday sources add https://example.com/blog/     # finds the page's feed
        everyday sources import-opml subscriptions.opml
        everyday sources list
    """


async def probe(settings: Settings, url: str) -> tuple[str, str, str | None]:
    """What a URL is: a feed/sitemap (kind, url, title), or a page whose feed we discover."""
    async with Fetcher(settings.fetch) as fetcher:
        resp = await fetcher.get(url)
        try:
            feed = parse_feed(resp.content, resp.final_url, resp.content_type)
            return ("sitemap" if feed.kind == "sitemap" else "feed"), url, feed.title
        except ParseError:
            found = discover_feeds(decode_text(resp), resp.final_url)
        if found:
            return "feed", found[0], None
        return "page", url, None


@sources.command("add")
@hub_option
@click.argument("url")
@click.option("--kind", type=click.Choice(KINDS), help="Skip the check and add as this kind.")
def add(hub_dir: Path | None, url: str, kind: str | None) -> None:
    """Add a feed, sitemap or single page. A web page is checked for a feed link first.

    \b
    Examples:
        everyday sources add https://example.com/feed.xml
        everyday sources add https://example.com/blog/
        everyday sources add --kind page https://example.com/2024/05/one-story.html
    """
    hub_dir = resolve_hub(hub_dir)
    settings = load_settings(hub_dir)
    title = None
    if kind is None:
        kind, url, title = asyncio.run(probe(settings, url))
    with open_hub(hub_dir, settings) as hub:
        added = hub.store.add_source(
            Source(url=url, kind=kind, title=title, interval_seconds=settings.collect.interval)
        )
        if kind == "feed" and url not in settings.sources:
            write_config_sources(hub_dir, [*settings.sources, url])
    console.print(f"{'added' if added else 'already there'}: {url} ({kind})")


@sources.command("preview")
@hub_option
@click.argument("url")
@click.option(
    "--pages",
    is_flag=True,
    help="Also fetch each new item's page: the topics the hub finds, off-topic ones.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest items shown."
)
def preview(hub_dir: Path | None, url: str, pages: bool, limit: int) -> None:
    """Show what a pass would take from a source, and why not the rest; stores nothing.

    The rules are the pass's own: too old, stored already, failed recently, [collect]
    exclude; with --pages also the page fetch and the topics ([collect] require_topic).
    The source need not be added; a web page's feed is found.

    \b
    Examples:
        everyday sources preview https://example.com/feed.xml
        everyday sources preview --pages --limit 5 https://example.com/blog/
    """
    from ..sourcecheck import preview_source  # the collect stage: loaded only for this

    hub_dir = resolve_hub(hub_dir)
    with open_hub(hub_dir) as hub:
        feed_url, verdicts = asyncio.run(
            preview_source(hub, url, datetime.now(UTC), pages=pages, limit=limit)
        )
    taken = sum(v.take for v in verdicts)
    console.print(f"{feed_url}: {len(verdicts)} newest items, {taken} a pass would take")
    rows = [
        (
            "take" if v.take else "pass",
            _day(v.entry.published or v.entry.updated),
            v.entry.title or "",
            v.why,
            v.entry.url,
        )
        for v in verdicts
    ]
    if console.is_terminal:
        table = Table("", "published", "title", "why", "url")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    else:  # whole lines for grep: decision, date, title, why, URL
        for row in rows:
            click.echo("\t".join(row))


@sources.command("remove")
@hub_option
@click.argument("url")
def remove(hub_dir: Path | None, url: str) -> None:
    """Stop polling a source. Records already collected stay.

    \b
    Example:
        everyday sources remove https://example.com/feed.xml
    """
    hub_dir = resolve_hub(hub_dir)
    settings = load_settings(hub_dir)
    with open_hub(hub_dir, settings) as hub:
        removed = hub.store.delete_source(url)
    if url in settings.sources:
        write_config_sources(hub_dir, [u for u in settings.sources if u != url])
        removed = True
    if not removed:
        raise click.ClickException(f"no such source: {url}")
    console.print(f"removed: {url}")


@sources.command("list")
@hub_option
def list_(hub_dir: Path | None) -> None:
    """Show every source with its last check, next check and errors.

    \b
    Example:
        everyday sources list --hub myhub
    """
    hub_dir = resolve_hub(hub_dir)
    with open_hub(hub_dir) as hub:
        from ..pipeline import sync_sources

        sync_sources(hub)
        rows = hub.store.get_sources()
    table = Table("url", "kind", "title", "last check", "next check", "errors", "last error")
    for s in rows:
        table.add_row(
            s.url,
            s.kind,
            s.title or "",
            _when(s.last_checked),
            _when(s.next_check),
            str(s.error_count),
            s.last_error or "",
        )
    console.print(table)


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "never"  # type: ignore[attr-defined]


@sources.command("import-opml")
@hub_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_opml(hub_dir: Path | None, file: Path) -> None:
    """Add every feed of an OPML subscription list.

    \b
    Example:
        everyday sources import-opml ~/Downloads/subscriptions.opml
    """
    hub_dir = resolve_hub(hub_dir)
    settings = load_settings(hub_dir)
    outlines = parse_opml(file.read_bytes())
    urls = [o.xml_url for o in outlines]
    with open_hub(hub_dir, settings) as hub:
        added = sum(
            hub.store.add_source(
                Source(url=o.xml_url, title=o.title, interval_seconds=settings.collect.interval)
            )
            for o in outlines
        )
    write_config_sources(
        hub_dir, [*settings.sources, *(u for u in urls if u not in settings.sources)]
    )
    console.print(f"{added} sources added, {len(urls) - added} already there")


@sources.command("export-opml")
@hub_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def export(hub_dir: Path | None, output: Path | None) -> None:
    """Write the hub's sources as an OPML 2.0 subscription list.

    \b
    Example:
        everyday sources export-opml -o subscriptions.opml
    """
    hub_dir = resolve_hub(hub_dir)
    with open_hub(hub_dir) as hub:
        from ..pipeline import sync_sources

        sync_sources(hub)
        text = export_opml(hub.store.get_sources(), hub.settings.site.title)
    if output:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        click.echo(text, nl=False)
