"""Options that many commands share, in a module of their own: importing it costs
nothing (the command modules that define them pull in asyncio and more)."""

from __future__ import annotations

from pathlib import Path

import click

from ..hub import find_hub


def hub_option(f):  # type: ignore[no-untyped-def]
    """``--hub DIR``, which every command that works on a hub takes."""
    return click.option(
        "--hub",
        "hub_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Hub directory (default: the one containing the current directory).",
    )(f)


def resolve_hub(hub_dir: Path | None) -> Path:
    """The ``--hub`` given, else the hub that holds the current directory."""
    return hub_dir if hub_dir is not None else find_hub(Path.cwd())
