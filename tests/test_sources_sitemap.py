"""Sitemaps: urlset and index, news/image extensions, gzip (and gzip bombs), hostile XML."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from everyday.errors import ParseError
from everyday.sources.sitemap import MAX_SITEMAP_BYTES, parse_sitemap

URL = "https://daily.example.com/sitemap.xml"
GOLDEN = Path(__file__).parent / "golden" / "feeds"


def test_news_sitemap_entries() -> None:
    sitemap = parse_sitemap((GOLDEN / "sitemap-news.xml").read_bytes(), URL)
    assert sitemap.kind == "urlset"
    first = sitemap.entries[0]
    assert first.title == "Chip plant opens & hires 300"
    assert first.published == datetime(2023, 11, 7, 9, tzinfo=UTC)
    assert first.updated == datetime(2023, 11, 7, 11, 20, tzinfo=UTC)
    assert first.tags == ("semiconductors", "jobs", "Meadowbrook")
    assert first.image_url == "https://daily.example.com/images/chip-plant.jpg"
    assert sitemap.entries[1].url.endswith("/robot-crossing-guard")  # <loc> whitespace trimmed
    assert len(sitemap.warnings) == 1  # the ftp:// location


def test_index_lists_child_sitemaps() -> None:
    sitemap = parse_sitemap((GOLDEN / "sitemap-index.xml").read_bytes(), URL)
    assert sitemap.kind == "sitemapindex"
    assert sitemap.entries == ()
    assert sitemap.sitemaps[-1] == "https://daily.example.com/sitemaps/pages.xml"


def test_sitemap_without_namespace_and_with_repeats() -> None:
    body = (
        b"<urlset><url><loc>https://a.example/1</loc></url>"
        b"<url><loc>https://a.example/1</loc></url><url><lastmod>2023</lastmod></url></urlset>"
    )
    sitemap = parse_sitemap(body, URL)
    assert [e.url for e in sitemap.entries] == ["https://a.example/1"]
    assert len(sitemap.warnings) == 1  # the <url> without <loc>


def test_gzipped_sitemap_is_inflated() -> None:
    raw = (GOLDEN / "sitemap-index.xml").read_bytes()
    assert len(parse_sitemap(gzip.compress(raw), URL).sitemaps) == 3


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_SITEMAP_BYTES + 10) + b"</urlset>")
    with pytest.raises(ParseError, match="larger than"):
        parse_sitemap(bomb, URL)


def test_broken_gzip_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="gzip"):
        parse_sitemap(b"\x1f\x8b\x08\x00garbage", URL)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"<urlset><url><loc>https://a.example/", "not well-formed"),
        (b"<rss version='2.0'/>", "expected a sitemap"),
        (b'<!DOCTYPE urlset [<!ENTITY e "x">]><urlset/>', "entity declarations"),
    ],
)
def test_bad_sitemaps_are_parse_errors(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_sitemap(body, URL)


def test_external_entity_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "loc.txt"
    secret.write_text("https://secret.example/leak")
    body = (
        f'<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<urlset><url><loc>&xxe;</loc></url></urlset>"
    ).encode()
    with pytest.raises(ParseError):
        parse_sitemap(body, URL)
