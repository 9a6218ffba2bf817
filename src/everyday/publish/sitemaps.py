"""``sitemap.xml`` (every page) and ``news-sitemap.xml`` (Google News: the last two days).

sitemaps.org 0.9 allows 50,000 URLs per file; a bigger hub gets ``sitemap-<N>.xml`` parts
and ``sitemap.xml`` becomes their sitemap index. The Google News sitemap lists articles
published in the two days before ``now`` (at most 1,000), with the publication's name and
language, the publication date and the title. XML is built with lxml, so a ``<script>``
in a title is text, and dates come from records, so an unchanged hub rebuilds the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from everyday.records.frontmatter import format_datetime
from everyday.settings import SiteSettings

from .output import Output
from .safety import clean

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000  # sitemaps.org protocol limit per file
MAX_NEWS = 1_000  # Google News sitemap limit
NEWS_WINDOW = timedelta(days=2)  # Google: "articles published in the last two days"
_S = f"{{{SITEMAP_NS}}}"
_N = f"{{{NEWS_NS}}}"


@dataclass(frozen=True)
class SitemapUrl:
    """One page: absolute URL and, when known, when its content last changed."""

    loc: str
    lastmod: datetime | None = None


@dataclass(frozen=True)
class NewsUrl:
    """One article for the news sitemap."""

    loc: str
    title: str
    published: datetime


def build_sitemaps(
    urls: Sequence[SitemapUrl],
    news: Sequence[NewsUrl],
    site: SiteSettings,
    out: Output,
    *,
    now: datetime | None = None,
    max_urls: int = MAX_URLS,
) -> None:
    """Write ``sitemap.xml`` (or an index and its parts) and ``news-sitemap.xml``."""
    parts = [urls[i : i + max_urls] for i in range(0, len(urls), max_urls)] or [[]]
    if len(parts) == 1:
        out.write("sitemap.xml", urlset(parts[0]))
    else:
        base = site.web_url.rstrip("/")
        locs = []
        for number, part in enumerate(parts, start=1):
            out.write(f"sitemap-{number}.xml", urlset(part))
            locs.append(SitemapUrl(f"{base}/sitemap-{number}.xml", _newest(part)))
        out.write("sitemap.xml", sitemap_index(locs))
    out.write("news-sitemap.xml", news_sitemap(recent_news(news, now), site))


def recent_news(news: Sequence[NewsUrl], now: datetime | None) -> list[NewsUrl]:
    """Articles of the two days up to ``now`` (default: the newest article), newest first."""
    if not news:
        return []
    end = now if now is not None else max(n.published for n in news)
    chosen = [n for n in news if end - NEWS_WINDOW <= n.published <= end]
    chosen.sort(key=lambda n: n.published, reverse=True)
    return chosen[:MAX_NEWS]


def news_language(locale: str) -> str:
    """ISO 639 code Google News wants: ``en`` from ``en-us``; ``zh-cn``/``zh-tw`` kept."""
    code = locale.strip().lower().replace("_", "-")
    return code if code in {"zh-cn", "zh-tw"} else (code.split("-")[0] or "en")


def urlset(urls: Sequence[SitemapUrl]) -> bytes:
    """A sitemaps.org ``<urlset>``."""
    root = etree.Element(_S + "urlset", nsmap={None: SITEMAP_NS})
    for url in urls:
        node = _sub(root, _S + "url")
        _sub(node, _S + "loc", url.loc)
        if url.lastmod is not None:
            _sub(node, _S + "lastmod", format_datetime(url.lastmod))
    return _serialize(root)


def sitemap_index(parts: Sequence[SitemapUrl]) -> bytes:
    """A sitemaps.org ``<sitemapindex>`` naming the parts."""
    root = etree.Element(_S + "sitemapindex", nsmap={None: SITEMAP_NS})
    for part in parts:
        node = _sub(root, _S + "sitemap")
        _sub(node, _S + "loc", part.loc)
        if part.lastmod is not None:
            _sub(node, _S + "lastmod", format_datetime(part.lastmod))
    return _serialize(root)


def news_sitemap(news: Sequence[NewsUrl], site: SiteSettings) -> bytes:
    """A Google News sitemap (``news:news`` with publication, date and title per URL)."""
    root = etree.Element(_S + "urlset", nsmap={None: SITEMAP_NS, "news": NEWS_NS})
    for item in news:
        node = _sub(root, _S + "url")
        _sub(node, _S + "loc", item.loc)
        box = _sub(node, _N + "news")
        publication = _sub(box, _N + "publication")
        _sub(publication, _N + "name", site.title)
        _sub(publication, _N + "language", news_language(site.locale))
        _sub(box, _N + "publication_date", format_datetime(item.published))
        _sub(box, _N + "title", item.title)
    return _serialize(root)


def _newest(urls: Sequence[SitemapUrl]) -> datetime | None:
    return max((u.lastmod for u in urls if u.lastmod is not None), default=None)


def _sub(parent: Any, tag: str, text: str | None = None) -> Any:
    node = etree.SubElement(parent, tag)
    if text is not None:
        node.text = clean(text)
    return node


def _serialize(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
