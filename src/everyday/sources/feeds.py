"""Turn downloaded feed bytes into FeedEntry values, whatever the format.

``parse_feed`` sniffs the body (JSON Feed, sitemap, HTML page by mistake) and hands RSS
0.9x/1.0/2.0 and Atom to feedparser, which copes with bad charsets and broken XML. The
rest of this module maps feedparser's dictionaries onto FeedEntry: absolute http(s)
links, plain-text titles and summaries, aware UTC dates, the best image.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import feedparser

from ..errors import ParseError
from ..models import FeedEntry
from .jsonfeed import looks_like_json, parse_json_feed
from .normalize import (
    clean_title,
    first_image_src,
    from_struct_time,
    html_to_text,
    normalize_url,
    unique,
)
from .safexml import is_html_page, root_name
from .sitemap import GZIP_MAGIC, gunzip, is_sitemap_root, parse_sitemap

log = logging.getLogger(__name__)

# feedparser's version codes: RSS 0.90 and 1.0 are RDF documents, the others plain RSS.
_RDF_VERSIONS = frozenset({"rss090", "rss10"})
_ROOT_KINDS = {"rss": "rss", "feed": "atom", "RDF": "rdf"}
# media:content without medium or type is usually an image, unless its name says otherwise.
_NOT_IMAGE_SUFFIXES = (".mp3", ".m4a", ".ogg", ".mp4", ".m4v", ".webm", ".mov", ".pdf")


@dataclass(frozen=True)
class ParsedFeed:
    """One parsed source document.

    ``kind`` is "rss", "atom", "rdf", "jsonfeed" or "sitemap"; ``sitemaps`` lists the
    child sitemaps of a sitemap index (empty otherwise).
    """

    url: str
    kind: str
    title: str | None
    link: str | None
    entries: tuple[FeedEntry, ...]
    warnings: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed, JSON Feed or sitemap body.

    Args:
        content: the downloaded body, undecoded (the charset is worked out here).
        url: the feed URL; relative links are resolved against it (and xml:base).
        content_type: the Content-Type header, if any; a hint only.

    Returns:
        The feed with its usable entries; skipped entries and recoverable damage are
        described in ``warnings``.

    Raises:
        ParseError: empty body, an HTML page, invalid JSON Feed, unsafe XML sitemap, or
            a document so broken that it has neither entries nor a title.
    """
    if not content.strip():
        raise ParseError(f"{url}: empty body, expected a feed")
    if content.startswith(GZIP_MAGIC):
        content = gunzip(content, url)
    if looks_like_json(content, content_type):
        return _from_json_feed(content, url)
    if is_html_page(content):
        raise ParseError(f"{url}: expected a feed, got an HTML page")
    root = root_name(content)
    if is_sitemap_root(root):
        sitemap = parse_sitemap(content, url)
        return ParsedFeed(
            url, "sitemap", None, None, sitemap.entries, sitemap.warnings, sitemap.sitemaps
        )
    return _from_feedparser(content, url, content_type, root)


def _from_json_feed(content: bytes, url: str) -> ParsedFeed:
    feed = parse_json_feed(content, url)
    return ParsedFeed(url, "jsonfeed", feed.title, feed.link, feed.entries, feed.warnings)


def _from_feedparser(
    content: bytes, url: str, content_type: str | None, root: str | None
) -> ParsedFeed:
    headers = {"content-location": url, "content-type": _xml_content_type(content_type)}
    # A BytesIO, never bytes: feedparser tries to open() a bytes argument as a file name.
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers)
    feed = parsed.get("feed", {})
    title = _detail_text(feed, "title")
    warnings: list[str] = []
    if parsed.get("bozo"):
        warnings.append(_describe_bozo(parsed.get("bozo_exception")))
    entries = _entries(parsed.get("entries", []), url, _authors(feed), warnings)
    if not entries and (not title or parsed.get("bozo")):
        # An empty but well-formed feed is fine; a broken one that yields nothing is not.
        reason = f" ({warnings[0]})" if warnings else ""
        raise ParseError(f"{url}: not a usable feed: no entries{reason}")
    kind = _kind(parsed.get("version") or "", root)
    log.debug("feed parsed url=%s kind=%s entries=%d", url, kind, len(entries))
    return ParsedFeed(
        url=url,
        kind=kind,
        title=title,
        link=normalize_url(feed.get("link"), url),
        entries=tuple(entries),
        warnings=tuple(warnings),
    )


def _xml_content_type(content_type: str | None) -> str:
    """Return the header feedparser should see: XML, with only the sender's charset kept.

    The body has already been sniffed as XML, so a wrong media type (text/html,
    octet-stream) is not news; and RFC 7303 §3 dropped text/xml's old us-ascii default,
    which feedparser still applies. The charset, when sent, stays authoritative.
    """
    charset = ""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            charset = "; charset=" + value.strip(" \"'")
    return "application/xml" + charset


def _kind(version: str, root: str | None) -> str:
    """Name the format from feedparser's version code, else from the root element."""
    if version in _RDF_VERSIONS:
        return "rdf"
    if version.startswith("atom"):
        return "atom"
    if version.startswith(("rss", "cdf")):
        return "rss"
    return _ROOT_KINDS.get(root or "", "rss")


def _describe_bozo(exc: object) -> str:
    """Say in one line what feedparser had to forgive."""
    name = type(exc).__name__
    message = " ".join(str(exc).split())
    if name == "SAXParseException":
        return f"feed is not well-formed XML, parsed leniently: {message}"
    return f"feed has problems ({name}): {message}"


def _entries(
    raw: list[Any], url: str, feed_authors: tuple[str, ...], warnings: list[str]
) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        entry = _entry(item, url, feed_authors)
        if entry is None:
            label = item.get("title") or item.get("id") or f"#{index}"
            warnings.append(f"entry {label!r}: no usable http(s) link, skipped")
        elif entry.url in seen:
            warnings.append(f"entry {entry.url}: duplicate link, skipped")
        else:
            seen.add(entry.url)
            entries.append(entry)
    return entries


def _detail_text(obj: Any, key: str) -> str | None:
    """Return a text construct (title, summary) as plain text, reading its declared type."""
    value = obj.get(key)
    if not value:
        return None
    detail = obj.get(f"{key}_detail") or {}
    is_html = "html" in (detail.get("type") or "")
    return clean_title(value, is_html=is_html)


def _link(item: Any, url: str) -> str | None:
    """Return the entry's page: its alternate link, else a URL-shaped id (RSS guid)."""
    link = normalize_url(item.get("link"), url)
    if link:
        return link
    for candidate in item.get("links", []):
        if candidate.get("rel", "alternate") == "alternate":
            link = normalize_url(candidate.get("href"), url)
            if link:
                return link
    guid = item.get("id")
    return normalize_url(guid) if guid else None


def _summary(item: Any) -> str | None:
    """Return the summary (or, if none, the content) as plain text."""
    summary = item.get("summary")
    if summary:
        return html_to_text(summary) or None
    for content in item.get("content", []):
        text = html_to_text(content.get("value"))
        if text:
            return text
    return None


def _image(item: Any, url: str) -> str | None:
    """Pick the entry's image: media:content, media:thumbnail, image enclosure, first <img>."""
    for media in item.get("media_content", []):
        found = normalize_url(media.get("url"), url)
        if found and _is_media_image(media, found):
            return found
    for thumb in item.get("media_thumbnail", []):
        found = normalize_url(thumb.get("url"), url)
        if found:
            return found
    for link in item.get("links", []):
        if link.get("rel") == "enclosure" and (link.get("type") or "").startswith("image/"):
            found = normalize_url(link.get("href"), url)
            if found:
                return found
    for content in [*item.get("content", []), item.get("summary_detail") or {}]:
        found = first_image_src(content.get("value"), url)
        if found:
            return found
    return None


def _is_media_image(media: Any, found: str) -> bool:
    medium = media.get("medium") or ""
    mime = media.get("type") or ""
    if medium or mime:
        return medium == "image" or mime.startswith("image/")
    return not urlsplit(found).path.lower().endswith(_NOT_IMAGE_SUFFIXES)


def _authors(item: Any) -> tuple[str, ...]:
    """Return author names; bare e-mail addresses are not names and are left out."""
    names = [a.get("name") or "" for a in item.get("authors", []) if isinstance(a, dict)]
    if not any(names):
        names = [(item.get("author_detail") or {}).get("name") or ""]
    return unique([n for n in names if "@" not in n])


def _entry(item: Any, url: str, feed_authors: tuple[str, ...]) -> FeedEntry | None:
    link = _link(item, url)
    if link is None:
        return None
    tags = [t.get("label") or t.get("term") or "" for t in item.get("tags") or []]
    # dict.get skips FeedParserDict's deprecated updated->published fallback.
    return FeedEntry(
        url=link,
        source_url=url,
        title=_detail_text(item, "title"),
        summary=_summary(item),
        published=from_struct_time(dict.get(item, "published_parsed")),
        updated=from_struct_time(dict.get(item, "updated_parsed")),
        # RFC 4287 §4.2.1: an entry without authors has the feed's.
        authors=_authors(item) or feed_authors,
        image_url=_image(item, url),
        tags=unique(tags),
        guid=(item.get("id") or "").strip() or None,
    )
