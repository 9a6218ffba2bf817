"""The hub's records as the publishers see them: one light summary each, ordered and paged.

A 100,000-record hub cannot be parsed on every build (0.1 ms a file), so every decision that
needs all records (order, lists, page boundaries, clusters, related links, providers, topic
counts) reads a :class:`Brief`: a plain tuple that a build state keeps between builds. The
full :class:`~everyday.publish.entries.Entry` is loaded only for what is rendered, through
:meth:`Catalog.entry`.

Paging (``[publish] paging``): ``seed`` cuts pages from the newest record, as the seed's API
does, so page 1 is the newest and one new record shifts every page. ``stable`` cuts them from
the oldest record, so page N keeps its records forever and a new record changes only the
newest page and the index (which shows the newest page, plus the one before it while the
newest is not full, so it never holds fewer than ``page_size`` records).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from everyday.models import Image
from everyday.records.frontmatter import format_datetime

from .entries import Entry, item_date_slug

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
PAGINGS = ("seed", "stable")

ImageRow = tuple[str, int | None, int | None, bool | None, str | None]


class Brief(NamedTuple):
    """What every build needs to know about one record without parsing it."""

    path: str  # hub-relative record file, e.g. ``_news/2023-11-07-some-title.md``
    version: str  # digest of the record file's bytes
    stamp: int  # publishedDateTime in microseconds since 1970 (the sort key)
    listed: bool  # ``published: true``
    title: str
    topics: tuple[str, ...]
    domain: str
    provider: str
    logos: tuple[ImageRow, ...]  # the record's provider images
    web_url: str
    heat: int | None
    related: tuple[str, ...]  # webUrls of the related entries
    day: str  # ``YYYY/MM/DD`` of the page and per-item paths
    slug: str
    cached: tuple[str, ...]  # URLs of the record's images marked ``isCached``

    @property
    def published(self) -> datetime:
        """The publication time as an aware UTC datetime."""
        return EPOCH + self.stamp * _MICRO

    @property
    def published_text(self) -> str:
        """``publishedDateTime`` as the API writes it."""
        return format_datetime(self.published)

    @property
    def page_dir(self) -> str:
        """Site-relative folder of the article page: ``YYYY/MM/DD/<slug>/``."""
        return f"{self.day}/{self.slug}/"

    @property
    def item_path(self) -> str:
        """Site-relative per-item JSON: ``api/news/YYYY/MM/DD/<slug>/index.json``."""
        return f"api/news/{self.day}/{self.slug}/index.json"


def stamp_of(moment: datetime) -> int:
    """Microseconds since 1970 of an aware datetime (exact, unlike ``timestamp()``)."""
    return (moment - EPOCH) // _MICRO


def brief_of(entry: Entry, version: str = "") -> Brief:
    """The summary of one record."""
    r = entry.record
    day, slug = item_date_slug(entry)
    return Brief(
        path=entry.path,
        version=version,
        stamp=stamp_of(r.published),
        listed=r.is_published is True,
        title=r.title,
        topics=tuple(r.topics),
        domain=r.provider.domain,
        provider=r.provider.name,
        logos=tuple(image_row(i) for i in r.provider.images),
        web_url=r.web_url,
        heat=r.heat,
        related=tuple(rel.web_url for rel in r.related or ()),
        day=f"{day:%Y/%m/%d}",
        slug=slug,
        cached=tuple(i.url for i in r.images if i.is_cached),
    )


def image_row(image: Image) -> ImageRow:
    """An image as a plain tuple (build states are stored with :mod:`marshal`)."""
    return (image.url, image.width, image.height, image.is_cached, image.title)


def images_of(rows: Iterable[ImageRow]) -> tuple[Image, ...]:
    """Images back from :func:`image_row` tuples."""
    return tuple(Image(*row) for row in rows)


def order_key(brief: Brief) -> tuple[int, str]:
    """Newest first, then by path: the one order of every list (see entries.published)."""
    return (-brief.stamp, brief.path)


@dataclass
class Catalog:
    """Every record of the hub as briefs, in API order, with their full entries on demand."""

    briefs: dict[str, Brief]
    loader: Callable[[str], Entry]
    listed: list[Brief] = field(default_factory=list)  # published, newest first
    unique: list[Brief] = field(default_factory=list)  # listed, one per page path
    winners: dict[tuple[str, str], Brief] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.listed = sorted((b for b in self.briefs.values() if b.listed), key=order_key)
        for brief in self.listed:  # the newest record takes a (day, slug) page path
            self.winners.setdefault((brief.day, brief.slug), brief)
        self.unique = [b for b in self.listed if self.winners[(b.day, b.slug)] is b]

    @classmethod
    def of_entries(cls, entries: Iterable[Entry]) -> Catalog:
        """A catalog of entries already in memory (tests, the live API, the newsletter)."""
        by_path = {e.path: e for e in entries}
        return cls({p: brief_of(e) for p, e in by_path.items()}, by_path.__getitem__)

    def entry(self, path: str) -> Entry:
        """The full record of ``path`` (parsed on first use when read from disk)."""
        return self.loader(path)

    def is_winner(self, brief: Brief) -> bool:
        """Whether ``brief`` owns its page and per-item paths (a newer twin did not take them)."""
        return self.winners.get((brief.day, brief.slug)) is brief


def by_topic(briefs: Sequence[Brief], name: str) -> list[Brief]:
    """The briefs carrying topic ``name``, order kept."""
    return [b for b in briefs if name in b.topics]


# --------------------------------------------------------------------------- paging


@dataclass(frozen=True)
class PageSlice:
    """One page of a list: ``items[start:stop]`` (newest first), its number and neighbours."""

    number: int
    start: int
    stop: int
    older: int | None  # the page a reader goes to next (the envelope's ``nextPage``)
    newer: int | None


def paginate(count: int, size: int, paging: str = "seed") -> tuple[list[PageSlice], PageSlice]:
    """The numbered pages of a list of ``count`` items and its index (front) page.

    ``seed``: page 1 is the newest ``size`` items and is the index. ``stable``: page 1 holds
    the oldest ``size`` items, page M (the last) the newest 1..size; the index holds page M
    and, when M is not full, page M-1 too.
    """
    size = max(1, size)
    total = max(1, -(-count // size))
    if paging != "stable":
        pages = [
            PageSlice(
                n, (n - 1) * size, min(n * size, count), n + 1 if n < total else None, n - 1 or None
            )
            for n in range(1, total + 1)
        ]
        return pages, pages[0]
    pages = [
        PageSlice(
            n,
            max(0, count - n * size),
            max(0, count - (n - 1) * size),
            n - 1 or None,
            n + 1 if n < total else None,
        )
        for n in range(1, total + 1)
    ]
    newest = pages[-1]
    if total == 1 or newest.stop - newest.start == size:
        return pages, newest
    second = pages[-2]
    return pages, PageSlice(total, 0, second.stop, second.older, None)
