"""Lossless JSON form of :class:`Article` and :class:`Record` for the index.

Every backend stores an article as one JSON document beside its indexed columns, so
the encoding lives here, not in a backend. The rules:

- every dataclass field is written, in declaration order, so ``None`` and ``()`` stay
  distinct (``related=None`` means "not computed", ``related=()`` means "none found");
- datetimes are ISO 8601 strings (``datetime.isoformat``), naive ones stay naive;
- ``Record.extra`` holds whatever a legacy file carried, so its values are tagged when
  JSON has no native form: ``{"$datetime": ...}``, ``{"$date": ...}``, ``{"$time": ...}``,
  ``{"$tuple": [...]}``, ``{"$bytes": base64}``, ``{"$float": "nan"}``, and
  ``{"$dict": [[key, value], ...]}`` for a mapping whose keys are not plain strings.
  Non-finite floats are tagged because PostgreSQL ``jsonb`` rejects ``NaN``.

Unknown keys in a stored document are ignored and missing ones take the field's
default, so an older index still loads after a field is added to a model.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, date, datetime, time
from typing import Any

from ..errors import StoreError
from ..models import Article, Image, Provider, Record, Related, Source

FORMAT_VERSION = 1

# ---------------------------------------------------------------------------- values


def encode_datetime(value: datetime | None) -> str | None:
    """ISO form that :func:`decode_datetime` turns back into an equal datetime."""
    return None if value is None else value.isoformat()


def decode_datetime(value: str | None) -> datetime | None:
    """Inverse of :func:`encode_datetime`."""
    return None if value is None else datetime.fromisoformat(value)


def utc_key(value: datetime) -> str:
    """Fixed-width UTC text that sorts like the instant it names (naive counts as UTC).

    Indexed columns hold this form so ``ORDER BY`` and range filters are correct even
    when records mix offsets; the lossless form stays in the JSON document.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    """The earlier of two optional datetimes (naive counts as UTC, as in :func:`utc_key`)."""
    if a is None or b is None:
        return a or b
    return a if utc_key(a) <= utc_key(b) else b


def encode_value(value: Any) -> Any:
    """Turn a YAML-ish value into JSON-safe data, tagging what JSON cannot hold.

    Raises:
        StoreError: the value (or something inside it) has no encoding.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode_value(v) for k, v in value.items()}
        return {"$dict": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
    raise StoreError(f"cannot encode value of type {type(value).__name__}: {value!r:.80}")


_TAGS: dict[str, Any] = {
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$float": float,
    "$bytes": lambda v: base64.b64decode(v.encode("ascii")),
    "$tuple": lambda v: tuple(decode_value(x) for x in v),
    "$dict": lambda v: {_hashable(decode_value(k)): decode_value(x) for k, x in v},
}


def _hashable(key: Any) -> Any:
    # A "$dict" key decoded from JSON is never a list, but keep the error readable.
    if isinstance(key, list | dict):
        raise StoreError(f"unhashable mapping key in stored value: {key!r:.80}")
    return key


def decode_value(value: Any) -> Any:
    """Inverse of :func:`encode_value`."""
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, inner),) = value.items()
            if key in _TAGS:
                return _TAGS[key](inner)
        return {k: decode_value(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------- dataclasses


def _image(image: Image) -> dict[str, Any]:
    return {f.name: getattr(image, f.name) for f in fields(Image)}


def _provider(provider: Provider | None) -> dict[str, Any] | None:
    if provider is None:
        return None
    return {
        "name": provider.name,
        "domain": provider.domain,
        "images": [_image(i) for i in provider.images],
    }


def _related(related: Related) -> dict[str, Any]:
    data = {f.name: getattr(related, f.name) for f in fields(Related)}
    data["published"] = encode_datetime(related.published)
    data["provider"] = _provider(related.provider)
    data["images"] = [_image(i) for i in related.images]
    return data


def encode_record(record: Record) -> dict[str, Any]:
    """Record as JSON-safe data, every field present (see the module docstring)."""
    data = {f.name: getattr(record, f.name) for f in fields(Record)}
    data["published"] = encode_datetime(record.published)
    data["provider"] = _provider(record.provider)
    data["topics"] = list(record.topics)
    data["images"] = [_image(i) for i in record.images]
    data["related"] = None if record.related is None else [_related(r) for r in record.related]
    data["extra"] = [[key, encode_value(value)] for key, value in record.extra]
    return data


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _decode_image(data: dict[str, Any]) -> Image:
    return Image(**_known(Image, data))


def _decode_images(data: list[dict[str, Any]] | None) -> tuple[Image, ...]:
    return tuple(_decode_image(i) for i in data or ())


def _decode_provider(data: dict[str, Any] | None) -> Provider | None:
    if data is None:
        return None
    return Provider(data["name"], data["domain"], _decode_images(data.get("images")))


def _decode_related(data: dict[str, Any]) -> Related:
    values = _known(Related, data)
    values["published"] = decode_datetime(data["published"])
    values["provider"] = _decode_provider(data.get("provider"))
    values["images"] = _decode_images(data.get("images"))
    return Related(**values)


def decode_record(data: dict[str, Any]) -> Record:
    """Inverse of :func:`encode_record`.

    Raises:
        StoreError: the data is not an encoded record.
    """
    try:
        values = _known(Record, data)
        values["published"] = decode_datetime(data["published"])
        values["provider"] = _decode_provider(data["provider"])
        values["topics"] = tuple(data.get("topics") or ())
        values["images"] = _decode_images(data.get("images"))
        related = data.get("related")
        values["related"] = None if related is None else tuple(map(_decode_related, related))
        values["extra"] = tuple((k, decode_value(v)) for k, v in data.get("extra") or ())
        return Record(**values)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise StoreError(f"stored record is malformed: {type(e).__name__}: {e}") from e


def encode_article(article: Article) -> dict[str, Any]:
    """Article as JSON-safe data: its record plus the private fields."""
    return {
        "v": FORMAT_VERSION,
        "record": encode_record(article.record),
        "path": article.path,
        "text": article.text,
        "authors": list(article.authors),
        "source_url": article.source_url,
        "first_seen": encode_datetime(article.first_seen),
        "fingerprint": article.fingerprint,
        "tags": list(article.tags),
    }


def decode_article(data: dict[str, Any]) -> Article:
    """Inverse of :func:`encode_article`.

    Raises:
        StoreError: the data is not an encoded article, or is from a newer format.
    """
    if not isinstance(data, dict):
        raise StoreError(f"stored article is not a JSON object: {type(data).__name__}")
    version = data.get("v", FORMAT_VERSION)
    if version > FORMAT_VERSION:
        raise StoreError(
            f"stored article has format {version}; this everyday reads {FORMAT_VERSION}"
        )
    try:
        return Article(
            record=decode_record(data["record"]),
            path=data["path"],
            text=data.get("text", ""),
            authors=tuple(data.get("authors") or ()),
            source_url=data.get("source_url"),
            first_seen=decode_datetime(data.get("first_seen")),
            fingerprint=data.get("fingerprint", ""),
            tags=tuple(data.get("tags") or ()),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise StoreError(f"stored article is malformed: {type(e).__name__}: {e}") from e


# ----------------------------------------------------------------------------- text


def dumps(data: Any) -> str:
    """Compact JSON text, key order kept (field order), UTF-8 left unescaped.

    Raises:
        StoreError: the data holds something JSON cannot (a NaN, an object).
    """
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise StoreError(f"cannot encode as JSON: {e}") from e


def loads(text: str) -> Any:
    """Parse JSON text written by :func:`dumps`.

    Raises:
        StoreError: the text is not JSON.
    """
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError) as e:
        raise StoreError(f"stored JSON is malformed: {e}") from e


def dumps_article(article: Article) -> str:
    """Article as JSON text (see :func:`encode_article`)."""
    return dumps(encode_article(article))


def loads_article(text: str) -> Article:
    """Article from JSON text written by :func:`dumps_article`."""
    return decode_article(loads(text))


def dumps_record(record: Record) -> str:
    """Record as JSON text (see :func:`encode_record`)."""
    return dumps(encode_record(record))


def loads_record(text: str) -> Record:
    """Record from JSON text written by :func:`dumps_record`."""
    return decode_record(loads(text))


def source_from_row(row: Mapping[str, Any]) -> Source:
    """A source from a ``sources`` row of either backend (columns by name)."""
    return Source(
        url=row["url"],
        kind=row["kind"],
        title=row["title"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_checked=decode_datetime(row["last_checked"]),
        next_check=decode_datetime(row["next_check"]),
        error_count=row["error_count"],
        last_error=row["last_error"],
        paused=bool(row["paused"]),
        interval_seconds=row["interval_seconds"],
    )
