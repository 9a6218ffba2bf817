"""OPML import/export: categories from nesting, lenient attributes, hostile XML refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from everyday.errors import ParseError
from everyday.models import Source
from everyday.sources.opml import OutlineFeed, export_opml, parse_opml

SUBSCRIPTIONS = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My reading</title></head>
  <body>
    <outline text="Tech">
      <outline text="AI">
        <outline type="rss" text="Lab notes" title="Lab Notes" xmlUrl="https://lab.example/rss"
                 htmlUrl="https://lab.example/"/>
      </outline>
      <outline type="rss" text="Gadgets" xmlurl="https://gadgets.example/feed"/>
    </outline>
    <outline type="rss" text="Top level" xmlUrl="https://top.example/atom.xml"
             category="/News/World,/Other"/>
    <outline type="rss" text="Duplicate" xmlUrl="https://lab.example/rss"/>
    <outline type="rss" text="Local file" xmlUrl="file:///etc/passwd"/>
    <outline type="sitemap" text="Daily sitemap" xmlUrl="https://daily.example/news.xml"/>
    <outline text="Empty folder"/>
  </body>
</opml>"""


def test_feeds_with_category_paths() -> None:
    assert parse_opml(SUBSCRIPTIONS) == [
        OutlineFeed("https://lab.example/rss", "https://lab.example/", "Lab Notes", ("Tech", "AI")),
        OutlineFeed("https://gadgets.example/feed", None, "Gadgets", ("Tech",)),
        OutlineFeed("https://top.example/atom.xml", None, "Top level", ("News", "World")),
        OutlineFeed("https://daily.example/news.xml", None, "Daily sitemap", (), "sitemap"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"<opml><body><outline", "not well-formed"),
        (b"<rss version='2.0'><channel/></rss>", "expected an <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
    ],
)
def test_broken_documents_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_opml(body)


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY l0 "lollollollollollollollollollollollollollollollollollollollollollol">
 <!ENTITY l1 "&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;&l0;">
 <!ENTITY l2 "&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;&l1;">
 <!ENTITY l3 "&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;&l2;">
 <!ENTITY l4 "&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;&l3;">
 <!ENTITY l5 "&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;&l4;">
 <!ENTITY l6 "&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;&l5;">
 <!ENTITY l7 "&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;&l6;">
]>
<opml version="2.0"><head><title>&l7;</title></head>
<body><outline text="&l7;" xmlUrl="https://a.example/rss"/></body></opml>"""


@pytest.mark.timeout(30)  # a guard against hanging: full expansion would be 16 GiB
def test_billion_laughs_is_refused() -> None:
    with pytest.raises(ParseError):
        parse_opml(LAUGHS)


def test_single_harmless_entity_is_still_refused() -> None:
    body = (
        b'<!DOCTYPE opml [<!ENTITY site "https://a.example/rss">]>'
        b'<opml version="2.0"><body><outline text="x" xmlUrl="&site;"/></body></opml>'
    )
    with pytest.raises(ParseError, match="entity declarations are not allowed"):
        parse_opml(body)


def test_external_entity_cannot_read_local_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("https://secret.example/leaked")
    body = (
        f'<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<opml version="2.0"><body><outline text="&xxe;" xmlUrl="&xxe;"/></body></opml>'
    ).encode()
    with pytest.raises(ParseError):
        parse_opml(body)


def test_deep_nesting_does_not_recurse() -> None:
    depth = 200  # libxml2's own depth limit is 256 without huge_tree
    body = (
        b"<opml><body>"
        + b'<outline text="f">' * depth
        + b'<outline xmlUrl="https://deep.example/rss" text="d"/>'
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    (feed,) = parse_opml(body)
    assert len(feed.category) == depth


def test_export_escapes_and_round_trips() -> None:
    sources = [
        Source(url="https://a.example/rss?x=1&y=2", title='Tom & "Jerry" <News>'),
        Source(url="https://b.example/sitemap.xml", kind="sitemap"),
        Source(url="https://c.example/feed", title="Bad\x00control\x0bchars"),
    ]
    created = datetime(2023, 11, 7, 9, 30, tzinfo=UTC)
    text = export_opml(sources, "Hub & friends", created=created)
    root = etree.fromstring(text.encode("utf-8"))  # valid XML, declaration included
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "Hub & friends"
    assert root.findtext("head/dateCreated") == "Tue, 07 Nov 2023 09:30:00 GMT"
    assert parse_opml(text.encode("utf-8")) == [
        OutlineFeed("https://a.example/rss?x=1&y=2", None, 'Tom & "Jerry" <News>'),
        OutlineFeed(
            "https://b.example/sitemap.xml", None, "https://b.example/sitemap.xml", kind="sitemap"
        ),
        OutlineFeed("https://c.example/feed", None, "Badcontrolchars"),
    ]


def test_export_of_nothing_is_still_valid() -> None:
    root = etree.fromstring(export_opml([], "Empty").encode())
    assert root.find("body") is not None and len(root.find("body")) == 0
