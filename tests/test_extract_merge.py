"""merge: the documented precedence between a feed entry and an extracted page."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from everyday.extract.merge import Merged, merge
from everyday.extract.page import extract_page
from everyday.models import FeedEntry, Page
from extract_golden import golden_pages

FETCHED = "https://www.example.com/news/story"
T1 = datetime(2024, 1, 1, tzinfo=UTC)
T2 = datetime(2024, 1, 2, tzinfo=UTC)
T3 = datetime(2024, 1, 3, tzinfo=UTC)
T4 = datetime(2024, 1, 4, tzinfo=UTC)

ENTRY = FeedEntry(
    url="https://feeds.example.com/click?id=1",
    source_url="https://www.example.com/feed.xml",
    title="Feed title",
    summary="<p>Feed summary &amp; more</p>",
    published=T2,
    updated=T3,
    authors=("Feed Author",),
    image_url="https://www.example.com/feed.jpg",
)
PAGE = Page(
    url=FETCHED,
    title="Page title",
    description="Page description",
    text="Body text.",
    canonical_url="https://www.example.com/news/story-canonical",
    image_url="https://www.example.com/og.jpg",
    site_name="Example",
    published=T1,
    modified=T4,
    authors=("Page Author",),
    language="en",
    amp_url="https://www.example.com/amp/story",
)


def test_page_wins_over_feed() -> None:
    merged = merge(ENTRY, PAGE, FETCHED)
    assert merged == Merged(
        url=ENTRY.url,
        canonical_url=PAGE.canonical_url or "",
        title="Page title",
        description="Page description",
        text="Body text.",
        image_url="https://www.example.com/og.jpg",
        site_name="Example",
        published=T1,
        authors=("Page Author",),
        language="en",
        amp_url="https://www.example.com/amp/story",
    )


def test_feed_fills_what_the_page_lacks() -> None:
    merged = merge(ENTRY, Page(url=FETCHED, text="Body."), FETCHED)
    assert merged.title == "Feed title"
    assert merged.description == "Feed summary & more"
    assert merged.image_url == "https://www.example.com/feed.jpg"
    assert merged.published == T2
    assert merged.authors == ("Feed Author",)
    assert merged.canonical_url == FETCHED


def test_page_not_fetched() -> None:
    merged = merge(ENTRY, None, ENTRY.url)
    assert (merged.url, merged.canonical_url, merged.text) == (ENTRY.url, ENTRY.url, "")
    assert merged.title == "Feed title"


def test_page_without_feed() -> None:
    merged = merge(None, PAGE, FETCHED)
    assert merged.url == FETCHED
    assert merged.title == "Page title"


def test_nothing_known() -> None:
    assert merge(None, None, FETCHED) == Merged(url=FETCHED, canonical_url=FETCHED)


@pytest.mark.parametrize(
    ("page_published", "feed_published", "feed_updated", "modified", "expected"),
    [
        (T1, T2, T3, T4, T1),
        (None, T2, T3, T4, T2),
        (None, None, T3, T4, T3),
        (None, None, None, T4, T4),
        (None, None, None, None, None),
    ],
)
def test_published_precedence(page_published, feed_published, feed_updated, modified, expected):
    entry = dataclasses.replace(ENTRY, published=feed_published, updated=feed_updated)
    page = dataclasses.replace(PAGE, published=page_published, modified=modified)
    assert merge(entry, page, FETCHED).published == expected


@pytest.mark.parametrize(
    ("page_title", "feed_title", "expected"),
    [
        ("Big story | Example News", "Big story", "Big story"),
        ("Big story", "Big story (updated)", "Big story"),
        ("The full headline of the story", "Story", "The full headline of the story"),
        (None, "Feed &amp; title", "Feed & title"),
        ("Page", None, "Page"),
    ],
)
def test_title_precedence(page_title: str | None, feed_title: str | None, expected: str) -> None:
    entry = dataclasses.replace(ENTRY, title=feed_title)
    page = dataclasses.replace(PAGE, title=page_title)
    assert merge(entry, page, FETCHED).title == expected


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [
        (
            "https://www.example.com/news/story-canonical",
            "https://www.example.com/news/story-canonical",
        ),
        ("https://elsewhere.example.org/story", FETCHED),  # cross-site: resolution error
        ("https://www.example.com/", FETCHED),  # home page: CMS misconfiguration
        (None, FETCHED),
    ],
)
def test_canonical_precedence(canonical: str | None, expected: str) -> None:
    page = dataclasses.replace(PAGE, canonical_url=canonical)
    assert merge(ENTRY, page, FETCHED).canonical_url == expected


def test_merged_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        merge(ENTRY, PAGE, FETCHED).title = "x"  # type: ignore[misc]


def test_golden_page_with_feed_entry() -> None:
    golden = next(g for g in golden_pages() if g.name == "opengraph-only")
    entry = FeedEntry(
        url="https://harbortech.example/rss/click/eu-chip-export-review",
        source_url="https://harbortech.example/rss",
        title="EU regulators open review of chip export rules",
        summary="Short feed blurb.",
        published=T1,
    )
    page = extract_page(golden.markup, golden.url)
    merged = merge(entry, page, golden.url)
    assert merged.url == entry.url
    assert merged.canonical_url == "https://harbortech.example/policy/eu-chip-export-review"
    assert merged.published == datetime(2024, 5, 2, 7, 30, tzinfo=UTC)
    assert merged.description is not None and merged.description.startswith("Brussels wants")
    assert "advanced chipmaking equipment" in merged.text


def test_precedence_is_documented_in_docs() -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "extraction.md"
    text = doc.read_text("utf-8")
    for field in ("canonical_url", "title", "description", "image_url", "published", "authors"):
        assert f"| {field} " in text or f"| `{field}` " in text
