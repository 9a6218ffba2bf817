"""read_metadata: OpenGraph, Twitter, links, JSON-LD shapes, dates, titles, broken input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from everyday.extract.metadata import Metadata, clean_text, parse_date, read_metadata

URL = "https://news.example.com/tech/2024/05/story?utm_source=feed"


def page(head: str = "", body: str = "", lang: str = "en") -> str:
    return f'<html lang="{lang}"><head>{head}</head><body>{body}</body></html>'


def ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def test_opengraph_fields_and_relative_urls() -> None:
    meta = read_metadata(
        page(
            '<meta property="og:title" content="Title">'
            '<meta property="og:description" content="Desc &amp;amp; more">'
            '<meta property="og:image" content="/img/a.jpg">'
            '<meta property="og:image:width" content="1200">'
            '<meta property="og:image:height" content="630px">'
            '<meta property="og:site_name" content="Example News">'
            '<meta property="og:url" content="../05/story">'
            '<meta property="article:published_time" content="2024-05-02T09:30:00+02:00">'
            '<meta property="article:modified_time" content="2024-05-02T10:00:00Z">'
            '<meta property="article:author" content="Ann Lee">'
        ),
        URL,
    )
    assert meta.title == "Title"
    assert meta.description == "Desc & more"  # twice-escaped entity, unescaped twice
    assert meta.image_url == "https://news.example.com/img/a.jpg"
    assert (meta.image_width, meta.image_height) == (1200, 630)
    assert meta.site_name == "Example News"
    assert meta.canonical_url == "https://news.example.com/tech/2024/05/story"
    assert meta.published == datetime(2024, 5, 2, 7, 30, tzinfo=UTC)
    assert meta.modified == datetime(2024, 5, 2, 10, 0, tzinfo=UTC)
    assert meta.authors == ("Ann Lee",)


def test_twitter_cards_fill_in_for_missing_opengraph() -> None:
    meta = read_metadata(
        page(
            '<meta name="twitter:title" content="Tweet title">'
            '<meta name="twitter:description" content="Tweet desc">'
            '<meta name="twitter:image" content="https://cdn.example.com/t.png">'
        ),
        URL,
    )
    assert (meta.title, meta.description) == ("Tweet title", "Tweet desc")
    assert meta.image_url == "https://cdn.example.com/t.png"


def test_yoast_graph_resolves_id_references() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": "https://news.example.com/a/", "name": "Page name"},
            {
                "@type": "Article",
                "headline": "Graph headline",
                "author": {"@id": "#person"},
                "image": {"@id": "#img"},
                "publisher": {"@id": "#org"},
                "mainEntityOfPage": {"@id": "https://news.example.com/a/"},
                "datePublished": "2023-11-07T08:14:00+00:00",
            },
            {"@type": "Person", "@id": "#person", "name": "Jo Bloggs"},
            {"@type": "ImageObject", "@id": "#img", "url": "/i.jpg", "width": 800, "height": 450},
            {"@type": "Organization", "@id": "#org", "name": "Example Media"},
        ],
    }
    meta = read_metadata(page(ld(graph)), URL)
    assert meta.title == "Graph headline"
    assert meta.authors == ("Jo Bloggs",)
    assert (meta.image_url, meta.image_width, meta.image_height) == (
        "https://news.example.com/i.jpg",
        800,
        450,
    )
    assert meta.site_name == "Example Media"  # publisher.name when og:site_name is absent
    assert meta.canonical_url == "https://news.example.com/a/"
    assert meta.published == datetime(2023, 11, 7, 8, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    "kind", ["NewsArticle", ["NewsArticle", "Thing"], "http://schema.org/BlogPosting"]
)
def test_article_types_in_a_top_level_list(kind: object) -> None:
    data = [{"@type": "WebSite", "name": "Site"}, {"@type": kind, "headline": "Listed"}]
    assert read_metadata(page(ld(data)), URL).title == "Listed"


def test_non_article_json_ld_is_ignored() -> None:
    data = {"@type": "BreadcrumbList", "name": "Crumbs", "datePublished": "2020-01-01"}
    meta = read_metadata(page(ld(data) + "<title>Real</title>"), URL)
    assert (meta.title, meta.published) == ("Real", None)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("https://cdn.example.com/a.jpg", "https://cdn.example.com/a.jpg"),
        ({"@type": "ImageObject", "url": "/b.jpg"}, "https://news.example.com/b.jpg"),
        ([{"url": "https://cdn.example.com/c.jpg"}, "x.jpg"], "https://cdn.example.com/c.jpg"),
        (
            ["https://cdn.example.com/d.jpg", "https://cdn.example.com/e.jpg"],
            "https://cdn.example.com/d.jpg",
        ),
        ({"contentUrl": "https://cdn.example.com/f.jpg"}, "https://cdn.example.com/f.jpg"),
    ],
)
def test_json_ld_image_shapes(image: object, expected: str) -> None:
    meta = read_metadata(page(ld({"@type": "NewsArticle", "image": image})), URL)
    assert meta.image_url == expected


def test_og_image_wins_over_json_ld_and_twitter() -> None:
    head = (
        '<meta name="twitter:image" content="https://t.example.com/t.jpg">'
        + ld({"@type": "NewsArticle", "image": "https://ld.example.com/l.jpg"})
        + '<meta property="og:image" content="https://og.example.com/o.jpg">'
    )
    assert read_metadata(page(head), URL).image_url == "https://og.example.com/o.jpg"


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Plain Name", ("Plain Name",)),
        ({"@type": "Person", "name": "By Ann Lee"}, ("Ann Lee",)),
        ({"@type": "Organization", "name": "Reuters"}, ("Reuters",)),
        (
            [{"@type": "Person", "name": "A"}, {"name": "B"}, {"name": "A"}, "C"],
            ("A", "B", "C"),
        ),
        ([{"@type": "Person", "url": "https://x.example/a"}], ()),
    ],
)
def test_json_ld_author_shapes(author: object, expected: tuple[str, ...]) -> None:
    meta = read_metadata(page(ld({"@type": "NewsArticle", "author": author})), URL)
    assert meta.authors == expected


def test_article_author_urls_are_skipped_for_meta_author() -> None:
    head = (
        '<meta property="article:author" content="https://facebook.com/someone">'
        '<meta name="author" content="Real Person">'
    )
    assert read_metadata(page(head), URL).authors == ("Real Person",)


@pytest.mark.parametrize(
    "script",
    [
        '{"@type": "NewsArticle", "headline": "Broken "quotes" here"}',
        '{"@type": "NewsArticle", "headline": "Missing brace"',
        "not json at all",
        "",
    ],
)
def test_broken_json_ld_is_skipped(script: str) -> None:
    head = (
        f'<script type="application/ld+json">{script}</script>'
        '<meta property="og:title" content="From OpenGraph">'
    )
    assert read_metadata(page(head), URL).title == "From OpenGraph"


def test_lenient_json_ld_repairs() -> None:
    text = (
        '<!--\n{"@type": "NewsArticle", "headline": "Line one\nline two",'
        ' "author": [{"name": "Zed"},],}\n-->'
    )
    meta = read_metadata(page(f'<script type="application/ld+json">{text}</script>'), URL)
    assert meta.title == "Line one line two"
    assert meta.authors == ("Zed",)


def test_json_ld_wins_for_headline_and_published() -> None:
    head = (
        '<meta property="og:title" content="OG title">'
        '<meta property="article:published_time" content="2024-01-01T00:00:00Z">'
        + ld({"@type": "NewsArticle", "headline": "LD headline", "datePublished": "2024-01-02"})
    )
    meta = read_metadata(page(head), URL)
    assert meta.title == "LD headline"
    assert meta.published == datetime(2024, 1, 2, tzinfo=UTC)


def test_truncated_json_ld_headline_yields_to_full_og_title() -> None:
    head = '<meta property="og:title" content="A long headline that goes on and on">' + ld(
        {"@type": "NewsArticle", "headline": "A long headline that goes..."}
    )
    assert read_metadata(page(head), URL).title == "A long headline that goes on and on"


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (
            '<title>Big story | Example News</title><meta property="og:site_name" content="Example News">',
            "",
            "Big story",
        ),
        (
            '<meta property="og:title" content="Example News - Big story"><meta property="og:site_name" content="Example News">',
            "",
            "Big story",
        ),
        ("<title>Big story - Some Paper</title>", "<h1>Big story</h1>", "Big story"),
        ("<title>Title only</title>", "<h1>Different heading</h1>", "Title only"),
        ("", "<h1>Heading <em>only</em></h1>", "Heading only"),
        ("<title>Safe <script>alert(1)</script>title</title>", "", "Safe title"),
        ("<title>Ben &amp;amp; Jerry&#8217;s</title>", "", "Ben & Jerry’s"),
    ],
)
def test_title_fallbacks(head: str, body: str, expected: str) -> None:
    assert read_metadata(page(head, body), URL).title == expected


def test_canonical_candidates_in_order_and_amp_link() -> None:
    head = (
        '<link rel="canonical" href="/tech/2024/05/story">'
        '<meta property="og:url" content="https://news.example.com/tech/2024/05/story">'
        '<link rel="amphtml" href="/amp/tech/2024/05/story">'
        + ld({"@type": "NewsArticle", "url": "https://news.example.com/other#frag"})
    )
    meta = read_metadata(page(head), URL)
    assert meta.canonical_candidates == (
        "https://news.example.com/tech/2024/05/story",
        "https://news.example.com/other",
    )
    assert meta.amp_url == "https://news.example.com/amp/tech/2024/05/story"


@pytest.mark.parametrize(
    ("lang", "head", "expected"),
    [
        ("en-US", "", "en-us"),
        ("{{ lang }}", '<meta property="og:locale" content="fr_FR">', "fr-fr"),
        ("", '<meta http-equiv="content-language" content="de">', "de"),
        ("", "", None),
    ],
)
def test_language(lang: str, head: str, expected: str | None) -> None:
    assert read_metadata(page(head, lang=lang), URL).language == expected


def test_date_fallback_metas() -> None:
    head = '<meta itemprop="datePublished" content="2023-11-07T08:14:00Z">'
    assert read_metadata(page(head), URL).published == datetime(2023, 11, 7, 8, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-07T08:14:00Z", datetime(2023, 11, 7, 8, 14, tzinfo=UTC)),
        ("2023-11-07T08:14:00.123+01:00", datetime(2023, 11, 7, 7, 14, 0, 123000, tzinfo=UTC)),
        ("2023-11-07T08:14:00-0500", datetime(2023, 11, 7, 13, 14, tzinfo=UTC)),
        ("2023-11-07 08:14:00", datetime(2023, 11, 7, 8, 14, tzinfo=UTC)),
        ("2023-11-07", datetime(2023, 11, 7, tzinfo=UTC)),
        ("Tue, 07 Nov 2023 08:14:00 GMT", datetime(2023, 11, 7, 8, 14, tzinfo=UTC)),
        ("1970-01-01T00:00:00Z", None),  # epoch zero: a CMS default, not a date
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_text_input_and_empty_input() -> None:
    assert read_metadata("<title>From text</title>", URL).title == "From text"
    stale = '<meta charset="iso-8859-1"><title>Café “x”</title>'
    assert read_metadata(stale, URL).title == "Café “x”"  # text is not re-decoded
    xhtml = '<?xml version="1.0" encoding="utf-8"?><html><title>XHTML</title></html>'
    assert read_metadata(xhtml, URL).title == "XHTML"
    assert read_metadata("", URL) == Metadata()
    assert read_metadata(page(), URL) == Metadata(language="en")


def test_clean_text() -> None:
    assert clean_text("  a\n\tb  <b>c</b> &amp;amp; d ") == "a b c & d"
    assert clean_text("<script>x()</script>") is None
    assert clean_text(None) is None
