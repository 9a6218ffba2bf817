"""Bytes the sample newswire serves: article pages, listings, the 404 page.

Pages carry the boilerplate real news sites wrap around an article (navigation, cookie
banner, share buttons, a sidebar, a newsletter box, a footer, inline scripts) and declare
metadata in the style of their provider: OpenGraph, JSON-LD ``NewsArticle`` (flat or in an
``@graph``), both, or neither. Everything takes absolute URLs; nothing here knows the port.
Feeds are in :mod:`.feeds`, images and the PDF in :mod:`.media`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from .content import ProviderSpec, WireArticle
from .feeds import FEED_TYPES, iso

COOKIE_TEXT = (
    "We use cookies and similar technologies to improve your experience, measure audiences "
    "and show personalised ads. By clicking Accept you agree to this use."
)


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
