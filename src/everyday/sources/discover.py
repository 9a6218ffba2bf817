"""Find the feeds a web page advertises, so a user can add a site by its home page URL.

Pages announce feeds with ``<link rel="alternate" type="application/rss+xml" href=...>``
(the RSS autodiscovery convention, also used for Atom and JSON Feed).
"""

from __future__ import annotations

import logging

import lxml.html
from lxml import etree

from .normalize import normalize_url

log = logging.getLogger(__name__)

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
    }
)
# JSON Feed 1.1 asks discovery to fall back to plain application/json, but WordPress also
# links its REST API that way; those links are taken last and REST/oEmbed ones never.
_WEAK_TYPE = "application/json"
_NOT_FEEDS = ("/wp-json/", "/oembed")


def _parse(html: str) -> lxml.html.HtmlElement | None:
    # A str with an XML encoding declaration (XHTML pages) is refused; bytes are not.
    for markup in (html, html.encode("utf-8")):
        try:
            return lxml.html.document_fromstring(markup)
        except ValueError:
            continue
        except etree.ParserError:
            return None
    return None


def _base(doc: lxml.html.HtmlElement, base_url: str) -> str:
    """Return the page's ``<base href>`` resolved against its URL, or the URL itself."""
    for base in doc.iter("base"):
        href = normalize_url(base.get("href"), base_url)
        if href:
            return href
    return base_url


def _rank(link: lxml.html.HtmlElement, url: str) -> int:
    """Order candidates: real feed types, then plain JSON, then comment feeds (lower is better)."""
    media_type = (link.get("type") or "").split(";")[0].strip().lower()
    label = f"{link.get('title') or ''} {url}".lower()
    rank = 0 if media_type in FEED_TYPES else 1
    return rank + (2 if "comment" in label else 0)


def discover_feeds(html: str, base_url: str) -> list[str]:
    """Return the absolute URLs of the feeds a page links to, best first, without repeats.

    Args:
        html: the page's markup.
        base_url: the page URL (after redirects), for relative hrefs.
    """
    if not html or not html.strip():
        return []
    doc = _parse(html)
    if doc is None:
        return []
    base = _base(doc, base_url)
    found: dict[str, int] = {}
    for link in doc.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        media_type = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or media_type not in FEED_TYPES | {_WEAK_TYPE}:
            continue
        url = normalize_url(link.get("href"), base)
        if url is None or (media_type == _WEAK_TYPE and any(n in url for n in _NOT_FEEDS)):
            continue
        found.setdefault(url, _rank(link, url))
    ranked = sorted(found, key=found.__getitem__)  # stable: document order within a rank
    log.debug("feeds discovered url=%s count=%d", base_url, len(ranked))
    return ranked
