"""Golden pairs: every tests/golden/feeds/<name>.<ext> parses to <name>.expected.json.

Regenerate the expected files after a deliberate change, then review the diff by eye::

    .venv/bin/python tests/test_sources_golden.py --regen
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from everyday.errors import EverydayError
from everyday.sources.feeds import parse_feed

GOLDEN = Path(__file__).parent / "golden" / "feeds"
EXPECTED = ".expected.json"
# The feed URL each fixture pretends to come from; relative links resolve against it.
BASE = "https://news.example.org/feeds/"
CONTENT_TYPES = {".json": "application/feed+json", ".html": "text/html; charset=utf-8"}


def _inputs() -> list[Path]:
    return sorted(p for p in GOLDEN.iterdir() if p.is_file() and not p.name.endswith(EXPECTED))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def render(path: Path) -> str:
    """Parse one fixture and return the expected-file text (a ParsedFeed or an error)."""
    try:
        parsed = parse_feed(path.read_bytes(), BASE + path.name, CONTENT_TYPES.get(path.suffix))
    except EverydayError as e:
        result: dict[str, Any] = {"error": type(e).__name__, "message": str(e)}
    else:
        result = _jsonable(dataclasses.asdict(parsed))
    return json.dumps(result, indent=2, ensure_ascii=False) + "\n"


def _expected_path(path: Path) -> Path:
    return path.with_name(path.stem + EXPECTED)


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_golden(path: Path) -> None:
    expected = _expected_path(path)
    assert expected.is_file(), f"missing {expected.name}; run this file with --regen"
    assert render(path) == expected.read_text(encoding="utf-8")


def test_every_expected_file_has_an_input() -> None:
    stems = {p.stem for p in _inputs()}
    orphans = [p.name for p in GOLDEN.glob("*" + EXPECTED) if p.name[: -len(EXPECTED)] not in stems]
    assert orphans == []


def regenerate() -> None:
    """Rewrite every expected file from the current parser."""
    for path in _inputs():
        _expected_path(path).write_text(render(path), encoding="utf-8")
        sys.stdout.write(f"wrote {_expected_path(path).name}\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regen"]:
        sys.exit(f"usage: {sys.argv[0]} --regen")
    regenerate()
