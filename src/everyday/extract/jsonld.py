"""JSON-LD on a page: find the schema.org object that describes the article itself.

Broken JSON-LD is skipped, never fatal: many CMSs emit it with trailing commas or raw
newlines, and the OpenGraph tags usually say the same thing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

# schema.org types that describe the article itself (not the page, site or breadcrumbs).
ARTICLE_TYPES = frozenset(
    {
        "Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "AnalysisNewsArticle",
        "OpinionNewsArticle", "ReviewNewsArticle", "BackgroundNewsArticle", "TechArticle",
        "ScholarlyArticle", "LiveBlogPosting", "Report", "SatiricalArticle", "Blog",
    }
)  # fmt: skip
_JSON_JUNK = re.compile(r"^\s*(<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(-->|//\s*\]\]>|\]\]>)\s*$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def article_node(scripts: list[str]) -> dict[str, Any]:
    """The first schema.org article object, with ``{"@id": ...}`` references resolved."""
    nodes: list[dict[str, Any]] = []
    for text in scripts:
        nodes.extend(_walk(_load_json(text)))
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    for node in nodes:
        if _types(node) & ARTICLE_TYPES:
            return {k: _resolve(v, by_id) for k, v in node.items()}
    return {}


def _load_json(text: str) -> Any:
    text = _JSON_JUNK.sub("", text.strip())
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(attempt, strict=False)  # strict=False: raw newlines in strings
        except ValueError:
            continue
    log.debug("skipping broken JSON-LD chars=%d", len(text))
    return None


def _walk(data: Any) -> Iterator[dict[str, Any]]:
    """Yield every object of a JSON-LD document: top level, lists and ``@graph`` members."""
    if isinstance(data, list):
        for item in data:
            yield from _walk(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _walk(data["@graph"])


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _resolve(value: Any, by_id: dict[str, dict[str, Any]]) -> Any:
    """Replace bare ``{"@id": x}`` references (Yoast style) by the node they point to."""
    if isinstance(value, list):
        return [_resolve(v, by_id) for v in value]
    if isinstance(value, dict) and set(value) == {"@id"}:
        return by_id.get(value["@id"], value)
    return value


def first_text(value: Any) -> str | None:
    """A non-blank string value; schema.org allows a list where one is expected."""
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, str) and value.strip() else None


def ref_of(value: Any) -> str | None:
    """URL of ``mainEntityOfPage``: a string, or an object with ``@id``/``url``."""
    if isinstance(value, dict):
        return first_text(value.get("url")) or first_text(value.get("@id"))
    return first_text(value)


def name_of(value: Any) -> str | None:
    """Name of a Person/Organization object, or the plain string schema.org also allows."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        return first_text(value.get("name"))
    return first_text(value)
