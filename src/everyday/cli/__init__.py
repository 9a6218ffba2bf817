"""The ``everyday`` command: a thin layer over library calls.

Exit codes (also in ``docs/cli.md``):

    0  done (a pass may still have skipped articles or failed sources: see the summary)
    1  done, but something needs attention: records with problems, or every source failed
    2  usage error (bad flag or argument)
    3  configuration error (not a hub, bad everyday.toml)
    4  storage error (database unreadable or locked)
    5  any other everyday error
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import sys
from typing import NoReturn

import click

from ..errors import ConfigError, EverydayError, StoreError
from .output import console, setup_logging

EXIT_ATTENTION, EXIT_CONFIG, EXIT_STORE, EXIT_OTHER = 1, 3, 4, 5


COMMANDS: dict[str, tuple[str, str]] = {
    "articles": (
        "articles",
        "An editor's decisions on stored articles: publish, unpublish, pin.",
    ),
    "build": (
        "build",
        "Build the static site: JSON API, web pages, RSS/Atom/JSON feeds and sitemaps.",
    ),
    "demo": (
        "run",
        "Run a hub against the bundled sample newswire on 127.0.0.1 (no internet needed).",
    ),
    "enrich": (
        "enrich",
        "Decide stories, related lists, quality, heat and published for stored articles.",
    ),
    "explain": (
        "enrich",
        "Explain an article's topics, quality, heat, story, related list and published flag.",
    ),
    "import": (
        "enrich",
        "Import another hub's records (_news, _archive/_news, _posts; any era of the format).",
    ),
    "init": ("run", "Create a hub directory: everyday.toml, a default AI taxonomy and _news/."),
    "keys": (
        "serve",
        "Manage the API keys of `everyday serve` (admin endpoints, private reads).",
    ),
    "newsletter": (
        "newsletter",
        "Write the day's newsletter issue to _newsletters/ and optionally send it.",
    ),
    "newsletter-unsubscribe": (
        "unsubscribe",
        "Remove from subscribers.txt the senders of the newsletter's mailto unsubscribe mails.",
    ),
    "records": (
        "records",
        "Validate and format record files (Markdown + YAML front matter, the seed's layout).",
    ),
    "run": (
        "run",
        "Do one full pass: poll due sources, fetch new articles, extract, store records.",
    ),
    "secure": (
        "secure",
        "Keys for the private `secured` field (AES-256-GCM), decryption and key rotation.",
    ),
    "serve": ("serve", "Serve the live JSON API, the admin endpoints and the built site."),
    "sources": (
        "sources",
        "Manage the sources a hub polls (kept in everyday.toml and the index).",
    ),
    "status": (
        "status",
        "Show the hub at a glance: records, sources, the latest passes and the site.",
    ),
    "topics": (
        "topics",
        "Train and use a topic classifier learned from the hub's own labelled records.",
    ),
}
"""Each command: the module of this package that defines it, imported when the command
runs (`everyday build` need not import what `everyday run` needs: scikit-learn, the
extractor, which took 1.4 s before any command could start), and its one-line help, so
that `everyday --help` imports none of them (a test checks both against the commands)."""


class EverydayGroup(click.Group):
    """Turns everyday's own errors into one clear line and a meaningful exit code, and
    loads each command's module only when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS.keys() | self.commands.keys())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        known = COMMANDS.get(cmd_name)
        if known is not None and cmd_name not in self.commands:
            importlib.import_module(f"{__name__}.{known[0]}")  # its decorators register it
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if not loaded.hidden:
                    rows.append((name, loaded.get_short_help_str(limit)))
            else:
                short = click.Command(name, help=COMMANDS[name][1])  # cut as click cuts
                rows.append((name, short.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as e:
            _fail(e, EXIT_CONFIG)
        except StoreError as e:
            _fail(e, EXIT_STORE)
        except EverydayError as e:
            _fail(e, EXIT_OTHER)
        return None


def _fail(error: Exception, code: int) -> None:
    from rich.markup import escape  # rich is imported when there is something to say

    # Escaped: messages name settings like "[storage] dsn", which rich would take for markup.
    console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
    logging.getLogger("everyday").debug("command failed", exc_info=error)
    sys.exit(code)


@click.group(cls=EverydayGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.version_option(package_name="everyday")
def cli(verbose: int) -> None:
    """everyday: collect, enrich, store and publish a curated topic news hub.

    \b
    Start with the demo (no internet needed):
        everyday demo
    Or make your own hub:
        everyday init myhub && cd myhub && everyday run
    """
    setup_logging(verbose)


_process_ends = False


def process_ends() -> bool:
    """True in the ``everyday`` process itself (not a test's CliRunner): the process ends
    with the command, so work done only to leave a tidy heap behind can be skipped."""
    return _process_ends


def main() -> None:
    """Console-script entry point."""
    global _process_ends
    _process_ends = True
    try:
        cli(prog_name="everyday")
    except SystemExit as e:  # click ends every command this way
        leave(e.code)
    leave(0)


def leave(code: object) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` does, without taking the heap apart first.

    The command is done and its files are closed: the exit handlers run (logging's flush,
    finalizers) and the standard streams are flushed, but the interpreter does not free
    every object one by one. After a build of a 100,000-record hub that took 0.37 s.
    """
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`everyday ... | head`)
            status = status or 120  # what Python's own exit gives then
    os._exit(status)
