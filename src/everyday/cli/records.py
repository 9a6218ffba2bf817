"""``everyday records``: check and format record files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..records.check import check_tree, fmt_tree
from . import EXIT_ATTENTION, cli
from .output import console


@cli.group()
def records() -> None:
    """Validate and format record files (Markdown + YAML front matter, the seed's layout).

    \b
    Example:
        everyday records check _news && everyday records fmt --check _news
    """


@records.command("check")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def check(directory: Path) -> None:
    """Check every record against the seed format; exit 1 if any has a problem.

    \b
    Example:
        everyday records check myhub/_news
    """
    problems = check_tree(directory)
    for p in problems:
        click.echo(f"{p.path}: {p.field}: {' '.join(p.message.split())}")
    count = len({p.path for p in problems})
    console.print(f"{count} file(s) with problems" if problems else "all records are valid")
    sys.exit(EXIT_ATTENTION if problems else 0)


@records.command("fmt")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Only list files not in the canonical layout; exit 1 if any.",
)
def fmt(directory: Path, check_only: bool) -> None:
    """Rewrite records in the canonical layout (like a code formatter).

    \b
    Examples:
        everyday records fmt myhub/_news
        everyday records fmt --check myhub/_news     # in CI
    """
    changed = fmt_tree(directory, check_only=check_only)
    for path in changed:
        click.echo(f"{'would reformat' if check_only else 'reformatted'} {path}")
    console.print(f"{len(changed)} file(s) {'to reformat' if check_only else 'reformatted'}")
    sys.exit(EXIT_ATTENTION if check_only and changed else 0)
