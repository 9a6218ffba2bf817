"""JSON Feed 1.0/1.1: versions, item fields, authors inheritance, refusal of non-feeds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from everyday.errors import ParseError
from everyday.sources.jsonfeed import looks_like_json, parse_json_feed

URL = "https://j.example.org/feed.json"
V11 = "https://jsonfeed.org/version/1.1"


def feed(items: list[Any], **top: Any) -> bytes:
    return json.dumps({"version": V11, "title": "J", "items": items, **top}).encode()


def test_version_1_0_and_1_1_are_read() -> None:
    assert parse_json_feed(feed([], version="https://jsonfeed.org/version/1"), URL).version == "1.0"
    assert parse_json_feed(feed([]), URL).version == "1.1"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2, 3]",
        b'{"version": "https://jsonfeed.org/version/2", "items": []}',
        b'{"title": "no version", "items": []}',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}',
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "x"}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_non_feeds_are_parse_errors(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_json_feed(body, URL)


def test_deeply_nested_json_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError):
        parse_json_feed(b"[" * 100_000 + b"]" * 100_000, URL)


def test_bom_is_tolerated() -> None:
    parsed = parse_json_feed(b"\xef\xbb\xbf" + feed([]), URL)
    assert parsed.title == "J"


def test_item_fields_map_to_feed_entry() -> None:
    item = {
        "id": "a1",
        "url": "posts/a1",
        "title": "  A &amp; B ",
        "content_html": "<p>Hello <img src='/i.png'> there</p>",
        "date_published": "2023-11-07T10:00:00+02:00",
        "date_modified": "2023-11-08T00:00:00Z",
        "tags": ["x", 3, "y"],
    }
    (entry,) = parse_json_feed(feed([item]), URL).entries
    assert entry.url == "https://j.example.org/posts/a1"
    assert entry.title == "A & B"
    assert entry.summary == "Hello there"
    assert entry.image_url == "https://j.example.org/i.png"
    assert entry.published == datetime(2023, 11, 7, 8, tzinfo=UTC)
    assert entry.updated == datetime(2023, 11, 8, tzinfo=UTC)
    assert entry.tags == ("x", "y")
    assert entry.guid == "a1"
    assert entry.source_url == URL


def test_summary_prefers_summary_then_text_then_html() -> None:
    items = [
        {"id": "1", "url": "https://a.example/1", "summary": "S", "content_text": "T"},
        {"id": "2", "url": "https://a.example/2", "content_text": "T", "content_html": "<b>H</b>"},
        {"id": "3", "url": "https://a.example/3", "content_html": "<b>H</b>"},
    ]
    assert [e.summary for e in parse_json_feed(feed(items), URL).entries] == ["S", "T", "H"]


def test_external_url_is_used_when_url_is_missing() -> None:
    item = {"id": "1", "external_url": "https://elsewhere.example/story"}
    assert parse_json_feed(feed([item]), URL).entries[0].url == "https://elsewhere.example/story"


def test_items_inherit_feed_authors_in_both_versions() -> None:
    v11 = feed([{"id": "1", "url": "https://a.example/1"}], authors=[{"name": "Desk"}])
    v10 = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "title": "J",
            "author": {"name": "Old Desk"},
            "items": [
                {"id": "1", "url": "https://a.example/1", "author": {"name": "Kim"}},
                {"id": "2", "url": "https://a.example/2"},
            ],
        }
    ).encode()
    assert parse_json_feed(v11, URL).entries[0].authors == ("Desk",)
    assert [e.authors for e in parse_json_feed(v10, URL).entries] == [("Kim",), ("Old Desk",)]


def test_wrongly_typed_fields_are_ignored_not_fatal() -> None:
    item = {
        "id": True,
        "url": 5,
        "external_url": "https://a.example/x",
        "title": ["no"],
        "tags": "not-a-list",
        "date_published": 12345,
        "authors": "me",
    }
    (entry,) = parse_json_feed(feed([item]), URL).entries
    assert (entry.title, entry.tags, entry.published, entry.guid) == (None, (), None, None)


def test_bad_dates_and_urls_become_warnings() -> None:
    items = [
        {"id": "1", "url": "https://a.example/1", "date_published": "last tuesday"},
        {"id": "2", "url": "javascript:alert(1)"},
    ]
    parsed = parse_json_feed(feed(items), URL)
    assert len(parsed.entries) == 1
    assert any("last tuesday" in w for w in parsed.warnings)
    assert any("item 2" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"a": 1}', None, True),
        (b"\xef\xbb\xbf\n {", None, True),
        (b"<rss/>", "application/json", False),
        (b"oops", "application/feed+json", True),
        (b"oops", "text/html", False),
    ],
)
def test_looks_like_json(body: bytes, content_type: str | None, expected: bool) -> None:
    assert looks_like_json(body, content_type) is expected
