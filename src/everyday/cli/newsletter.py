"""``everyday newsletter``: write the day's issue and optionally e-mail it."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click

from ..app import open_hub
from ..publish.mail import (
    Delivery,
    build_message,
    hub_secret,
    read_subscribers,
    recipients_or_fail,
    send,
)
from ..publish.newsletter import Issue, read_entries, render_issue, select_stories, write_issue
from ..settings import load_settings
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console


@cli.command()
@hub_option
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day of the issue, YYYY-MM-DD (UTC). Default: today.",
)
@click.option("--send", "do_send", is_flag=True, help="E-mail the issue to subscribers.txt.")
@click.option(
    "--to",
    "to",
    multiple=True,
    metavar="ADDRESS",
    help="E-mail only this address (repeatable; implies --send).",
)
@click.option("--dry-run", is_flag=True, help="Write nothing and send nothing; say what would be.")
def newsletter(
    hub_dir: Path | None, day: datetime | None, do_send: bool, to: tuple[str, ...], dry_run: bool
) -> None:
    """Write the day's newsletter issue to _newsletters/ and optionally send it.

    The issue holds the day's published stories, hottest first, one per story. A day
    without a published story has no issue: that is said and the exit code is 0.
    Sending reads SMTP settings from EVERYDAY_SMTP_* variables (see docs/newsletter.md).

    \b
    Examples:
        everyday newsletter                          # today's issue (UTC)
        everyday newsletter --date 2023-11-07
        everyday newsletter --send                   # and e-mail subscribers.txt
        everyday newsletter --to me@example.org      # a test copy to one address
    """
    hub = resolve_hub(hub_dir)
    settings = load_settings(hub)
    when: date = day.date() if day is not None else datetime.now(UTC).date()
    entries = read_entries(hub, settings.storage.news_dir)
    with open_hub(hub, settings) as opened:
        clusters = opened.store.get_clusters()
    stories = select_stories(entries, when, clusters=clusters, site=settings.site)
    issue = render_issue(stories, when, settings.site)
    if issue is None:
        console.print(f"no published stories on {when.isoformat()}: no issue")
        return
    count = f"{len(issue.stories)} {'story' if len(issue.stories) == 1 else 'stories'}"
    if dry_run:
        console.print(f"would write {hub / issue.path} ({count})", markup=False)
    else:
        path, changed = write_issue(hub, issue)
        note = "" if changed else ", unchanged"
        console.print(f"{path} ({count}{note})", markup=False)
    if do_send or to:
        _deliver(hub, issue, to, dry_run)


def _deliver(hub: Path, issue: Issue, to: tuple[str, ...], dry_run: bool) -> None:
    smtp = load_settings(hub).smtp  # [smtp] in everyday.toml, EVERYDAY_SMTP_* overrides
    if to:
        recipients = recipients_or_fail(to)
    else:
        subscribers = read_subscribers(hub)
        for p in subscribers.problems:
            console.print(f"subscribers.txt:{p.line}: skipped {p.text!r}: {p.reason}", markup=False)
        recipients = subscribers.addresses
    if not recipients:
        console.print("no subscribers: nothing sent")
        return
    if dry_run:
        secret = hub_secret(smtp, os.environ)
        now = datetime.now(UTC)
        for address in recipients:  # builds each message, so bad settings show now
            build_message(issue, address, smtp, secret=secret, now=now)
        console.print(f"would send to {len(recipients)} recipient(s) via {smtp.host}:{smtp.port}")
        return
    _report(send(issue, recipients, smtp))


def _report(results: list[Delivery]) -> None:
    failed = [d for d in results if not d.ok]
    for d in failed:
        console.print(f"not sent to {d.address}: {d.error}", markup=False)
    console.print(f"sent to {len(results) - len(failed)} of {len(results)} recipient(s)")
    if failed:
        sys.exit(EXIT_ATTENTION)
