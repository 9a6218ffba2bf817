"""Parse news records: the seed's Markdown + YAML front matter, read without losing a value.

The current layout is written by :mod:`everyday.records.layout` (:func:`format_record`,
re-exported here with the writer's other public names).

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

import re
from datetime import datetime
from typing import Any

import yaml

from everyday.errors import RecordError
from everyday.models import Image, Provider, Record, Related

# Re-exported: publish and serve import the writer's names from here.
from everyday.records.layout import LOADER, as_utc
from everyday.records.layout import format_datetime as format_datetime
from everyday.records.layout import format_record as format_record
from everyday.records.layout import is_plain_safe as is_plain_safe
from everyday.records.layout import quote as quote

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MAX_NODES = 200_000  # cap on nodes walked for extras (aliases can fan out a small file)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


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
        root = yaml.compose(source, Loader=LOADER)
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
        if node is None or self.is_null(node):  # absent (the writer omits empty lists) or null
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
        return as_utc(value)

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
