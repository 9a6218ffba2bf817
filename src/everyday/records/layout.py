"""Write news records in the seed's current layout (2021-07 onwards, ``SCHEMA.md`` §i).

Fixed key order, one blank line between groups, strings double-quoted with JSON-style
escapes, numbers/booleans/datetimes unquoted, ``category``, ``type``, provider
``name``/``domain`` and ``topics`` plain (unquoted) unless YAML would read them as something
else, in which case they are double-quoted too (the corpus has no such value to copy).
Parsing lives in :mod:`everyday.records.frontmatter`; :mod:`everyday.publish.quickread`
reads this exact layout back, so a change here needs one there (tests/test_quickread.py).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

import yaml

from everyday.models import Image, Provider, Record, Related

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # also the parser's
_NEEDS_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
# What format_record never writes raw: quote() escapes these and is_plain_safe() refuses
# them (control characters but the newline that ends each line, and the _NEEDS_ESCAPE set).
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a str, always a lone half of a pair
NEVER_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def as_utc(value: datetime | date) -> datetime:
    """YAML gives naive (assumed UTC), aware or date-only values; return aware UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def quote(value: str) -> str:
    """Double-quote ``value`` with JSON escapes, plus the few code points YAML cannot carry raw."""
    if type(value) is not str:  # not a plain str: whatever json.dumps makes of it
        out = json.dumps(value, ensure_ascii=False)
    else:
        out = encode_basestring(value)  # what json.dumps(value, ensure_ascii=False) returns
        if out.isascii() and "\x7f" not in out:
            return out  # the common case: nothing for _NEEDS_ESCAPE to find
        if _SURROGATE.search(value):  # no YAML parser reads a lone surrogate back
            return quote(_SURROGATE.sub("\ufffd", value))
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
    # isoformat is faster than strftime, whose %Y does not zero-pad years before 1000.
    big = value.year >= 1000
    text = value.isoformat()[:19] if big else value.strftime("%Y-%m-%dT%H:%M:%S")
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


# The writers below add whole lines ("...\n") to one list; format_record joins it once.
Out = list[str]


def _images(out: Out, ind: str, images: tuple[Image, ...]) -> None:
    """A block list of images, each ``- url:`` at ``ind`` and its other keys under it."""
    for img in images:
        out.append(f"{ind}- url: {quote(img.url)}\n")
        if img.width is not None:
            out.append(f"{ind}  width: {_scalar(img.width)}\n")
        if img.height is not None:
            out.append(f"{ind}  height: {_scalar(img.height)}\n")
        if img.is_cached is not None:
            out.append(f"{ind}  isCached: {_scalar(img.is_cached)}\n")
        if img.title is not None:
            out.append(f"{ind}  title: {quote(img.title)}\n")


def _provider(out: Out, ind: str, provider: Provider) -> None:
    out.append(
        f"{ind}provider:\n{ind}  name: {_plain(provider.name)}\n"
        f"{ind}  domain: {_plain(provider.domain)}\n"
    )
    if provider.images:
        out.append(f"{ind}  images:\n")
        _images(out, f"{ind}    ", provider.images)


def _related(out: Out, rel: Related) -> None:
    """One ``related`` entry, as a list item under ``related:``."""
    out.append(
        f"  - title: {quote(rel.title)}\n    excerpt: {quote(rel.excerpt)}\n"
        f"    publishedDateTime: {format_datetime(rel.published)}\n"
        f"    webUrl: {quote(rel.web_url)}\n"
    )
    if rel.amp_web_url is not None:
        out.append(f"    ampWebUrl: {quote(rel.amp_web_url)}\n")
    if rel.cdn_amp_web_url is not None:
        out.append(f"    cdnAmpWebUrl: {quote(rel.cdn_amp_web_url)}\n")
    out.append(f"    type: {_plain(rel.type)}\n")
    if rel.provider is not None:
        _provider(out, "    ", rel.provider)
    if rel.quality is not None:
        out.append(f"    quality: {_scalar(rel.quality)}\n")
    if rel.images:
        out.append("    images:\n")
        _images(out, "      ", rel.images)


# ``extra`` values (rare, legacy) are built as lists of lines, then indented.
Lines = list[str]


def _items(lines: Lines, ind: str, entries: list[Lines]) -> None:
    """Write a block list: first line of each entry after ``- ``, the rest indented by 2."""
    for entry in entries:
        lines.append(f"{ind}- {entry[0]}")
        lines.extend(f"{ind}  {line}" for line in entry[1:])


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


def _head(out: Out, r: Record) -> None:
    out.append(
        f"---\ncategory: {_plain(r.category)}\ntitle: {quote(r.title)}\n"
        f"excerpt: {quote(r.excerpt)}\npublishedDateTime: {format_datetime(r.published)}\n"
    )
    if r.original_url is not None:
        out.append(f"originalUrl: {quote(r.original_url)}\n")
    if r.web_url:
        out.append(f"webUrl: {quote(r.web_url)}\n")
    if r.source_url is not None and r.source_url != r.web_url:
        out.append(f"sourceUrl: {quote(r.source_url)}\n")
    if r.amp_web_url is not None:
        out.append(f"ampWebUrl: {quote(r.amp_web_url)}\n")
    if r.cdn_amp_web_url is not None:
        out.append(f"cdnAmpWebUrl: {quote(r.cdn_amp_web_url)}\n")
    out.append(f"type: {_plain(r.type)}\n")
    if r.quality is not None:
        out.append(f"quality: {_scalar(r.quality)}\n")
    if r.heat is not None:
        out.append(f"heat: {_scalar(r.heat)}\n")
    if r.is_published is not None:
        out.append(f"published: {_scalar(r.is_published)}\n")


def format_record(record: Record) -> str:
    """Serialize ``record`` in the current canonical layout, ending with ``---\\n\\n``.

    Groups of lines are separated by one blank line: the head, the extras (if any), the
    provider, topics, images, related and secured (each only when present).
    """
    out: Out = []
    _head(out, record)
    if record.extra:
        out.append("\n")
        out.extend(f"{ln}\n" for key, value in record.extra for ln in _block(_plain(key), value))
    out.append("\n")
    _provider(out, "", record.provider)
    if record.topics:
        out.append("\ntopics:\n")
        out.extend(f"  - {_plain(t)}\n" for t in record.topics)
    if record.images:
        out.append("\nimages:\n")
        _images(out, "  ", record.images)
    if record.related:
        out.append("\nrelated:\n")
        for rel in record.related:
            _related(out, rel)
    if record.secured is not None:
        out.append(f"\nsecured: {quote(record.secured)}\n")
    out.append("---\n\n")
    return "".join(out)
