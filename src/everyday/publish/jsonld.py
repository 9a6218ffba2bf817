"""schema.org JSON-LD for article pages, made safe inside a ``<script>`` element."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from everyday.records.frontmatter import format_datetime
from everyday.settings import SiteSettings

from .entries import Entry
from .safety import safe_domain, safe_url

if TYPE_CHECKING:
    from .views import Card

_JSON = json.JSONEncoder(ensure_ascii=False)  # what json.dumps(..., ensure_ascii=False) makes
_quote = json.encoder.encode_basestring  # how that encoder quotes a string (in C)


def article_json_ld(entry: Entry, card: Card, url: str, site: SiteSettings) -> str:
    """schema.org NewsArticle for an article page, safe inside ``<script>``.

    The text :func:`json_ld_text` makes of the NewsArticle object, pasted from its quoted
    strings: building the object and encoding it took longer than a card (a from-scratch
    build writes ~10,000 of these).
    """
    published = _quote(format_datetime(card.date))
    link = _quote(url)
    parts = [
        '{"@context": "https://schema.org", "@type": "NewsArticle", "headline": ',
        _quote(card.title), ', "description": ', _quote(card.excerpt),
        ', "url": ', link, ', "mainEntityOfPage": ', link,
        ', "datePublished": ', published, ', "dateModified": ', published,
    ]  # fmt: skip
    if card.image is not None and safe_url(card.image.src):
        parts += (', "image": [', _quote(card.image.src), "]")
    parts += (', "author": {"@type": "Organization", "name": ', _quote(card.provider.text))
    domain = safe_domain(entry.record.provider.domain)
    if domain is not None:
        parts += (', "url": ', _quote(f"https://{domain}/"))
    parts += ('}, "publisher": {"@type": "Organization", "name": ', _quote(site.title))
    parts += (', "url": ', _quote(site.web_url), "}")
    original = safe_url(entry.record.web_url)
    if original:
        parts += (', "isBasedOn": ', _quote(original))
    if card.topics:
        parts += (', "keywords": [', ", ".join([_quote(t.text) for t in card.topics]), "]")
    parts.append("}")
    return _script_safe("".join(parts))


def json_ld_text(data: object) -> str:
    """JSON for a ``<script>`` element: ``</`` and ``<!--`` cannot end or confuse the element."""
    return _script_safe(_JSON.encode(data))


def _script_safe(text: str) -> str:
    if "<" not in text:
        return text
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")
