"""JSON of the static API: the seed's envelope and item shape, key for key and byte for byte.

The seed's news pages were written by a .NET serializer (SCHEMA.md §ii): two-space indent,
``": "`` after keys, non-ASCII kept as UTF-8, ``/`` not escaped, no trailing newline, and
every nullable key present with ``null``. ``json.dumps(indent=2, ensure_ascii=False)``
produces exactly those bytes (the corpus test checks them page by page), but with an indent
the stdlib drops to its pure-Python encoder; :func:`dumps` writes the same bytes several
times faster, and each item is encoded once and pasted into every page that lists it.
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


_quote = json.encoder.encode_basestring  # the C escaper json.dumps(ensure_ascii=False) uses
VALUE_INDENT = "    "  # where items sit in a page: {"value": [ <here> ]}


def dumps(value: object, indent: str = "") -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)``, as if nested ``indent`` deep."""
    if isinstance(value, str):
        return _quote(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    inner = indent + "  "
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if not value:
            return "{}"
        fields = [f"{inner}{_quote(k)}: {dumps(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(fields) + "\n" + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + dumps(v, inner) for v in value) + "\n" + indent + "]"
    # floats, odd keys: rare here, so let the stdlib decide (and raise TypeError if it must)
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + indent)


def page_text(page: int, values: Sequence[str], has_next: bool) -> str:
    """The envelope ``{"page", "value", "nextPage"}`` around values already encoded at
    :data:`VALUE_INDENT` (JSON strings hold no raw newline, so pasting is safe)."""
    inner = "[\n" + ",\n".join(VALUE_INDENT + v for v in values) + "\n  ]" if values else "[]"
    following = str(page + 1) if has_next else "null"
    return f'{{\n  "page": {page},\n  "value": {inner},\n  "nextPage": {following}\n}}'


def envelope(page: int, value: Sequence[object], has_next: bool) -> dict[str, object]:
    """``{"page": N, "value": [...], "nextPage": N+1 | null}`` as a value (for tests, tools)."""
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


def full_item_text(item_text: str, entry: Entry, self_url: str) -> str:
    """:func:`full_item` encoded, built from the page encoding of the same item.

    ``item_text`` is :func:`news_item` encoded at :data:`VALUE_INDENT`.
    """
    text = item_text.replace("\n" + VALUE_INDENT, "\n")
    text = text.replace('\n  "sourceUrl": null,', f'\n  "sourceUrl": {_quote(self_url)},', 1)
    extra = {
        "quality": entry.record.quality,
        "published": entry.record.is_published,
        "related": [related_json(r) for r in entry.record.related or ()],
    }
    return text[:-2] + ",\n" + dumps(extra)[2:]


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
