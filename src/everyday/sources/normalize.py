"""Field readers shared by the source parsers: URLs, dates, titles and HTML turned to text.

Feeds carry the same fields in many dialects; every parser funnels them through these so
a FeedEntry means the same thing whichever format it came from.
"""

from __future__ import annotations

import html
import re
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

# Elements whose text is never prose (code, styling, embedded documents).
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg"})
# Elements that end a run of words; "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr",
        "ul",
    }
)  # fmt: skip
# Something that starts a tag or comment ("<b", "</", "<!"), as opposed to "1 < 2".
_TAG_START = re.compile(r"<[A-Za-z/!]")
# W3C Datetime (sitemaps) allows a bare year or year-month, which fromisoformat rejects.
_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def normalize_url(href: str | None, base: str | None = None) -> str | None:
    """Return ``href`` made absolute against ``base``, or None unless it is a usable http(s) URL."""
    if not href or not isinstance(href, str):
        return None
    href = href.strip()
    try:
        own = urlsplit(href)
        url = urljoin(base, href) if base and not own.scheme else href
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[::1" (bad IPv6 literal)
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def collapse_space(text: str) -> str:
    """Join runs of whitespace (including no-break spaces) into single spaces."""
    return " ".join(text.split())


def _parse_fragment(markup: str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return None


def html_to_text(markup: str | None) -> str:
    """Return the readable text of an HTML fragment on one line (tags, scripts, styles removed)."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup and "&" not in markup:
        return collapse_space(markup)
    root = _parse_fragment(markup)
    if root is None:
        return ""
    for el in list(root.iter()):
        # Comments and processing instructions have a callable tag; drop them with scripts.
        is_noise = not isinstance(el.tag, str) or el.tag.lower() in _SKIP_TAGS
        if is_noise and el.getparent() is not None:
            el.drop_tree()
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        is_block = isinstance(el.tag, str) and el.tag.lower() in _BLOCK_TAGS
        if event == "start":
            if is_block:
                parts.append(" ")
            parts.append(el.text or "")
        else:
            if is_block:
                parts.append(" ")
            if el is not root:
                parts.append(el.tail or "")
    return collapse_space("".join(parts))


def clean_title(value: str | None, is_html: bool = False) -> str | None:
    """Return a one-line plain-text title, or None when nothing readable is left.

    Plain titles are unescaped once more because feeds often double-escape
    (``&amp;#8217;``, ``&lt;em&gt;``); markup that appears then, or in HTML titles, is
    reduced to its text.
    """
    if not value:
        return None
    if not is_html:
        value = html.unescape(value)
        is_html = bool(_TAG_START.search(value))
    text = html_to_text(value) if is_html else collapse_space(value)
    return text or None


def first_image_src(markup: str | None, base: str | None = None) -> str | None:
    """Return the first real ``<img>`` of an HTML fragment as an absolute URL.

    1x1 images are skipped: they are tracking pixels, not illustrations.
    """
    if not markup or "<img" not in markup.lower():
        return None
    root = _parse_fragment(markup)
    if root is None:
        return None
    for img in root.iter("img"):
        if img.get("width", "").strip() == "1" or img.get("height", "").strip() == "1":
            continue
        url = normalize_url(img.get("src"), base) or normalize_url(img.get("data-src"), base)
        if url:
            return url
    return None


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """Return feedparser's UTC ``*_parsed`` tuple as an aware UTC datetime (None if invalid)."""
    if not value:
        return None
    try:
        # A leap second (60) is valid in struct_time but not in datetime.
        return datetime(*value[:5], min(value[5], 59), tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC, reading a naive datetime as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_datetime(text: str | None) -> datetime | None:
    """Parse an RFC 3339 / W3C Datetime (or, leniently, RFC 822) string to aware UTC."""
    if not text or not isinstance(text, str):
        return None
    text = text.strip()
    match = _YEAR_MONTH.match(text)
    try:
        if match:
            return datetime(int(match[1]), int(match[2] or 1), 1, tzinfo=UTC)
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        return as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def unique(values: list[str]) -> tuple[str, ...]:
    """Return the non-empty values stripped, first occurrence kept, in order."""
    seen: dict[str, None] = {}
    for value in values:
        value = collapse_space(value) if isinstance(value, str) else ""
        if value:
            seen.setdefault(value, None)
    return tuple(seen)
