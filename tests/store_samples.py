"""Sample records and articles for the store tests (every field set, or just enough)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from everyday.models import Article, Image, Provider, Record, Related

UTC = UTC
T0 = datetime(2023, 11, 7, 12, 30, 15, 123456, tzinfo=UTC)


def full_record() -> Record:
    """A record with every field set, nested entries included, legacy keys and extra."""
    logo = Image("https://cdn.example.com/logo.png", 50, 50, is_cached=True)
    legacy_image = Image("https://old.example.com/a.jpg", 640, 480, is_cached=None, title="Old")
    provider = Provider("Example News", "example.com", (logo,))
    related = Related(
        title="Related story",
        excerpt="Something else happened ...",
        published=datetime(2023, 11, 6, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
        web_url="https://other.example.org/related",
        type="video",
        provider=Provider("Other", "other.example.org", (logo,)),
        quality=77,
        amp_web_url="https://other.example.org/amp/related",
        cdn_amp_web_url="https://other-example-org.cdn.ampproject.org/c/related",
        images=(Image("https://other.example.org/r.jpg", 1200, 630, is_cached=False),),
    )
    bare_related = Related("Bare", "", datetime(2023, 1, 1), "https://x.example/bare")
    return Record(
        title="Ünïcode title: “quotes” & <tags>",
        excerpt="An excerpt\nover two lines ...",
        published=T0,
        web_url="https://example.com/news/story",
        provider=provider,
        original_url="https://feeds.example.com/~r/story?utm_source=rss",
        category="news",
        type="article",
        amp_web_url="https://example.com/amp/story",
        cdn_amp_web_url="https://example-com.cdn.ampproject.org/c/s/example.com/amp/story",
        quality=81,
        heat=64,
        is_published=True,
        topics=("AI", "Machine Learning"),
        images=(Image("https://example.com/lead.jpg", 1200, 675, is_cached=True), legacy_image),
        related=(related, bare_related),
        secured="gAAAAABl-token==",
        source_url="https://legacy.example.com/source",
        extra=(
            ("legacy_id", 12345),
            ("score", 0.5),
            ("flag", False),
            ("nothing", None),
            ("when", datetime(2019, 12, 20, 10, 0)),
            ("day", date(2019, 12, 20)),
            ("tags", ["a", "b", 3]),
            ("pair", ("x", 1)),
            ("nested", {"k": [1, {"deep": True}], "$odd": "dollar key"}),
            ("intkeys", {1: "one", 2: "two"}),
            ("inf", float("-inf")),
            ("raw", b"\x00\xffbytes"),
            ("legacy_id", "duplicate keys keep their order"),
        ),
    )


def make_article(
    url: str,
    published: datetime = T0,
    *,
    fingerprint: str | None = None,
    title: str = "A title",
    original_url: str | None = None,
    is_published: bool | None = None,
    first_seen: datetime | None = None,
    text: str = "Body text.",
) -> Article:
    """A small article keyed by ``url``; the fingerprint defaults to one per url+title."""
    record = Record(
        title=title,
        excerpt="Excerpt ...",
        published=published,
        web_url=url,
        provider=Provider("Example", "example.com"),
        original_url=original_url,
        is_published=is_published,
        heat=70 if is_published else None,
    )
    return Article(
        record=record,
        path=f"_news/{published:%Y-%m-%d}-{url.rsplit('/', 1)[-1]}.md",
        text=text,
        first_seen=first_seen,
        fingerprint=fingerprint if fingerprint is not None else f"fp:{url}:{title}",
    )


def full_article() -> Article:
    """An article with every private field set around :func:`full_record`."""
    return Article(
        record=full_record(),
        path="_news/2023-11-07-story.md",
        text="Full text.\n\nSecond paragraph.",
        authors=("Ada Lovelace", "Alan Turing"),
        source_url="https://example.com/feed.xml",
        first_seen=T0 + timedelta(minutes=3),
        fingerprint="sha256:abc",
        tags=("ml", "news"),
    )


def later(article: Article, **record_changes: object) -> Article:
    """The same article with record fields changed and a new fingerprint."""
    record = replace(article.record, **record_changes)  # type: ignore[arg-type]
    return replace(article, record=record, fingerprint=article.fingerprint + "+")
