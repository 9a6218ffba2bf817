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

import importlib
import logging
import sys

import click
from rich.markup import escape

from ..errors import ConfigError, EverydayError, StoreError
from .output import console, setup_logging

EXIT_ATTENTION, EXIT_CONFIG, EXIT_STORE, EXIT_OTHER = 1, 3, 4, 5


COMMANDS = {
    "build": "build",
    "demo": "run",
    "enrich": "enrich",
    "explain": "enrich",
    "import": "enrich",
    "init": "run",
    "keys": "serve",
    "newsletter": "newsletter",
    "records": "records",
    "run": "run",
    "secure": "secure",
    "serve": "serve",
    "sources": "sources",
    "topics": "topics",
}
"""Each command and the module of this package that defines it, imported when the command
runs: `everyday build` need not import what `everyday run` needs (scikit-learn, the
extractor), which took 1.4 s before any command could start."""


class EverydayGroup(click.Group):
    """Turns everyday's own errors into one clear line and a meaningful exit code, and
    loads each command's module only when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS.keys() | self.commands.keys())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"{__name__}.{module}")  # its decorators register it
        return super().get_command(ctx, cmd_name)

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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="everyday")
