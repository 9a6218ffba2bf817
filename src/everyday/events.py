"""Progress events: a stage reports phases and steps to a sink the CLI draws as a bar."""

from __future__ import annotations

from collections.abc import Callable

Events = Callable[[str, dict[str, object]], None]


def quiet(kind: str, data: dict[str, object]) -> None:
    """Default event sink; the CLI passes a progress bar."""
