"""Feeds the sample newswire serves: RSS 2.0, RSS 1.0, Atom, JSON Feed, plus OPML,
a Google News sitemap and robots.txt. Everything takes absolute URLs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape
from xml.sax.saxutils import escape as xesc

from .content import ProviderSpec, WireArticle


def iso(dt: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix."""
    return dt.isoformat().replace("+00:00", "Z")


FEED_TYPES = {
    "rss2": "application/rss+xml",
    "rss2-plain": "application/rss+xml",
    "rss2-thumb": "application/rss+xml",
    "rss1": "application/rdf+xml",
    "atom": "application/atom+xml",
    "jsonfeed": "application/feed+json",
}


def _mime(a: WireArticle) -> str:
    return "image/png" if a.image_format == "PNG" else "image/jpeg"


def _rss2_item(a: WireArticle, style: str) -> str:
    w, h = a.image_size
    media = {
        "rss2": f'<media:content url="{xesc(a.image_url)}" medium="image" width="{w}" '
        f'height="{h}" type="{_mime(a)}"/>',
        "rss2-thumb": f'<media:thumbnail url="{xesc(a.image_url)}" width="{w}" height="{h}"/>',
        "rss2-plain": "",
    }[style]
    cats = "".join(f"<category>{xesc(t)}</category>" for t in a.tags)
    return (
        f"<item><title>{xesc(a.title)}</title><link>{xesc(a.feed_url)}</link>"
        f'<guid isPermaLink="false">{xesc(a.provider)}-{xesc(a.id)}</guid>'
        f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
        f"<dc:creator>{xesc(a.author)}</dc:creator>{cats}"
        f"<description>{xesc(a.summary)}</description>"
        f'<enclosure url="{xesc(a.image_url)}" length="0" type="{_mime(a)}"/>{media}</item>\n'
    )


def rss2(p: ProviderSpec, items: Sequence[WireArticle], home: str, self_url: str) -> str:
    """RSS 2.0 with dc:creator, enclosures and (per style) media:content or media:thumbnail."""
    newest = format_datetime(items[0].published, usegmt=True) if items else ""
    body = "".join(_rss2_item(a, p.feed) for a in items)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/">\n<channel>'
        f"<title>{xesc(p.name)}</title><link>{home}</link>"
        f"<description>{xesc(p.tagline)}</description><language>en-us</language>"
        f'<atom:link href="{xesc(self_url)}" rel="self" type="application/rss+xml"/>'
        f"<lastBuildDate>{newest}</lastBuildDate><ttl>30</ttl>\n{body}</channel></rss>\n"
    )


def rss1(p: ProviderSpec, items: Sequence[WireArticle], home: str, self_url: str) -> str:
    """RSS 1.0 (RDF) with Dublin Core dates and creators."""
    seq = "".join(f'<rdf:li rdf:resource="{xesc(a.feed_url)}"/>' for a in items)
    body = "".join(
        f'<item rdf:about="{xesc(a.feed_url)}"><title>{xesc(a.title)}</title>'
        f"<link>{xesc(a.feed_url)}</link><description>{xesc(a.summary)}</description>"
        f"<dc:date>{iso(a.published)}</dc:date><dc:creator>{xesc(a.author)}</dc:creator>"
        f"<dc:subject>{xesc(', '.join(a.tags))}</dc:subject></item>\n"
        for a in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f'<channel rdf:about="{xesc(self_url)}"><title>{xesc(p.name)}</title>'
        f"<link>{home}</link><description>{xesc(p.tagline)}</description>"
        f"<items><rdf:Seq>{seq}</rdf:Seq></items></channel>\n{body}</rdf:RDF>\n"
    )


def atom(p: ProviderSpec, items: Sequence[WireArticle], home: str, self_url: str) -> str:
    """Atom 1.0 with summaries, categories and an enclosure link for the image."""
    updated = iso(items[0].published) if items else "1970-01-01T00:00:00Z"
    body = "".join(
        f"<entry><title>{xesc(a.title)}</title>"
        f'<link rel="alternate" type="text/html" href="{xesc(a.feed_url)}"/>'
        f'<link rel="enclosure" type="{_mime(a)}" href="{xesc(a.image_url)}"/>'
        f"<id>tag:{p.domain},{a.published:%Y-%m-%d}:{a.id}</id>"
        f"<published>{iso(a.published)}</published><updated>{iso(a.published)}</updated>"
        f"<author><name>{xesc(a.author)}</name></author>"
        + "".join(f'<category term="{xesc(t)}"/>' for t in a.tags)
        + f'<summary type="text">{xesc(a.summary)}</summary></entry>\n'
        for a in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{xesc(p.name)}</title><subtitle>{xesc(p.tagline)}</subtitle>"
        f'<link rel="self" href="{xesc(self_url)}"/><link rel="alternate" href="{home}"/>'
        f"<id>tag:{p.domain},2020:feed</id><updated>{updated}</updated>\n{body}</feed>\n"
    )


def json_feed(p: ProviderSpec, items: Sequence[WireArticle], home: str, self_url: str) -> str:
    """JSON Feed 1.1 with full HTML content, images and tags."""
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": p.name,
        "home_page_url": home,
        "feed_url": self_url,
        "description": p.tagline,
        "language": "en-US",
        "items": [
            {
                "id": f"{p.slug}-{a.id}",
                "url": a.feed_url,
                "title": a.title,
                "summary": a.summary,
                "content_html": "".join(f"<p>{escape(t)}</p>" for t in a.text.split("\n\n")),
                "image": a.image_url,
                "date_published": iso(a.published),
                "authors": [{"name": a.author}],
                "tags": list(a.tags),
            }
            for a in items
        ],
    }
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


FEED_RENDERERS = {
    "rss2": rss2,
    "rss2-plain": rss2,
    "rss2-thumb": rss2,
    "rss1": rss1,
    "atom": atom,
    "jsonfeed": json_feed,
}


def opml(feeds: Sequence[tuple[ProviderSpec, str, str]], title: str) -> str:
    """OPML 2.0 listing every provider feed: (provider, feed URL, home URL)."""
    kinds = {"jsonfeed": "json", "atom": "atom", "rss1": "rss"}
    outlines = "".join(
        f'<outline type="{kinds.get(p.feed, "rss")}" text="{xesc(p.name)}" '
        f'title="{xesc(p.name)}" xmlUrl="{xesc(url)}" htmlUrl="{xesc(home)}"/>\n'
        for p, url, home in feeds
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0"><head>'
        f"<title>{xesc(title)}</title></head><body>"
        f'<outline text="AI news" title="AI news">\n{outlines}</outline></body></opml>\n'
    )


def news_sitemap(p: ProviderSpec, items: Sequence[WireArticle]) -> str:
    """A sitemap with the Google News extension (one provider publishes one)."""
    urls = "".join(
        f"<url><loc>{xesc(a.canonical_url)}</loc><lastmod>{iso(a.published)}</lastmod>"
        f"<news:news><news:publication><news:name>{xesc(p.name)}</news:name>"
        "<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{iso(a.published)}</news:publication_date>"
        f"<news:title>{xesc(a.title)}</news:title></news:news>"
        f"<image:image><image:loc>{xesc(a.image_url)}</image:loc></image:image></url>\n"
        for a in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" '
        f'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n{urls}</urlset>\n'
    )


def robots_txt(sitemaps: Sequence[str]) -> str:
    """Allow everything except /private/; name the sitemaps."""
    lines = ["User-agent: *", "Disallow: /private/", "", "User-agent: BadBot", "Disallow: /", ""]
    return "\n".join(lines + [f"Sitemap: {s}" for s in sitemaps]) + "\n"
