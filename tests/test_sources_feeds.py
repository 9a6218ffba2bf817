"""parse_feed beyond the golden pairs: sniffing, charsets, hostile input, field mapping."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from everyday.errors import ParseError
from everyday.sources.feeds import parse_feed
from everyday.sources.normalize import (
    clean_title,
    first_image_src,
    html_to_text,
    normalize_url,
    parse_datetime,
)

URL = "https://feeds.example.org/main.xml"
GOLDEN = Path(__file__).parent / "golden" / "feeds"


def rss(items: str, channel_extra: str = "", encoding: str = "utf-8") -> bytes:
    """Build a small RSS 2.0 document around some <item> markup."""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Test channel</title><link>https://site.example.org/</link>"
        f"{channel_extra}{items}</channel></rss>"
    ).encode(encoding)


def item(link: str = "https://site.example.org/a", extra: str = "") -> str:
    return f"<item><title>An item</title><link>{link}</link>{extra}</item>"


# --- sniffing and refusal -------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"\n"])
def test_empty_body_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match="empty body"):
        parse_feed(body, URL)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>",
        b"\xef\xbb\xbf  <!doctype HTML>\n<p>no html element at all",
        b"<html><body><p>Not found</p></body></html>",
        b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
        b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head></html>',
        b"<!-- cached page -->\n<HTML><HEAD></HEAD></HTML>",
    ],
)
def test_html_page_is_refused_with_a_clear_message(body: bytes) -> None:
    with pytest.raises(ParseError, match="expected a feed, got an HTML page"):
        parse_feed(body, URL, "text/html")


def test_html_served_as_rss_is_still_refused() -> None:
    page = (GOLDEN / "html-page.html").read_bytes()
    with pytest.raises(ParseError, match="HTML page"):
        parse_feed(page, URL, "application/rss+xml")


def test_rss_served_as_text_html_is_parsed_without_noise() -> None:
    parsed = parse_feed(rss(item()), URL, "text/html; charset=utf-8")
    assert parsed.kind == "rss"
    assert [e.url for e in parsed.entries] == ["https://site.example.org/a"]
    assert parsed.warnings == ()


def test_garbage_bytes_are_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a usable feed: no entries"):
        parse_feed(b"\x00\x01\x02 definitely not a feed \xff\xfe", URL)


def test_plain_text_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_feed(b"Service temporarily unavailable. Try again later.", URL, "text/plain")


def test_feed_with_title_and_no_entries_is_valid() -> None:
    parsed = parse_feed(rss(""), URL)
    assert parsed.title == "Test channel"
    assert parsed.entries == ()


def test_body_that_names_a_local_file_is_not_read_as_a_path(tmp_path: Path) -> None:
    # feedparser opens bytes arguments as file names; parse_feed must never do that.
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss(item("https://leak.example.org/secret")))
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), URL)


def test_json_body_is_sniffed_without_content_type() -> None:
    body = b'  {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}'
    parsed = parse_feed(body, URL)
    assert (parsed.kind, parsed.title) == ("jsonfeed", "J")


def test_xml_body_wins_over_a_json_content_type() -> None:
    parsed = parse_feed(rss(item()), URL, "application/json")
    assert parsed.kind == "rss"


def test_invalid_json_feed_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [', URL)


def test_sitemap_is_routed_by_root_element() -> None:
    body = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>https://site.example.org/p1</loc></url></urlset>"
    )
    parsed = parse_feed(body, URL, "application/xml")
    assert parsed.kind == "sitemap"
    assert [e.url for e in parsed.entries] == ["https://site.example.org/p1"]


def test_gzipped_feed_body_is_inflated() -> None:
    parsed = parse_feed(gzip.compress(rss(item())), URL)
    assert len(parsed.entries) == 1


# --- hostile XML -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel><title>&g;</title>
<item><title>&g;</title><link>https://site.example.org/x</link></item></channel></rss>"""


def test_billion_laughs_feed_does_not_expand() -> None:
    parsed = parse_feed(BILLION_LAUGHS, URL)
    total = sum(len(e.title or "") for e in parsed.entries) + len(parsed.title or "")
    assert total < 10_000  # fully expanded it would be 16**6 * 64 = 1 GiB


def test_external_entity_in_feed_is_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title>'
        "<link>https://site.example.org/x</link><description>&xxe;</description></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed(body, URL)
    assert "TOP-SECRET" not in repr(parsed)


# --- charsets --------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/xml", "application/rss+xml", "text/html"])
def test_latin1_feed_decodes_whatever_the_header(content_type: str | None) -> None:
    body = rss(item(extra="<description>Crème brûlée à la carte</description>"), "", "latin-1")
    parsed = parse_feed(body, URL, content_type)
    assert parsed.entries[0].summary == "Crème brûlée à la carte"


def test_cp1252_feed_keeps_smart_quotes_and_euro() -> None:
    parsed = parse_feed((GOLDEN / "cp1252.xml").read_bytes(), URL, "text/xml")
    assert parsed.entries[0].title == "Startup raises €10m for ‘tiny’ models – and hires"


def test_mislabelled_charset_is_recovered_with_a_warning() -> None:
    parsed = parse_feed((GOLDEN / "wrong-charset.xml").read_bytes(), URL, "text/xml; charset=utf-8")
    assert parsed.entries[0].title == "Café robots “serve” coffee"
    assert any("windows-1252" in w for w in parsed.warnings)


def test_http_charset_overrides_the_xml_declaration() -> None:
    body = rss(item(extra="<description>Señal</description>"), "", "latin-1")
    body = body.replace(b'encoding="latin-1"', b'encoding="utf-8"')
    parsed = parse_feed(body, URL, "application/rss+xml; charset=ISO-8859-1")
    assert parsed.entries[0].summary == "Señal"


def test_undecodable_bytes_do_not_crash() -> None:
    body = rss(item(extra="<description>ok</description>")).replace(b"ok", b"\x81\x8d\x8f\x90\x9d")
    parsed = parse_feed(body, URL, "application/xml; charset=utf-8")
    assert len(parsed.entries) == 1


def test_utf16_feed_is_read() -> None:
    body = rss(item(extra="<description>Ünïcödé</description>"), "", "utf-16")
    parsed = parse_feed(body, URL)
    assert parsed.entries[0].summary == "Ünïcödé"


# --- field mapping ---------------------------------------------------------------------


def test_dates_are_aware_utc() -> None:
    parsed = parse_feed(rss(item(extra="<pubDate>Tue, 07 Nov 2023 23:30:00 -0800</pubDate>")), URL)
    assert parsed.entries[0].published == datetime(2023, 11, 8, 7, 30, tzinfo=UTC)


def test_unparseable_date_is_none_not_an_error() -> None:
    parsed = parse_feed(rss(item(extra="<pubDate>sometime last week</pubDate>")), URL)
    assert parsed.entries[0].published is None


def test_relative_link_resolves_against_the_feed_url() -> None:
    parsed = parse_feed(rss(item("../posts/one")), "https://feeds.example.org/x/rss.xml")
    assert parsed.entries[0].url == "https://feeds.example.org/posts/one"


@pytest.mark.parametrize("link", ["javascript:alert(1)", "mailto:a@b.example", "ftp://x.example/"])
def test_non_http_links_are_skipped_with_a_warning(link: str) -> None:
    parsed = parse_feed(rss(item(link) + item("https://site.example.org/ok")), URL)
    assert [e.url for e in parsed.entries] == ["https://site.example.org/ok"]
    assert any("no usable http(s) link" in w for w in parsed.warnings)


def test_duplicate_links_are_kept_once() -> None:
    parsed = parse_feed(rss(item() + item()), URL)
    assert len(parsed.entries) == 1
    assert any("duplicate" in w for w in parsed.warnings)


def test_summary_falls_back_to_content_and_strips_markup() -> None:
    extra = (
        '<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<![CDATA[<h2>Head</h2><p>Body <a href='/x'>link</a></p><style>p{}</style>]]>"
        "</content:encoded>"
    )
    parsed = parse_feed(rss(item(extra=extra)), URL)
    assert parsed.entries[0].summary == "Head Body link"


def test_media_content_that_is_video_is_not_the_image() -> None:
    extra = (
        '<media:content url="https://cdn.example.org/clip.mp4" medium="video"/>'
        '<media:thumbnail url="https://cdn.example.org/thumb.jpg"/>'
    )
    parsed = parse_feed(rss(item(extra=extra)), URL)
    assert parsed.entries[0].image_url == "https://cdn.example.org/thumb.jpg"


def test_email_only_author_is_not_a_name() -> None:
    parsed = parse_feed(rss(item(extra="<author>desk@site.example.org</author>")), URL)
    assert parsed.entries[0].authors == ()


def test_script_in_title_does_not_leak() -> None:
    extra = ""
    body = rss(item(extra=extra)).replace(
        b"<title>An item</title>", b"<title>&lt;script&gt;alert(1)&lt;/script&gt;Safe</title>"
    )
    parsed = parse_feed(body, URL)
    assert parsed.entries[0].title == "Safe"


# --- normalize helpers -----------------------------------------------------------------


def test_html_to_text_separates_blocks_and_drops_scripts() -> None:
    html = "<div><p>One</p><p>Two<br>Three</p><script>bad()</script><!-- c -->Four</div>"
    assert html_to_text(html) == "One Two Three Four"


def test_html_to_text_keeps_plain_comparisons() -> None:
    assert html_to_text("1 < 2 & 3 > 2") == "1 < 2 & 3 > 2"


def test_clean_title_unescapes_double_escaped_plain_text() -> None:
    assert clean_title("It&#8217;s  here\n") == "It’s here"
    assert clean_title("   ") is None


def test_first_image_skips_tracking_pixels_and_data_uris() -> None:
    html = (
        '<img src="data:image/gif;base64,R0lGOD" ><img src="/p.gif" height="1">'
        '<img src="pics/lead.jpg">'
    )
    assert (
        first_image_src(html, "https://a.example/post/") == "https://a.example/post/pics/lead.jpg"
    )


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/a", "https://a.example/a"),
        (" https://b.example/x ", "https://b.example/x"),
        ("//c.example/y", "https://c.example/y"),
        ("javascript:void(0)", None),
        ("http://[::1", None),
        ("", None),
        ("https://", None),
    ],
)
def test_normalize_url(href: str, expected: str | None) -> None:
    assert normalize_url(href, "https://a.example/feed") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-11-07T10:00:00+01:00", datetime(2023, 11, 7, 9, tzinfo=UTC)),
        ("2023-11-07T10:00:00Z", datetime(2023, 11, 7, 10, tzinfo=UTC)),
        ("2023-11-07", datetime(2023, 11, 7, tzinfo=UTC)),
        ("2023-11", datetime(2023, 11, 1, tzinfo=UTC)),
        ("2023", datetime(2023, 1, 1, tzinfo=UTC)),
        ("Tue, 07 Nov 2023 10:00:00 GMT", datetime(2023, 11, 7, 10, tzinfo=UTC)),
        ("soon", None),
        ("2023-13-45", None),
    ],
)
def test_parse_datetime(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


def test_broken_feed_cut_before_its_first_item_is_a_parse_error() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Cut'
    with pytest.raises(ParseError, match="no entries"):
        parse_feed(body, URL)


def test_well_formed_empty_feed_is_fine() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert parse_feed(body, URL).entries == ()
