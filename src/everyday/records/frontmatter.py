"""Parse and serialize news records: the seed's Markdown + YAML front matter, byte for byte.

The layout written by :func:`format_record` is the *current* one (2021-07 onwards, see
``SCHEMA.md`` §i): fixed key order, one blank line between groups, strings double-quoted with
JSON-style escapes, numbers/booleans/datetimes unquoted, ``category``, ``type``, provider
``name``/``domain`` and ``topics`` plain (unquoted) unless YAML would read them as something
else, in which case they are double-quoted too (the corpus has no such value to copy).

Parsing walks PyYAML *nodes* rather than constructed values, so an unquoted ``title: 2019``
or ``webUrl: https://…`` stays the text it was written as; only fields that are numbers,
booleans or datetimes are converted, and datetimes always come out timezone-aware in UTC.

Legacy shapes (2013-2020 files, the 2019-20 "C" era) are read and written back in the
current layout without losing a value:

* ``sourceUrl`` fills :attr:`Record.source_url`; when ``webUrl`` is absent it also becomes
  ``web_url``. It is written back as ``sourceUrl`` only when it differs from ``webUrl``.
* ``ampUrl``/``cdnAmpUrl`` are read as ``amp_web_url``/``cdn_amp_web_url`` (written as
  ``ampWebUrl``/``cdnAmpWebUrl``), also inside ``related`` entries.
* An image ``title`` is kept on :class:`Image` and written back after ``isCached``.
* A file without ``webUrl`` (12 powerapps records carry only ``originalUrl``) parses to
  ``web_url == ""``, which means "absent" and is not written back.
* Unknown top-level keys (e.g. ``featuredContent``) go to ``Record.extra`` in file order and
  are written as their own group before ``provider``. Unknown keys inside provider, image or
  related entries have nowhere to live, so they raise :class:`RecordError` instead of being
  dropped silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import yaml

from everyday.errors import RecordError
from everyday.models import Image, Provider, Record, Related

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAX_NODES = 200_000  # cap on nodes walked for extras (aliases can fan out a small file)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_NEEDS_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


class FieldError(RecordError):
    """A :class:`RecordError` that names the file and the offending field."""

    def __init__(self, path: str, field: str, message: str) -> None:
        where = f"{path or '<record>'}: {field}" if field else path or "<record>"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.field = field
        self.reason = message


# --------------------------------------------------------------------------- parsing


def split_front_matter(text: str, path: str = "") -> tuple[str, str]:
    """Return (yaml, body) of a record file; the opening and closing ``---`` lines are dropped."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    if not text.strip():
        raise FieldError(path, "front matter", "file is empty")
    if not text.startswith("---\n"):
        raise FieldError(path, "front matter", "file does not start with a '---' line")
    end = re.search(r"^---[ \t]*$", text[4:], re.MULTILINE)
    if end is None:
        raise FieldError(path, "front matter", "no closing '---' line")
    return text[4 : 4 + end.start()], text[4 + end.end() :]


def parse_record(text: str, *, path: str = "") -> Record:
    """Parse a record file's text into a :class:`Record`.

    Args:
        text: the whole file, front matter between ``---`` lines, empty body.
        path: used in error messages only.

    Raises:
        RecordError: not YAML, no front matter, a missing required key, a wrong type,
            a non-empty body or an unknown key inside a nested entry.
    """
    source, body = split_front_matter(text, path)
    if body.strip():
        raise FieldError(path, "body", "news records carry no Markdown body")
    try:
        root = yaml.compose(source, Loader=_Loader)
    except yaml.YAMLError as e:
        raise FieldError(path, "front matter", f"not valid YAML: {e}") from e
    if root is None:
        raise FieldError(path, "front matter", "front matter is empty")
    return _Walk(path).record(root)


class _Walk:
    """Convert a composed YAML node tree to model objects, naming the path on every error."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.budget = _MAX_NODES

    def fail(self, field: str, message: str) -> FieldError:
        return FieldError(self.path, field, message)

    def mapping(self, node: Any, field: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(field, "must be a mapping")
        out: dict[str, Any] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise self.fail(field, "keys must be plain strings")
            if key.value in out:
                raise self.fail(f"{field}.{key.value}" if field else key.value, "duplicate key")
            out[key.value] = value
        return out

    def seq(self, node: Any, field: str) -> list[Any]:
        if self.is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(field, "must be a list")
        return list(node.value)

    @staticmethod
    def is_null(node: Any) -> bool:
        return isinstance(node, yaml.ScalarNode) and node.tag == _NULL and not node.style

    def text(self, node: Any, field: str) -> str:
        # The raw scalar text: an unquoted title "2019" or URL stays a string.
        if node is None:
            raise self.fail(field, "is required")
        if not isinstance(node, yaml.ScalarNode) or self.is_null(node):
            raise self.fail(field, "must be a string")
        return str(node.value)

    def opt_text(self, node: Any, field: str) -> str | None:
        return None if node is None or self.is_null(node) else self.text(node, field)

    def integer(self, node: Any, field: str) -> int | None:
        if node is None:
            return None
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _INT and not node.style):
            raise self.fail(field, "must be an integer")
        if not re.fullmatch(r"[-+]?[0-9]+", node.value):
            raise self.fail(field, f"must be a decimal integer, not {node.value!r}")
        return int(node.value)

    def boolean(self, node: Any, field: str) -> bool | None:
        if node is None:
            return None
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _BOOL and not node.style):
            raise self.fail(field, "must be true or false")
        return bool(_CONSTRUCTOR.construct_yaml_bool(node))

    def moment(self, node: Any, field: str) -> datetime:
        if node is None:
            raise self.fail(field, "is required")
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(field, "must be a datetime")
        try:
            value = _CONSTRUCTOR.construct_yaml_timestamp(node)
        except (ValueError, TypeError, AttributeError) as e:
            raise self.fail(field, f"must be a datetime, not {node.value!r}") from e
        return _as_utc(value)

    def only(self, fields: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in fields:
            if key not in allowed:
                raise self.fail(f"{where}.{key}", "unknown key (it would be lost on rewrite)")

    def image(self, node: Any, where: str) -> Image:
        f = self.mapping(node, where)
        self.only(f, {"url", "width", "height", "isCached", "title"}, where)
        return Image(
            url=self.text(f.get("url"), f"{where}.url"),
            width=self.integer(f.get("width"), f"{where}.width"),
            height=self.integer(f.get("height"), f"{where}.height"),
            is_cached=self.boolean(f.get("isCached"), f"{where}.isCached"),
            title=self.opt_text(f.get("title"), f"{where}.title"),
        )

    def images(self, node: Any, where: str) -> tuple[Image, ...]:
        if node is None:
            return ()
        return tuple(self.image(n, f"{where}[{i}]") for i, n in enumerate(self.seq(node, where)))

    def provider(self, node: Any, where: str) -> Provider:
        if node is None:
            raise self.fail(where, "is required")
        f = self.mapping(node, where)
        self.only(f, {"name", "domain", "images"}, where)
        return Provider(
            name=self.text(f.get("name"), f"{where}.name"),
            domain=self.text(f.get("domain"), f"{where}.domain"),
            images=self.images(f.get("images"), f"{where}.images"),
        )

    def related(self, node: Any, where: str) -> Related:
        f = self.mapping(node, where)
        self.only(f, _RELATED_KEYS, where)
        web = self._alias(f, "webUrl", "sourceUrl", where)
        if web is None:
            raise self.fail(f"{where}.webUrl", "is required")
        provider = f.get("provider")
        return Related(
            title=self.text(f.get("title"), f"{where}.title"),
            excerpt=self.text(f.get("excerpt"), f"{where}.excerpt"),
            published=self.moment(f.get("publishedDateTime"), f"{where}.publishedDateTime"),
            web_url=web,
            type=self.opt_text(f.get("type"), f"{where}.type") or "article",
            provider=None if provider is None else self.provider(provider, f"{where}.provider"),
            quality=self.integer(f.get("quality"), f"{where}.quality"),
            amp_web_url=self._alias(f, "ampWebUrl", "ampUrl", where),
            cdn_amp_web_url=self._alias(f, "cdnAmpWebUrl", "cdnAmpUrl", where),
            images=self.images(f.get("images"), f"{where}.images"),
        )

    def _alias(self, f: dict[str, Any], key: str, legacy: str, where: str = "") -> str | None:
        prefix = f"{where}." if where else ""
        value = self.opt_text(f.get(key), prefix + key)
        return value if value is not None else self.opt_text(f.get(legacy), prefix + legacy)

    def record(self, root: Any) -> Record:
        if not isinstance(root, yaml.MappingNode):
            raise self.fail("front matter", "must be a mapping of keys to values")
        f = self.mapping(root, "")
        original = self.opt_text(f.get("originalUrl"), "originalUrl")
        source = self.opt_text(f.get("sourceUrl"), "sourceUrl")
        web = self.opt_text(f.get("webUrl"), "webUrl") or source or ""
        if not (web or original):
            raise self.fail("webUrl", "is required (or originalUrl/sourceUrl)")
        related = f.get("related")
        topics = self.seq(f.get("topics"), "topics")
        return Record(
            title=self.text(f.get("title"), "title"),
            excerpt=self.text(f.get("excerpt"), "excerpt"),
            published=self.moment(f.get("publishedDateTime"), "publishedDateTime"),
            web_url=web,
            provider=self.provider(f.get("provider"), "provider"),
            original_url=original,
            category=self.opt_text(f.get("category"), "category") or "news",
            type=self.opt_text(f.get("type"), "type") or "article",
            amp_web_url=self._alias(f, "ampWebUrl", "ampUrl"),
            cdn_amp_web_url=self._alias(f, "cdnAmpWebUrl", "cdnAmpUrl"),
            quality=self.integer(f.get("quality"), "quality"),
            heat=self.integer(f.get("heat"), "heat"),
            is_published=self.boolean(f.get("published"), "published"),
            topics=tuple(self.text(n, f"topics[{i}]") for i, n in enumerate(topics)),
            images=self.images(f.get("images"), "images"),
            related=None
            if related is None
            else tuple(
                self.related(n, f"related[{i}]") for i, n in enumerate(self.seq(related, "related"))
            ),
            secured=self.opt_text(f.get("secured"), "secured"),
            source_url=source,
            extra=tuple((k, self.value(v, k)) for k, v in f.items() if k not in _KNOWN_KEYS),
        )

    def value(self, node: Any, field: str) -> object:
        """Any YAML value (for ``extra``): quoted scalars stay strings, lists become tuples."""
        self.budget -= 1
        if self.budget < 0:
            raise self.fail(field, "too many nested values")
        if isinstance(node, yaml.SequenceNode):
            return tuple(self.value(n, f"{field}[{i}]") for i, n in enumerate(node.value))
        if isinstance(node, yaml.MappingNode):
            return {k: self.value(v, f"{field}.{k}") for k, v in self.mapping(node, field).items()}
        if node.style or node.tag == _STR:
            return str(node.value)
        if node.tag == _INT and re.fullmatch(r"[-+]?[0-9]+", node.value):
            return int(node.value)
        if node.tag == _BOOL:
            return self.boolean(node, field)
        if node.tag == _NULL:
            return None
        if node.tag.endswith(":timestamp"):
            return self.moment(node, field)
        return str(node.value)  # floats, 0x1A and the like: keep the text


_RELATED_KEYS = {
    "title", "excerpt", "publishedDateTime", "webUrl", "sourceUrl", "ampWebUrl", "ampUrl",
    "cdnAmpWebUrl", "cdnAmpUrl", "type", "provider", "quality", "images",
}  # fmt: skip
_KNOWN_KEYS = {
    "category", "title", "excerpt", "publishedDateTime", "originalUrl", "webUrl", "sourceUrl",
    "ampWebUrl", "ampUrl", "cdnAmpWebUrl", "cdnAmpUrl", "type", "quality", "heat", "published",
    "provider", "topics", "images", "related", "secured",
}  # fmt: skip


def _as_utc(value: datetime | date) -> datetime:
    """YAML gives naive (assumed UTC), aware or date-only values; return aware UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --------------------------------------------------------------------------- formatting


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
        return bool(yaml.load(f"k: {value}\n", Loader=_Loader) == {"k": value})
    except yaml.YAMLError:
        return False


def _plain(value: str) -> str:
    return value if is_plain_safe(value) else quote(value)


def format_datetime(value: datetime) -> str:
    """``2023-11-07T00:27:00Z``; naive values are taken as UTC, fractions kept if present."""
    value = _as_utc(value)
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
        return format_datetime(_as_utc(value))
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
