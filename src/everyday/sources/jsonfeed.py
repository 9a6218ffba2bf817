"""Read JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).

feedparser does not read JSON, so this module maps a JSON Feed to the same FeedEntry
values the XML formats produce.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import ParseError
from ..models import FeedEntry
from .normalize import (
    clean_title,
    collapse_space,
    first_image_src,
    html_to_text,
    normalize_url,
    parse_datetime,
    unique,
)

log = logging.getLogger(__name__)

# The spec's version URLs; "http:" is accepted because early 1.0 feeds used it.
_VERSIONS = {
    "https://jsonfeed.org/version/1": "1.0",
    "http://jsonfeed.org/version/1": "1.0",
    "https://jsonfeed.org/version/1.1": "1.1",
    "http://jsonfeed.org/version/1.1": "1.1",
}


@dataclass(frozen=True)
class JsonFeed:
    """A parsed JSON Feed: its top-level fields and entries."""

    url: str
    version: str  # "1.0" | "1.1"
    title: str | None
    link: str | None
    entries: tuple[FeedEntry, ...]
    warnings: tuple[str, ...] = ()


def looks_like_json(content: bytes, content_type: str | None) -> bool:
    """Tell whether a body should be read as JSON: by its first byte, else by media type.

    The body wins over the header because servers often label feeds wrongly.
    """
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head in (b"{", b"<"):
        return head == b"{"
    return bool(content_type) and "json" in str(content_type).lower()


def _load(content: bytes, url: str) -> dict[str, Any]:
    if not content.strip():
        raise ParseError(f"{url}: empty body")
    try:
        data = json.loads(content)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError
        raise ParseError(f"{url}: invalid JSON ({e})") from e
    if not isinstance(data, dict):
        raise ParseError(f"{url}: expected a JSON Feed object, got {type(data).__name__}")
    version = data.get("version")
    if version not in _VERSIONS:
        raise ParseError(f"{url}: not a JSON Feed 1.0/1.1 (version {version!r})")
    if not isinstance(data.get("items"), list):
        raise ParseError(f"{url}: JSON Feed without an items list")
    return data


def parse_json_feed(content: bytes, url: str) -> JsonFeed:
    """Parse JSON Feed bytes.

    Args:
        content: the downloaded body (UTF-8, with or without BOM).
        url: the feed URL; relative item URLs are resolved against it.

    Raises:
        ParseError: empty body, invalid JSON, unknown version, or no ``items`` list.
    """
    data = _load(content, url)
    feed_authors = _authors(data)
    entries: list[FeedEntry] = []
    warnings: list[str] = []
    for index, item in enumerate(data["items"]):
        if not isinstance(item, dict):
            warnings.append(f"item {index}: not an object, skipped")
            continue
        entry = _entry(item, url, feed_authors, warnings)
        if entry is None:
            warnings.append(f"item {_item_id(item, index)}: no usable http(s) url, skipped")
        else:
            entries.append(entry)
    log.debug("json feed parsed url=%s entries=%d", url, len(entries))
    return JsonFeed(
        url=url,
        version=_VERSIONS[data["version"]],
        title=clean_title(_text(data.get("title"))),
        link=normalize_url(_text(data.get("home_page_url")), url),
        entries=tuple(entries),
        warnings=tuple(warnings),
    )


def _text(value: object) -> str | None:
    """Return a string field, or None when absent or of the wrong type."""
    return value if isinstance(value, str) else None


def _item_id(item: dict[str, Any], index: int) -> str:
    value = item.get("id")
    return str(value) if isinstance(value, str | int) else f"#{index}"


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    """Return author names from 1.1 ``authors`` or, failing that, 1.0 ``author``."""
    found = obj.get("authors")
    if not isinstance(found, list):
        found = [obj.get("author")]
    names = [a.get("name") for a in found if isinstance(a, dict)]
    return unique([n for n in names if isinstance(n, str)])


def _date(item: dict[str, Any], key: str, warnings: list[str]) -> datetime | None:
    raw = _text(item.get(key))
    value = parse_datetime(raw)
    if raw and value is None:
        warnings.append(f"unreadable {key} {raw!r}")
    return value


def _entry(
    item: dict[str, Any], url: str, feed_authors: tuple[str, ...], warnings: list[str]
) -> FeedEntry | None:
    """Map one item; ``url`` is the item's own page, ``external_url`` the linked article."""
    link = normalize_url(_text(item.get("url")), url) or normalize_url(
        _text(item.get("external_url")), url
    )
    if link is None:
        return None
    content_html = _text(item.get("content_html"))
    # Spec: summary and content_text are plain text; content_html needs reducing.
    summary = (
        collapse_space(_text(item.get("summary")) or "")
        or collapse_space(_text(item.get("content_text")) or "")
        or html_to_text(content_html)
        or None
    )
    image = (
        normalize_url(_text(item.get("image")), url)
        or normalize_url(_text(item.get("banner_image")), url)
        or first_image_src(content_html, link)
    )
    tags = item.get("tags")
    guid = item.get("id")
    return FeedEntry(
        url=link,
        source_url=url,
        title=clean_title(_text(item.get("title"))),
        summary=summary,
        published=_date(item, "date_published", warnings),
        updated=_date(item, "date_modified", warnings),
        # Spec: items without authors inherit the feed's.
        authors=_authors(item) or feed_authors,
        image_url=image,
        tags=unique([t for t in tags if isinstance(t, str)]) if isinstance(tags, list) else (),
        guid=str(guid) if isinstance(guid, str | int) and not isinstance(guid, bool) else None,
    )
