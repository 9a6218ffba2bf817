"""The offline search index: every article page as a small JSON row, searched in the browser.

A static host runs no code, so the index is built with the site and ``static/search.js``
filters it client-side. Rows are compact (no whitespace, dates as ``YYYY-MM-DD``, the root
topic left out) because every visitor of the search page downloads them all.

The rows are cut into one file per month of publication (``search/2024-03.json``, newest
first inside), listed newest month first by ``search/index.json``. A new article then
rewrites its month's file and the small list, not one file holding the whole hub: the
build walks no other month, and a sync to a static host uploads kilobytes, not megabytes.
A month's file is rendered again only when its records or any of them changed; the rows
of its unchanged records are cut out of its previous file.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from .catalog import Brief, newest_first, path_of, stamp_of
from .output import Output
from .plan import Plan
from .views import Card, Index

INDEX = "search/index.json"
GROUP = "search"


def search_row(card: Card) -> str:
    """One row of the search index: compact JSON of what the search page shows."""
    row = {
        "title": card.title,
        "excerpt": card.excerpt,
        "url": card.href,
        "date": f"{card.date:%Y-%m-%d}",
        "topics": [t.text for t in card.topics],
        "provider": card.provider.text,
    }
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def write_search(index: Index, plan: Plan, out: Output, pinned: bool = False) -> None:
    """Write ``search/index.json`` and the month files whose records changed.

    ``pinned``: ``index.listed`` leads with pinned records (out of date order).
    """
    listed = sorted(index.listed, key=newest_first) if pinned else index.listed
    names = []
    for month, members in _months(listed):
        name = f"{month}.json"
        names.append(name)
        unit = f"search/{name}"
        paths = tuple(map(path_of, members))  # the plan keeps a digest of them
        if plan.wants(unit, (paths,), paths, plan.records, GROUP) or not out.is_known(unit):
            out.write(unit, _part(index, plan, out, unit, members, paths))
    manifest = {"parts": names, "rows": len(listed)}
    out.write(INDEX, json.dumps(manifest, separators=(",", ":")) + "\n")


def _months(listed: Sequence[Brief]) -> Iterator[tuple[str, Sequence[Brief]]]:
    """(YYYY-MM, its records) for each month holding any, newest first; ``listed`` is
    newest first, so each month is one slice, found by binary search."""
    if not listed:
        return
    newest = listed[0].published
    year, month = newest.year, newest.month
    stop = 0
    while stop < len(listed):
        start = stamp_of(datetime(year, month, 1, tzinfo=UTC))
        end = bisect.bisect_right(listed, -start, lo=stop, key=_minus_stamp)
        if end > stop:
            yield f"{year:04d}-{month:02d}", listed[stop:end]
        stop = end
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        if year < 1:
            break


def _minus_stamp(brief: Brief) -> int:
    return -brief.stamp


def _part(
    index: Index, plan: Plan, out: Output, unit: str, members: Sequence[Brief], paths: Sequence[str]
) -> bytes:
    """One month's rows: unchanged records' rows from its previous file, others rendered."""
    previous = {} if plan.full else _rows_by_url(_read(out, unit))
    dirty = plan.records
    rows = []
    for brief, path in zip(members, paths, strict=True):
        row = None if path in dirty else previous.get(index.href(brief.page_dir))
        rows.append(row or search_row(index.card(brief)).encode("utf-8"))
    return b"[" + b",".join(rows) + b"]\n"


def _read(out: Output, unit: str) -> bytes:
    try:
        return (out.root / unit).read_bytes()
    except OSError:
        return b""


_ROW_START = b'},{"title":'  # never inside a row: JSON escapes every quote in a string
_ROW_URL = re.compile(rb'"url":"((?:[^"\\]|\\.)*)"')


def _rows_by_url(data: bytes) -> dict[str, bytes]:
    """The rows of a previous month file by their page URL; empty if it looks wrong."""
    if not (data.startswith(b'[{"title":') and data.endswith(b"}]\n")):
        return {}
    pieces = data[1:-2].split(_ROW_START)
    last = len(pieces) - 1
    found: dict[str, bytes] = {}
    for i, piece in enumerate(pieces):
        row = (b'{"title":' if i else b"") + piece + (b"}" if i < last else b"")
        url = _ROW_URL.search(row)
        if url is None:
            return {}
        raw = url.group(1).decode("utf-8", "replace")
        found[json.loads(f'"{raw}"') if "\\" in raw else raw] = row
    return found
