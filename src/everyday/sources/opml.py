"""Import and export source lists as OPML, the subscription format every feed reader speaks.

Import follows OPML 2.0 (http://opml.org/spec2.opml) leniently: any ``<outline>`` with an
``xmlUrl`` is a feed, the outlines around it are its category path. Parsing goes through
:mod:`.safexml`, so entity tricks (billion laughs, XXE) are refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from ..errors import ParseError
from ..models import Source
from .normalize import as_utc, collapse_space, normalize_url
from .safexml import local_name, parse_xml

log = logging.getLogger(__name__)

# Outline ``type`` values written for our source kinds; readers ignore types they lack.
_KIND_TYPES = {"feed": "rss", "sitemap": "sitemap", "page": "page"}
_TYPE_KINDS = {"sitemap": "sitemap", "page": "page"}
# Characters XML 1.0 cannot carry at all (§2.2); lxml refuses them, so they are dropped.
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class OutlineFeed:
    """One subscription found in an OPML file."""

    xml_url: str
    html_url: str | None = None
    title: str | None = None
    category: tuple[str, ...] = ()  # outer to inner folder names
    kind: str = "feed"  # feed | sitemap | page, from the outline type


def _attr(el: etree._Element, name: str) -> str | None:
    """Read an attribute case-insensitively (some exporters write ``xmlurl``)."""
    value = el.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in el.attrib.items() if str(k).lower() == lowered), None)
    value = collapse_space(value) if value else ""
    return value or None


def _label(el: etree._Element) -> str | None:
    return _attr(el, "title") or _attr(el, "text")


def parse_opml(content: bytes) -> list[OutlineFeed]:
    """Return the feeds of an OPML document, first occurrence of each URL kept.

    Raises:
        ParseError: not well-formed XML, entity declarations, or a root other than <opml>.
    """
    root = parse_xml(content, "OPML")
    if local_name(root).lower() != "opml":
        raise ParseError(f"OPML: expected an <opml> document, got <{local_name(root)}>")
    body = next((el for el in root if local_name(el).lower() == "body"), None)
    if body is None:
        raise ParseError("OPML: no <body> element")
    feeds: dict[str, OutlineFeed] = {}
    for feed in _walk(body, ()):
        feeds.setdefault(feed.xml_url, feed)
    log.debug("opml parsed feeds=%d", len(feeds))
    return list(feeds.values())


def _walk(parent: etree._Element, path: tuple[str, ...]) -> Iterator[OutlineFeed]:
    """Yield the feeds under ``parent`` (a loop, not recursion: nesting depth is untrusted)."""
    stack = [(child, path) for child in reversed(parent)]
    while stack:
        el, where = stack.pop()
        if local_name(el).lower() != "outline":
            continue
        raw_url = _attr(el, "xmlUrl")
        if raw_url is None:
            label = _label(el)
            inner = (*where, label) if label else where
            stack.extend((child, inner) for child in reversed(el))
            continue
        url = normalize_url(raw_url)
        if url is None:
            log.warning("opml outline skipped xml_url=%r reason=not-http", raw_url)
            continue
        yield OutlineFeed(
            xml_url=url,
            html_url=normalize_url(_attr(el, "htmlUrl")),
            title=_label(el),
            category=where or _category_attr(el),
            kind=_TYPE_KINDS.get((_attr(el, "type") or "").lower(), "feed"),
        )


def _category_attr(el: etree._Element) -> tuple[str, ...]:
    """Read OPML 2.0's ``category`` attribute ("/Tech/AI,/News"): the first path only."""
    first = (_attr(el, "category") or "").split(",")[0]
    return tuple(part.strip() for part in first.split("/") if part.strip())


def _xml_text(text: str) -> str:
    return _NOT_XML_CHARS.sub("", text)


def export_opml(sources: Iterable[Source], title: str, created: datetime | None = None) -> str:
    """Return an OPML 2.0 document listing the sources, one outline each.

    Args:
        sources: the sources to list, in order.
        title: the document title (escaped as needed).
        created: written as ``dateCreated`` when given (pass it in: this stays pure).
    """
    opml = etree.Element("opml", version="2.0")
    head = etree.SubElement(opml, "head")
    etree.SubElement(head, "title").text = _xml_text(title)
    if created is not None:
        etree.SubElement(head, "dateCreated").text = format_datetime(as_utc(created), usegmt=True)
    body = etree.SubElement(opml, "body")
    for source in sources:
        label = _xml_text(source.title or source.url)
        etree.SubElement(
            body,
            "outline",
            type=_KIND_TYPES.get(source.kind, "rss"),
            text=label,
            title=label,
            xmlUrl=_xml_text(source.url),
        )
    text = etree.tostring(opml, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text
