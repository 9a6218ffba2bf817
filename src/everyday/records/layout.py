"""Write news records in the seed's current layout (2021-07 onwards, ``SCHEMA.md`` §i).

Fixed key order, one blank line between groups, strings double-quoted with JSON-style
escapes, numbers/booleans/datetimes unquoted, ``category``, ``type``, provider
``name``/``domain`` and ``topics`` plain (unquoted) unless YAML would read them as something
else, in which case they are double-quoted too (the corpus has no such value to copy).
Parsing lives in :mod:`everyday.records.frontmatter`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import yaml

from everyday.models import Image, Provider, Record, Related

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # also the parser's
_NEEDS_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def as_utc(value: datetime | date) -> datetime:
    """YAML gives naive (assumed UTC), aware or date-only values; return aware UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def quote(value: str) -> str:
    """Double-quote ``value`` with JSON escapes, plus the few code points YAML cannot carry raw."""
    out = json.dumps(value, ensure_ascii=False)
    return _NEEDS_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


@lru_cache(maxsize=8192)
def is_plain_safe(value: str) -> bool:
    """Whether ``value`` can be written unquoted and read back as the same string."""
    if not value or len(value) > 200 or value != value.strip():
        return False
    if value[0] in "-?:,[]{}#&*!|>'\"%@`":
        return False
    if ": " in value or " #" in value or value.endswith(":") or _NEEDS_ESCAPE.search(value):
        return False
    if any(c < " " for c in value):
        return False
    try:
        return bool(yaml.load(f"k: {value}\n", Loader=LOADER) == {"k": value})
    except yaml.YAMLError:
        return False


def _plain(value: str) -> str:
    return value if is_plain_safe(value) else quote(value)


def format_datetime(value: datetime) -> str:
    """``2023-11-07T00:27:00Z``; naive values are taken as UTC, fractions kept if present."""
    value = as_utc(value)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return format_datetime(as_utc(value))
    if value is None:
        return "null"
    return quote(str(value))


Lines = list[str]


def _field(lines: Lines, ind: str, key: str, value: object, fmt: Callable[[Any], str]) -> None:
    if value is not None:
        lines.append(f"{ind}{key}: {fmt(value)}")


def _items(lines: Lines, ind: str, entries: list[Lines]) -> None:
    """Write a block list: first line of each entry after ``- ``, the rest indented by 2."""
    for entry in entries:
        lines.append(f"{ind}- {entry[0]}")
        lines.extend(f"{ind}  {line}" for line in entry[1:])


def _image(img: Image) -> Lines:
    lines = [f"url: {quote(img.url)}"]
    _field(lines, "", "width", img.width, _scalar)
    _field(lines, "", "height", img.height, _scalar)
    _field(lines, "", "isCached", img.is_cached, _scalar)
    _field(lines, "", "title", img.title, quote)
    return lines


def _provider(lines: Lines, ind: str, provider: Provider) -> None:
    lines.append(f"{ind}provider:")
    lines.append(f"{ind}  name: {_plain(provider.name)}")
    lines.append(f"{ind}  domain: {_plain(provider.domain)}")
    if provider.images:
        lines.append(f"{ind}  images:")
        _items(lines, f"{ind}    ", [_image(i) for i in provider.images])


def _related(rel: Related) -> Lines:
    lines = [f"title: {quote(rel.title)}", f"excerpt: {quote(rel.excerpt)}"]
    lines.append(f"publishedDateTime: {format_datetime(rel.published)}")
    lines.append(f"webUrl: {quote(rel.web_url)}")
    _field(lines, "", "ampWebUrl", rel.amp_web_url, quote)
    _field(lines, "", "cdnAmpWebUrl", rel.cdn_amp_web_url, quote)
    lines.append(f"type: {_plain(rel.type)}")
    if rel.provider is not None:
        _provider(lines, "", rel.provider)
    _field(lines, "", "quality", rel.quality, _scalar)
    if rel.images:
        lines.append("images:")
        _items(lines, "  ", [_image(i) for i in rel.images])
    return lines


def _block(key: str, value: object) -> Lines:
    """Lines for one ``extra`` value: scalars inline, dicts and lists as nested blocks."""
    if isinstance(value, dict) and value:
        return [f"{key}:", *(f"  {ln}" for k, v in value.items() for ln in _block(_plain(k), v))]
    if isinstance(value, list | tuple) and value:
        lines = [f"{key}:"]
        _items(lines, "  ", [_entry(item) for item in value])
        return lines
    return [f"{key}: {_entry(value)[0]}"]


def _entry(value: object) -> Lines:
    if isinstance(value, dict) and value:
        return [ln for k, v in value.items() for ln in _block(_plain(k), v)]
    if isinstance(value, list | tuple) and value:
        lines: Lines = []
        _items(lines, "", [_entry(item) for item in value])
        return lines
    if isinstance(value, dict | list | tuple):
        return ["{}" if isinstance(value, dict) else "[]"]
    return [_scalar(value)]


def _head(r: Record) -> Lines:
    lines = [f"category: {_plain(r.category)}", f"title: {quote(r.title)}"]
    lines.append(f"excerpt: {quote(r.excerpt)}")
    lines.append(f"publishedDateTime: {format_datetime(r.published)}")
    _field(lines, "", "originalUrl", r.original_url, quote)
    _field(lines, "", "webUrl", r.web_url or None, quote)
    if r.source_url is not None and r.source_url != r.web_url:
        lines.append(f"sourceUrl: {quote(r.source_url)}")
    _field(lines, "", "ampWebUrl", r.amp_web_url, quote)
    _field(lines, "", "cdnAmpWebUrl", r.cdn_amp_web_url, quote)
    lines.append(f"type: {_plain(r.type)}")
    _field(lines, "", "quality", r.quality, _scalar)
    _field(lines, "", "heat", r.heat, _scalar)
    _field(lines, "", "published", r.is_published, _scalar)
    return lines


def format_record(record: Record) -> str:
    """Serialize ``record`` in the current canonical layout, ending with ``---\\n\\n``."""
    groups: list[Lines] = [_head(record)]
    if record.extra:
        groups.append([ln for key, value in record.extra for ln in _block(_plain(key), value)])
    provider: Lines = []
    _provider(provider, "", record.provider)
    groups.append(provider)
    if record.topics:
        groups.append(["topics:", *(f"  - {_plain(t)}" for t in record.topics)])
    if record.images:
        images = ["images:"]
        _items(images, "  ", [_image(i) for i in record.images])
        groups.append(images)
    if record.related:
        related = ["related:"]
        _items(related, "  ", [_related(r) for r in record.related])
        groups.append(related)
    if record.secured is not None:
        groups.append([f"secured: {quote(record.secured)}"])
    return "---\n" + "\n\n".join("\n".join(g) for g in groups) + "\n---\n\n"
