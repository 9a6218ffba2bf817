"""Feed autodiscovery from <link rel=alternate> in web pages."""

from __future__ import annotations

from everyday.sources.discover import discover_feeds

PAGE = "https://www.example.com/blog/post-1"


def head(links: str, extra: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{extra}{links}</head><body><p>Hi</p></body></html>"


def test_finds_rss_atom_and_json_feed_in_document_order() -> None:
    html = head(
        '<link rel="alternate" type="application/atom+xml" href="/atom.xml">'
        '<link rel="stylesheet" href="/style.css">'
        '<link rel="alternate" type="application/rss+xml" href="https://www.example.com/rss">'
        '<link rel="alternate" type="application/feed+json" href="feed.json">'
        '<link rel="alternate" hreflang="fr" href="/fr/">'
    )
    assert discover_feeds(html, PAGE) == [
        "https://www.example.com/atom.xml",
        "https://www.example.com/rss",
        "https://www.example.com/blog/feed.json",
    ]


def test_rel_and_type_are_case_and_parameter_insensitive() -> None:
    html = head('<LINK REL="Alternate Feed" TYPE="Application/RSS+XML; charset=utf-8" HREF="/r">')
    assert discover_feeds(html, PAGE) == ["https://www.example.com/r"]


def test_base_href_is_honoured() -> None:
    html = head(
        '<link rel="alternate" type="application/rss+xml" href="rss">',
        extra='<base href="https://cdn.example.net/site/">',
    )
    assert discover_feeds(html, PAGE) == ["https://cdn.example.net/site/rss"]


def test_comment_feeds_and_plain_json_come_last_and_rest_api_is_ignored() -> None:
    html = head(
        '<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed">'
        '<link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/7">'
        '<link rel="alternate" type="application/json" href="/feed.json">'
        '<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed">'
    )
    assert discover_feeds(html, PAGE) == [
        "https://www.example.com/feed",
        "https://www.example.com/feed.json",
        "https://www.example.com/comments/feed",
    ]


def test_duplicates_and_unsafe_hrefs_are_dropped() -> None:
    html = head(
        '<link rel="alternate" type="application/rss+xml" href="/feed">'
        '<link rel="alternate" type="application/rss+xml" href="https://www.example.com/feed">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
        '<link rel="alternate" type="application/rss+xml">'
    )
    assert discover_feeds(html, PAGE) == ["https://www.example.com/feed"]


def test_pages_without_feeds_or_markup() -> None:
    assert discover_feeds(head(""), PAGE) == []
    assert discover_feeds("", PAGE) == []
    assert discover_feeds("<!-- nothing -->", PAGE) == []
    assert discover_feeds("just words", PAGE) == []


def test_xhtml_string_with_encoding_declaration() -> None:
    html = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml"><head>'
        '<link rel="alternate" type="application/atom+xml" href="/a.atom"/></head></html>'
    )
    assert discover_feeds(html, PAGE) == ["https://www.example.com/a.atom"]
