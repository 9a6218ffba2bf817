"""JSON of the static API: the seed's envelope and item shape, key for key and byte for byte.

The seed's news pages were written by a .NET serializer (SCHEMA.md §ii): two-space indent,
``": "`` after keys, non-ASCII kept as UTF-8, ``/`` not escaped, no trailing newline, and
every nullable key present with ``null``. ``json.dumps(indent=2, ensure_ascii=False)``
produces exactly those bytes, which the corpus test checks page by page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from everyday.models import Image, Provider, Record, Related
from everyday.records.frontmatter import format_datetime
from everyday.settings import SiteSettings

from .entries import Entry

Item = dict[str, Any]


def dumps(value: object) -> str:
    """Serialize like the seed: indent 2, UTF-8 text, no trailing newline."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def envelope(page: int, value: Sequence[object], has_next: bool) -> dict[str, object]:
    """``{"page": N, "value": [...], "nextPage": N+1 | null}``."""
    return {"page": page, "value": list(value), "nextPage": page + 1 if has_next else None}


def image_json(image: Image, *, default_cached: bool | None = None) -> Item:
    """An image with ``title``/``attribution`` placed before ``isCached``, as the seed does."""
    cached = image.is_cached if image.is_cached is not None else default_cached
    return {
        "url": image.url,
        "width": image.width,
        "height": image.height,
        "title": image.title,
        "attribution": None,
        "isCached": cached,
    }


def images_json(
    images: Sequence[Image], *, default_cached: bool | None = None
) -> list[Item] | None:
    """A list of images, or ``null`` when there are none (3 of 428 seed items)."""
    if not images:
        return None
    return [image_json(i, default_cached=default_cached) for i in images]


def provider_json(provider: Provider) -> Item:
    """The outlet; logos are served from the hub, never cached from the source (``false``)."""
    return {
        "name": provider.name,
        "domain": provider.domain,
        "images": images_json(provider.images, default_cached=False),
        "publishers": None,
        "authors": None,
    }


def news_item(entry: Entry, site: SiteSettings) -> Item:
    """One record as a news page item (SCHEMA.md §ii table; quality and related dropped)."""
    r: Record = entry.record
    return {
        "path": entry.path,
        "title": r.title,
        "excerpt": r.excerpt,
        "sourceUrl": None,
        "webUrl": r.web_url or None,
        "originalUrl": r.original_url,
        "featuredContent": _extra(r, "featuredContent"),
        "highlight": _extra(r, "highlight"),
        "heat": r.heat,
        "tags": None,
        "images": images_json(r.images),
        "content": "",
        "type": r.type,
        "ampWebUrl": r.amp_web_url,
        "cdnAmpWebUrl": r.cdn_amp_web_url,
        "publishedDateTime": format_datetime(r.published),
        "updatedDateTime": None,
        "provider": provider_json(r.provider),
        "locale": site.locale,
        "categories": [r.category],
        "topics": list(r.topics),
    }


def related_json(rel: Related) -> Item:
    """A related article, in the key order of the record files."""
    return {
        "title": rel.title,
        "excerpt": rel.excerpt,
        "publishedDateTime": format_datetime(rel.published),
        "webUrl": rel.web_url,
        "ampWebUrl": rel.amp_web_url,
        "cdnAmpWebUrl": rel.cdn_amp_web_url,
        "type": rel.type,
        "provider": None if rel.provider is None else provider_json(rel.provider),
        "quality": rel.quality,
        "images": images_json(rel.images),
    }


def full_item(item: Item, entry: Entry, self_url: str) -> Item:
    """The per-item JSON: the page item plus what pages drop (quality, published, related).

    ``sourceUrl`` names the item's own API URL, as the seed's per-item collection files do
    (``api/communities/<slug>/index.json``); pages keep it ``null`` like the seed's news pages.
    """
    item = {**item, "sourceUrl": self_url}
    item["quality"] = entry.record.quality
    item["published"] = entry.record.is_published
    item["related"] = [related_json(r) for r in entry.record.related or ()]
    return item


def _extra(record: Record, key: str) -> object:
    """A legacy key kept in ``Record.extra`` (e.g. ``featuredContent``), else ``null``."""
    return _json_safe(next((v for k, v in record.extra if k == key), None))


def _json_safe(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return format_datetime(value)
    return value if value is None or isinstance(value, str | int | bool) else str(value)
