"""JSON of the static API: the seed's envelope and item shape, key for key and byte for byte.

The seed's news pages were written by a .NET serializer (SCHEMA.md §ii): two-space indent,
``": "`` after keys, non-ASCII kept as UTF-8, ``/`` not escaped, no trailing newline, and
every nullable key present with ``null``. ``json.dumps(indent=2, ensure_ascii=False)``
produces exactly those bytes (the corpus test checks them page by page), but with an indent
the stdlib drops to its pure-Python encoder; :func:`dumps` writes the same bytes several
times faster, and each item is encoded once and pasted into every page that lists it.

A build encodes every record twice (its page item and its per-item file), so those two
have writers of their own (:func:`item_texts`, :func:`item_text`, :func:`full_item_text`)
that skip the dicts and the recursion: one ``%`` template per object, in the key order of
:func:`news_item` and :func:`related_json`, filled with each leaf as :func:`dumps` writes
it (strings by the C escaper, anything unusual by :func:`dumps` itself). The item is
written once, unindented; its page text is the same text indented (a ``str.replace``: JSON
strings hold no raw newline), its per-item file the same text with the extra fields.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
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

    ``item_text`` is :func:`news_item` encoded at :data:`VALUE_INDENT` (:func:`item_text`).
    """
    return _full_text(item_text.replace("\n" + VALUE_INDENT, "\n"), entry.record, self_url)


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


# --------------------------------------------------------------------------- item writers
# What a build encodes for every record, written straight from the record: one template per
# object (keys in the order of news_item and related_json), each leaf as dumps() writes it.


def item_text(entry: Entry, site: SiteSettings) -> str:
    """``dumps(news_item(entry, site), VALUE_INDENT)``, without building the dict."""
    return _item_text(entry, site).replace("\n", _VALUE_LINE)


def item_texts(entry: Entry, site: SiteSettings, self_url: str) -> tuple[str, str]:
    """:func:`item_text` and :func:`full_item_text` of one record, from one encoding."""
    text = _item_text(entry, site)
    return text.replace("\n", _VALUE_LINE), _full_text(text, entry.record, self_url)


_VALUE_LINE = "\n" + VALUE_INDENT  # JSON strings hold no raw newline: indenting is a replace
_NULL_SOURCE = '\n  "sourceUrl": null,'


def _full_text(text: str, record: Record, self_url: str) -> str:
    """The per-item file from ``dumps(news_item(...))``: its own URL and the extra fields."""
    tail = _extras_text(record)
    cut = text.find(_NULL_SOURCE)
    if cut < 0:
        return f"{text[:-2]},\n{tail}"
    source = f'\n  "sourceUrl": {_quote(self_url)},'
    return f"{text[:cut]}{source}{text[cut + len(_NULL_SOURCE) : -2]},\n{tail}"


def _item_text(entry: Entry, site: SiteSettings) -> str:
    """``dumps(news_item(entry, site))``."""
    r: Record = entry.record
    path, title, excerpt, web = entry.path, r.title, r.excerpt, r.web_url or None
    original, kind, locale, category = r.original_url, r.type, site.locale, r.category
    heat, amp, cdn = r.heat, r.amp_web_url, r.cdn_amp_web_url
    featured = highlight = None
    if r.extra != ():  # news_item's _extra for anything else, odd values included
        featured, highlight = _extra(r, "featuredContent"), _extra(r, "highlight")
    f = "  "
    # The usual leaves inline (a test costs much less than a call); _leaf does the rest.
    return _ITEM % (
        _quote(path) if path.__class__ is str else _leaf(path, f),
        _quote(title) if title.__class__ is str else _leaf(title, f),
        _quote(excerpt) if excerpt.__class__ is str else _leaf(excerpt, f),
        _quote(web) if web.__class__ is str else _leaf(web, f),
        _quote(original) if original.__class__ is str else _leaf(original, f),
        "null" if featured is None else _leaf(featured, f),
        "null" if highlight is None else _leaf(highlight, f),
        str(heat) if heat.__class__ is int else _leaf(heat, f),
        _images_text(r.images, f, None),
        _quote(kind) if kind.__class__ is str else _leaf(kind, f),
        "null" if amp is None else _leaf(amp, f),
        "null" if cdn is None else _leaf(cdn, f),
        _when(r.published),
        _provider_text(r.provider, f),
        _quote(locale) if locale.__class__ is str else _leaf(locale, f),
        _quote(category) if category.__class__ is str else _leaf(category, f + "  "),
        _list_text(r.topics, f),
    )


def _related_text(rel: Related) -> str:
    """``dumps(related_json(rel), "    ")``: a member of a per-item file's ``related``."""
    title, excerpt, web, kind = rel.title, rel.excerpt, rel.web_url, rel.type
    amp, cdn, quality = rel.amp_web_url, rel.cdn_amp_web_url, rel.quality
    f = "      "
    return _RELATED % (
        _quote(title) if title.__class__ is str else _leaf(title, f),
        _quote(excerpt) if excerpt.__class__ is str else _leaf(excerpt, f),
        _when(rel.published),
        _quote(web) if web.__class__ is str else _leaf(web, f),
        "null" if amp is None else _leaf(amp, f),
        "null" if cdn is None else _leaf(cdn, f),
        _quote(kind) if kind.__class__ is str else _leaf(kind, f),
        "null" if rel.provider is None else _provider_text(rel.provider, f),
        str(quality) if quality.__class__ is int else _leaf(quality, f),
        _images_text(rel.images, f, None),
    )


def _extras_text(record: Record) -> str:
    """The fields :func:`full_item` adds, closing the item's object."""
    related = record.related or ()
    if related:
        listed = "[\n    " + ",\n    ".join([_related_text(r) for r in related]) + "\n  ]"
    else:
        listed = "[]"
    return _EXTRAS % (_leaf(record.quality, "  "), _leaf(record.is_published, "  "), listed)


def _template(indent: str, *fields: str | tuple[str, str]) -> str:
    """An object at ``indent`` with a ``%s`` per value; ``(key, text)`` is a fixed value."""
    inner = indent + "  "
    lines = [
        f"{inner}{_quote(k)}: %s" if isinstance(k, str) else f"{inner}{_quote(k[0])}: {k[1]}"
        for k in fields
    ]
    return "{\n" + ",\n".join(lines) + "\n" + indent + "}"


_ITEM = _template(
    "",
    "path", "title", "excerpt", ("sourceUrl", "null"), "webUrl", "originalUrl",
    "featuredContent", "highlight", "heat", ("tags", "null"), "images", ("content", '""'),
    "type", "ampWebUrl", "cdnAmpWebUrl", "publishedDateTime", ("updatedDateTime", "null"),
    "provider", "locale", ("categories", "[\n    %s\n  ]"), "topics",
)  # fmt: skip
_RELATED = _template(
    "    ",
    "title", "excerpt", "publishedDateTime", "webUrl", "ampWebUrl", "cdnAmpWebUrl", "type",
    "provider", "quality", "images",
)  # fmt: skip
_EXTRAS = _template("", "quality", "published", "related")[2:]  # follows the item's fields


@functools.cache
def _image_template(indent: str) -> str:
    return _template(indent, "url", "width", "height", "title", ("attribution", "null"), "isCached")


@functools.cache
def _provider_template(indent: str) -> str:
    return _template(
        indent, "name", "domain", "images", ("publishers", "null"), ("authors", "null")
    )


def _leaf(value: object, indent: str) -> str:
    """``dumps(value, indent)``, the usual leaves first."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return _quote(value)
    if value.__class__ is int:
        return int.__repr__(value)
    return dumps(value, indent)


def _list_text(values: Sequence[object], indent: str) -> str:
    """``dumps(list(values), indent)``."""
    if not values:
        return "[]"
    inner = indent + "  "
    texts = [_quote(v) if v.__class__ is str else _leaf(v, inner) for v in values]
    return f"[\n{inner}" + f",\n{inner}".join(texts) + f"\n{indent}]"


def _images_text(images: Sequence[Image], indent: str, default_cached: bool | None) -> str:
    """``dumps(images_json(images, default_cached=...), indent)``."""
    if not images:
        return "null"
    inner = indent + "  "
    f = inner + "  "
    template = _image_template(inner)
    texts = []
    for i in images:
        url, width, height, title, cached = i.url, i.width, i.height, i.title, i.is_cached
        texts.append(
            template
            % (
                _quote(url) if url.__class__ is str else _leaf(url, f),
                str(width) if width.__class__ is int else _leaf(width, f),
                str(height) if height.__class__ is int else _leaf(height, f),
                "null" if title is None else _leaf(title, f),
                _leaf(cached if cached is not None else default_cached, f),
            )
        )
    return f"[\n{inner}" + f",\n{inner}".join(texts) + f"\n{indent}]"


def _provider_text(provider: Provider, indent: str) -> str:
    """``dumps(provider_json(provider), indent)``; records share a few hundred outlets."""
    key = _provider_key(provider, indent)
    return _encode_provider(provider, indent) if key is None else _shared_provider(key)


def _provider_key(provider: Provider, indent: str) -> tuple[Any, ...] | None:
    """The indent and the provider's leaves, or None unless each has its usual type: then
    equal keys mean equal texts (with odd types, 50 == 50.0 and 1 == True would not)."""
    name, domain, images = provider.name, provider.domain, provider.images
    if name.__class__ is not str or domain.__class__ is not str or images.__class__ is not tuple:
        return None
    key: list[Any] = [indent, name, domain]
    for i in images:
        if i.__class__ is not Image:
            return None
        url, width, height, cached, title = i.url, i.width, i.height, i.is_cached, i.title
        if url.__class__ is not str or title.__class__ not in _STR_OR_NULL:
            return None
        if width.__class__ not in _INT_OR_NULL or height.__class__ not in _INT_OR_NULL:
            return None
        if cached.__class__ not in _BOOL_OR_NULL:
            return None
        key += (url, width, height, cached, title)
    return tuple(key)


_INT_OR_NULL = (int, type(None))
_STR_OR_NULL = (str, type(None))
_BOOL_OR_NULL = (bool, type(None))


@functools.lru_cache(maxsize=4096)
def _shared_provider(key: tuple[Any, ...]) -> str:
    """The text of the provider a :func:`_provider_key` stands for."""
    indent, name, domain, *leaves = key
    images = tuple(Image(*leaves[n : n + 5]) for n in range(0, len(leaves), 5))
    return _encode_provider(Provider(name, domain, images), indent)


def _encode_provider(provider: Provider, indent: str) -> str:
    f = indent + "  "
    return _provider_template(indent) % (
        _leaf(provider.name, f),
        _leaf(provider.domain, f),
        _images_text(provider.images, f, False),
    )


def _when(value: datetime) -> str:
    """``format_datetime(value)`` as a JSON string; the usual whole-second UTC time quickly
    (``strftime("%Y")`` does not zero-pad years before 1000, so those take the long way)."""
    plain = value.__class__ is datetime and value.tzinfo is UTC and not value.microsecond
    if plain and value.year >= 1000:
        return f'"{value.isoformat()[:19]}Z"'
    return _quote(format_datetime(value))


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
