"""Bytes the sample newswire serves: article pages, feeds in five formats, OPML, images.

Pages carry the boilerplate real news sites wrap around an article (navigation, cookie
banner, share buttons, a sidebar, a newsletter box, a footer, inline scripts) and declare
metadata in the style of their provider: OpenGraph, JSON-LD ``NewsArticle`` (flat or in an
``@graph``), both, or neither. Everything takes absolute URLs; nothing here knows the port.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache
from html import escape
from xml.sax.saxutils import escape as xesc

from PIL import Image, ImageDraw, ImageFont

from .content import ProviderSpec, WireArticle

COOKIE_TEXT = (
    "We use cookies and similar technologies to improve your experience, measure audiences "
    "and show personalised ads. By clicking Accept you agree to this use."
)


def iso(dt: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix."""
    return dt.isoformat().replace("+00:00", "Z")


# --- images ------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def render_image(
    seed: str, size: tuple[int, int], fmt: str, color: tuple[int, ...], accent: tuple[int, ...]
) -> bytes:
    """A lead image: gradient, a few shapes and a caption band; cached per seed and size."""
    w, h = size
    rng = random.Random(seed)
    dark = tuple(max(0, c - 60) for c in color)
    mask = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize((w, h))
    img = Image.composite(Image.new("RGB", size, color), Image.new("RGB", size, dark), mask)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(4, 8)):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randint(h // 12, h // 3)
        shade = tuple(int(a * 0.6 + c * 0.4) for a, c in zip(accent, color, strict=True))
        box = (x - r, y - r, x + r, y + r)
        (draw.ellipse if rng.random() < 0.6 else draw.rectangle)(box, outline=shade, width=3)
    band = h // 7
    draw.rectangle((0, h - band, w, h), fill=dark)
    font = ImageFont.load_default(size=max(12, band // 2))
    draw.text((band // 3, h - band + band // 5), seed.upper()[:40], fill=accent, font=font)
    buf = io.BytesIO()
    if fmt == "PNG":
        img.save(buf, "PNG", optimize=False)
    else:
        img.save(buf, "JPEG", quality=78)
    return buf.getvalue()


@lru_cache(maxsize=64)
def render_icon(p_slug: str, letter: str, color: tuple[int, ...], size: int, fmt: str) -> bytes:
    """A provider icon: its initial on its colour (PNG, or ICO for favicon.ico)."""
    img = Image.new("RGBA", (size, size), (*color, 255))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=int(size * 0.62))
    draw.text((size / 2, size / 2), letter, fill=(255, 255, 255, 255), font=font, anchor="mm")
    buf = io.BytesIO()
    if fmt == "ICO":
        img.save(buf, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    else:
        img.save(buf, "PNG")
    return buf.getvalue()


# --- HTML --------------------------------------------------------------------------------


def _meta_og(a: WireArticle, p: ProviderSpec) -> str:
    w, h = a.image_size
    tags = "".join(f'<meta property="article:tag" content="{escape(t)}">' for t in a.tags)
    return (
        f'<meta property="og:type" content="article">'
        f'<meta property="og:title" content="{escape(a.title)}">'
        f'<meta property="og:description" content="{escape(a.summary)}">'
        f'<meta property="og:url" content="{escape(a.canonical_url)}">'
        f'<meta property="og:image" content="{escape(a.image_url)}">'
        f'<meta property="og:image:width" content="{w}"><meta property="og:image:height" '
        f'content="{h}"><meta property="article:published_time" content="{iso(a.published)}">'
        f'<meta property="article:author" content="{escape(a.author)}">{tags}'
    )


def _meta_twitter(a: WireArticle) -> str:
    return (
        '<meta name="twitter:card" content="summary_large_image">'
        f'<meta name="twitter:title" content="{escape(a.title)}">'
        f'<meta name="twitter:image" content="{escape(a.image_url)}">'
    )


def _news_article(a: WireArticle, p: ProviderSpec, home: str) -> dict[str, object]:
    w, h = a.image_size
    return {
        "@type": "NewsArticle",
        "headline": a.title,
        "description": a.summary,
        "image": {"@type": "ImageObject", "url": a.image_url, "width": w, "height": h},
        "datePublished": iso(a.published),
        "dateModified": iso(a.published),
        "author": [{"@type": "Person", "name": a.author}],
        "publisher": {
            "@type": "Organization",
            "name": p.name,
            "logo": {"@type": "ImageObject", "url": home + "icon-192.png"},
        },
        "mainEntityOfPage": {"@type": "WebPage", "@id": a.canonical_url},
        "keywords": list(a.tags),
        "articleSection": a.section,
    }


def _jsonld(data: dict[str, object]) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def metadata(a: WireArticle, p: ProviderSpec, home: str) -> str:
    """The provider's metadata style for one article page.

    Every page names its site with ``og:site_name`` (all providers share one host, so that
    is how a collector tells them apart); beyond that, styles differ.
    """
    art = _news_article(a, p, home)
    flat = _jsonld({"@context": "https://schema.org", **art})
    graph = _jsonld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebPage", "@id": a.canonical_url, "name": a.title},
                {**art, "@id": a.canonical_url + "#article", "isPartOf": {"@id": a.canonical_url}},
                {"@type": "Organization", "@id": home + "#org", "name": p.name, "url": home},
            ],
        }
    )
    site = f'<meta property="og:site_name" content="{escape(p.name)}">'
    return (
        site
        + {
            "og+jsonld": _meta_og(a, p) + flat,
            "jsonld-graph": graph,
            "og": _meta_og(a, p),
            "og-twitter": _meta_og(a, p) + _meta_twitter(a),
            "jsonld": flat,
            "none": "",
        }[p.meta]
    )


def _head(title: str, p: ProviderSpec, home: str, feed_url: str, extra: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="icon" href="{home}favicon.ico" sizes="any">'
        f'<link rel="icon" type="image/png" href="{home}icon-192.png" sizes="192x192">'
        f'<link rel="apple-touch-icon" href="{home}apple-touch-icon.png">'
        f'<link rel="alternate" type="{FEED_TYPES[p.feed]}" title="{escape(p.name)}" '
        f'href="{feed_url}">{extra}'
        "<style>body{font-family:Georgia,serif;margin:0}main{display:flex;gap:2em}"
        "article{max-width:42em}.cookie{position:fixed;bottom:0;background:#eee}</style>"
        "</head>\n"
    )


def _chrome_top(p: ProviderSpec, home: str) -> str:
    nav = "".join(f'<li><a href="{home}#{s.lower()}">{escape(s)}</a></li>' for s in p.sections)
    return (
        f'<body><div class="cookie" id="cookie-banner"><p>{COOKIE_TEXT}</p>'
        '<button onclick="acceptCookies()">Accept</button><button>Manage choices</button></div>'
        f'<header class="site-header"><a class="logo" href="{home}">{escape(p.name)}</a>'
        f'<span class="tagline">{escape(p.tagline)}</span><nav><ul>{nav}'
        f'<li><a href="{home}subscribe">Subscribe</a></li></ul></nav></header>\n'
    )


def _chrome_bottom(p: ProviderSpec, home: str) -> str:
    return (
        f'<footer class="site-footer"><ul><li><a href="{home}about">About us</a></li>'
        f'<li><a href="{home}contact">Contact</a></li><li><a href="{home}privacy">Privacy'
        f'</a></li><li><a href="{home}terms">Terms of use</a></li></ul><p>&copy; {escape(p.name)}. '
        "All rights reserved. Reproduction without permission is prohibited.</p></footer>"
        "<script>function acceptCookies(){document.getElementById('cookie-banner')"
        ".remove();}window.dataLayer=window.dataLayer||[];dataLayer.push({event:'pageview',"
        f"site:'{p.slug}'}});</script></body></html>\n"
    )


def _share(a: WireArticle) -> str:
    u = escape(a.canonical_url)
    return (
        '<div class="share"><span>Share this story</span><ul>'
        f'<li><a href="https://twitter.com/intent/tweet?url={u}">Post</a></li>'
        f'<li><a href="https://www.facebook.com/sharer/sharer.php?u={u}">Share</a></li>'
        f'<li><a href="https://www.linkedin.com/shareArticle?url={u}">LinkedIn</a></li>'
        f'<li><a href="mailto:?subject={escape(a.title)}&amp;body={u}">Email</a></li>'
        "</ul></div>"
    )


def _sidebar(sidebar: Sequence[WireArticle]) -> str:
    links = "".join(f'<li><a href="{s.url}">{escape(s.title)}</a></li>' for s in sidebar)
    return (
        f'<aside class="sidebar"><h3>Most read</h3><ol>{links}</ol>'
        '<div class="newsletter"><h3>Get the morning briefing</h3><p>The day\'s most '
        "important stories, in your inbox before breakfast. Free, and you can unsubscribe "
        'at any time.</p><form action="/subscribe" method="post"><input type="email" '
        'name="email" placeholder="you@example.com"><button>Sign up</button></form></div>'
        "</aside>"
    )


def article_page(
    a: WireArticle, p: ProviderSpec, home: str, feed_url: str, sidebar: Sequence[WireArticle]
) -> str:
    """A full article page with the provider's boilerplate and metadata style."""
    w, h = a.image_size
    extra = (
        f'<link rel="canonical" href="{escape(a.canonical_url)}">'
        f'<meta name="description" content="{escape(a.summary)}">'
        f'<meta name="author" content="{escape(a.author)}">' + metadata(a, p, home)
    )
    when = f"{a.published:%B} {a.published.day}, {a.published:%Y %H:%M} UTC"
    paras = "".join(f"<p>{escape(t)}</p>\n" for t in a.text.split("\n\n"))
    tags = "".join(f'<li><a href="{home}tag/{escape(t)}">{escape(t)}</a></li>' for t in a.tags)
    return (
        _head(f"{a.title} | {p.name}", p, home, feed_url, extra)
        + _chrome_top(p, home)
        + f'<main><article class="story"><p class="kicker">{escape(a.section)}</p>'
        f'<h1 class="headline">{escape(a.title)}</h1><p class="dek">{escape(a.summary)}</p>'
        f'<p class="byline">By <span class="author">{escape(a.author)}</span> · '
        f'<time datetime="{iso(a.published)}">{when}</time></p>'
        f'<figure><img src="{escape(a.image_url)}" width="{w}" height="{h}" alt="">'
        f"<figcaption>Illustration: {escape(p.name)}</figcaption></figure>"
        f'<div class="entry-content">\n{paras}</div>'
        f'<ul class="tags">{tags}</ul>{_share(a)}</article>{_sidebar(sidebar)}</main>\n'
        + _chrome_bottom(p, home)
    )


def listing_page(title: str, p: ProviderSpec, home: str, feed_url: str, items: list) -> str:
    """A provider front page (or the network index) linking to its articles and feed."""
    links = "".join(
        f'<li><a href="{escape(u)}">{escape(t)}</a> <small>{escape(d)}</small></li>'
        for u, t, d in items
    )
    return (
        _head(title, p, home, feed_url)
        + _chrome_top(p, home)
        + f'<main><section><h1>{escape(title)}</h1><ul class="river">{links}</ul>'
        f'<p><a href="{feed_url}">Subscribe to our feed</a></p></section></main>'
        + _chrome_bottom(p, home)
    )


def not_found_page() -> str:
    """The 404 page (a full HTML page, like real sites send)."""
    return (
        "<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>404</h1>"
        "<p>Sorry, the page you were looking for has moved or no longer exists.</p>"
        "</body></html>"
    )


def pdf_bytes(title: str) -> bytes:
    """A small valid one-page PDF: a feed item that is not HTML."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode("latin-1", "replace")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        xref,
    )
    return bytes(out)


# --- feeds -------------------------------------------------------------------------------

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
