"""Read XML sitemaps (sitemaps.org 0.9): a urlset of pages, or an index of child sitemaps.

News sites publish a Google News sitemap (``news:`` extension: title, publication date,
keywords) that lists the last two days of articles; it is often the freshest "feed" a
site has. Elements are matched by local name because sites mix up namespaces.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass

from lxml import etree

from ..errors import ParseError
from ..models import FeedEntry
from .normalize import clean_title, normalize_url, parse_datetime, unique
from .safexml import child_text, local_name, parse_xml

log = logging.getLogger(__name__)

# sitemaps.org: "no larger than 50MB (52,428,800 bytes)" uncompressed.
MAX_SITEMAP_BYTES = 52_428_800
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Sitemap:
    """What one sitemap file lists: page entries (urlset) or child sitemaps (sitemapindex)."""

    url: str
    kind: str  # "urlset" | "sitemapindex"
    entries: tuple[FeedEntry, ...] = ()
    sitemaps: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def is_sitemap_root(name: str | None) -> bool:
    """Tell whether a root element name is one of a sitemap's."""
    return name in ("urlset", "sitemapindex")


def gunzip(content: bytes, url: str) -> bytes:
    """Inflate a ``.xml.gz`` sitemap, refusing more than the spec's 50 MB (gzip bomb guard)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(content, MAX_SITEMAP_BYTES + 1)
    except zlib.error as e:
        raise ParseError(f"{url}: broken gzip sitemap ({e})") from e
    if len(data) > MAX_SITEMAP_BYTES or inflater.unconsumed_tail:
        raise ParseError(f"{url}: sitemap larger than {MAX_SITEMAP_BYTES} bytes uncompressed")
    if not inflater.eof:
        raise ParseError(f"{url}: broken gzip sitemap (truncated)")
    return data


def parse_sitemap(content: bytes, url: str) -> Sitemap:
    """Parse a sitemap or sitemap index (plain or gzipped XML).

    Args:
        content: the downloaded bytes.
        url: where they came from; relative locations are resolved against it.

    Returns:
        A Sitemap whose ``entries`` (urlset) or ``sitemaps`` (index) are absolute http(s) URLs.

    Raises:
        ParseError: not XML, unsafe XML, or a root other than urlset/sitemapindex.
    """
    if content.startswith(GZIP_MAGIC):
        content = gunzip(content, url)
    root = parse_xml(content, url)
    kind = local_name(root)
    if kind == "sitemapindex":
        return _parse_index(root, url)
    if kind == "urlset":
        return _parse_urlset(root, url)
    raise ParseError(f"{url}: expected a sitemap (urlset or sitemapindex), got <{kind}>")


def _parse_index(root: etree._Element, url: str) -> Sitemap:
    children: list[str] = []
    warnings: list[str] = []
    for node in root:
        if local_name(node) != "sitemap":
            continue
        loc = child_text(node, "loc")
        child = normalize_url(loc, url)
        if child:
            children.append(child)
        else:
            warnings.append(f"skipped sitemap without a usable http(s) <loc>: {loc!r}")
    return Sitemap(url, "sitemapindex", sitemaps=unique(children), warnings=tuple(warnings))


def _parse_urlset(root: etree._Element, url: str) -> Sitemap:
    entries: list[FeedEntry] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for node in root:
        if local_name(node) != "url":
            continue
        loc = child_text(node, "loc")
        page = normalize_url(loc, url)
        if page is None:
            warnings.append(f"skipped url without a usable http(s) <loc>: {loc!r}")
            continue
        if page in seen:
            continue
        seen.add(page)
        entries.append(_entry(node, page, url))
    log.debug("sitemap parsed url=%s entries=%d", url, len(entries))
    return Sitemap(url, "urlset", entries=tuple(entries), warnings=tuple(warnings))


def _find(node: etree._Element, name: str) -> etree._Element | None:
    for child in node:
        if local_name(child) == name:
            return child
    return None


def _entry(node: etree._Element, page: str, url: str) -> FeedEntry:
    """Map one <url> (with its optional news: and image: children) to a FeedEntry."""
    news = _find(node, "news")
    title = published = None
    tags: tuple[str, ...] = ()
    if news is not None:
        title = clean_title(child_text(news, "title"))
        published = parse_datetime(child_text(news, "publication_date"))
        keywords = child_text(news, "keywords") or ""
        tags = unique(keywords.split(","))
    image = _find(node, "image")
    image_url = normalize_url(child_text(image, "loc"), url) if image is not None else None
    return FeedEntry(
        url=page,
        source_url=url,
        title=title,
        published=published,
        updated=parse_datetime(child_text(node, "lastmod")),
        image_url=image_url,
        tags=tags,
    )
