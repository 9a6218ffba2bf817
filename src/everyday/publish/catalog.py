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

import bisect
import functools
import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from sys import intern

from everyday.models import Image
from everyday.records.frontmatter import format_datetime

from .entries import Entry, item_date_slug

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
PAGINGS = ("seed", "stable")

ImageRow = tuple[str, int | None, int | None, bool | None, str | None]


_FIELDS = (
    "path", "version", "stamp", "listed", "title", "topics", "domain", "provider", "logos",
    "web_url", "heat", "related", "day", "slug", "cached",
)  # fmt: skip


class Brief(tuple):  # type: ignore[type-arg]
    """What every build needs to know about one record without parsing it.

    A plain tuple underneath (fields by name below), so a stored state turns back into
    briefs at C speed: ``Brief.of_row(row)``. A brief also serves as the story of a record
    that stands alone (``lead`` is itself).
    """

    __slots__ = ()
    path: str = property(operator.itemgetter(0))  # type: ignore[assignment]
    version: int = property(operator.itemgetter(1))  # type: ignore[assignment]
    stamp: int = property(operator.itemgetter(2))  # type: ignore[assignment]
    listed: bool = property(operator.itemgetter(3))  # type: ignore[assignment]
    title: str = property(operator.itemgetter(4))  # type: ignore[assignment]
    topics: tuple[str, ...] = property(operator.itemgetter(5))  # type: ignore[assignment]
    domain: str = property(operator.itemgetter(6))  # type: ignore[assignment]
    provider: str = property(operator.itemgetter(7))  # type: ignore[assignment]
    logos: tuple[ImageRow, ...] = property(operator.itemgetter(8))  # type: ignore[assignment]
    web_url: str = property(operator.itemgetter(9))  # type: ignore[assignment]
    heat: int | None = property(operator.itemgetter(10))  # type: ignore[assignment]
    related: tuple[str, ...] = property(operator.itemgetter(11))  # type: ignore[assignment]
    day: str = property(operator.itemgetter(12))  # type: ignore[assignment]
    slug: str = property(operator.itemgetter(13))  # type: ignore[assignment]
    cached: tuple[str, ...] = property(operator.itemgetter(14))  # type: ignore[assignment]

    @classmethod
    def make(cls, **fields: object) -> Brief:
        """A brief from its fields by name (all of :data:`_FIELDS`)."""
        return cls(tuple(fields[name] for name in _FIELDS))

    @classmethod
    def of_row(cls, row: tuple[object, ...]) -> Brief:
        """A brief from a stored row (the tuple of its fields)."""
        return tuple.__new__(cls, row)

    def __repr__(self) -> str:
        return f"Brief({self.path!r}, listed={self.listed})"

    @property
    def lead(self) -> Brief:
        """As a story: a record without a cluster leads itself."""
        return self

    @property
    def members(self) -> tuple[Brief]:
        """As a story: just this record."""
        return (self,)

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


FEW_URLS = 100  # see Catalog.citing


def brief_of(entry: Entry, version: int = 0) -> Brief:
    """The summary of one record."""
    r = entry.record
    day, slug = item_date_slug(entry)
    provider = r.provider
    # Strings many records share are interned: the stored state then holds them once.
    # The fields in _FIELDS order, as one tuple (a from-scratch build makes 10^5 of these).
    return tuple.__new__(
        Brief,
        (
            entry.path,
            version,
            stamp_of(r.published),
            r.is_published is True,
            r.title,
            tuple([intern(t) for t in r.topics]),
            intern(provider.domain),
            intern(provider.name),
            tuple([_logo(i) for i in provider.images]),
            r.web_url,
            r.heat,
            tuple([rel.web_url for rel in r.related or ()]),
            intern(f"{day:%Y/%m/%d}"),  # as item_api_path spells it (glibc: year 999 unpadded)
            slug,
            tuple([i.url for i in r.images if i.is_cached]),
        ),
    )


@functools.lru_cache(maxsize=4096)
def _logo_row(row: ImageRow) -> ImageRow:
    return tuple(intern(v) if isinstance(v, str) else v for v in row)  # type: ignore[return-value]


def _logo(image: Image) -> ImageRow:
    return _logo_row(image_row(image))


def image_row(image: Image) -> ImageRow:
    """An image as a plain tuple (build states are stored with :mod:`marshal`)."""
    return (image.url, image.width, image.height, image.is_cached, image.title)


def images_of(rows: Iterable[ImageRow]) -> tuple[Image, ...]:
    """Images back from :func:`image_row` tuples."""
    return tuple(Image(*row) for row in rows)


_PATH = path_of = operator.itemgetter(0)  # Brief.path, at C speed (for map and sort keys)
_STAMP = stamp_of_brief = operator.itemgetter(2)  # Brief.stamp, likewise
day_of = operator.itemgetter(_FIELDS.index("day"))  # Brief.day, likewise
slug_of = operator.itemgetter(_FIELDS.index("slug"))  # Brief.slug, likewise


def newest_first(brief: Brief) -> tuple[int, str]:
    """The lists' sort key: newest first, then by path."""
    return -brief.stamp, brief.path


def among(brief: Brief, group: Iterable[Brief]) -> bool:
    """Whether this very brief (not an equal one) is in ``group``."""
    return any(brief is other for other in group)


def patched(members: list[Brief], gone: Iterable[Brief], come: Iterable[Brief]) -> list[Brief]:
    """A copy of the sorted ``members`` without ``gone`` and with ``come``, in order.

    Raises:
        ValueError: a brief of ``gone`` is not in ``members``.
    """
    result = list(members)
    for brief in gone:
        at = bisect.bisect_left(result, newest_first(brief), key=newest_first)
        while (
            at < len(result)
            and result[at] is not brief
            and newest_first(result[at]) == newest_first(brief)
        ):
            at += 1
        if at >= len(result) or result[at] is not brief:
            raise ValueError(f"{brief.path}: not in the list")
        del result[at]
    for brief in come:
        bisect.insort(result, brief, key=newest_first)
    return result


@dataclass
class Catalog:
    """Every record of the hub as briefs, in API order, with their full entries on demand.

    Given the previous build's catalog (``before``, kept in memory by a warm build) and the
    paths that changed since, the lists are patched (a binary search per changed record)
    instead of sorting the hub again.
    """

    briefs: dict[str, Brief]
    loader: Callable[[str], Entry]
    pins: Mapping[str, str] = field(default_factory=dict)  # path -> when pinned (ISO text)
    before: Catalog | None = field(default=None, repr=False)
    changed: Collection[str] = ()  # paths whose brief changed since ``before``
    listed: list[Brief] = field(default_factory=list)  # published: pinned, then newest first
    unique: list[Brief] = field(default_factory=list)  # listed, one per page path
    winners: dict[tuple[str, str], Brief] = field(default_factory=dict)
    twins: dict[tuple[str, str], list[Brief]] = field(default_factory=dict)  # the losers
    ordered: list[Brief] = field(default_factory=list, repr=False)  # listed, without pins
    _topics: dict[str, list[Brief]] = field(default_factory=dict, repr=False)
    _domains: dict[str, list[Brief]] | None = field(default=None, repr=False)
    # After a patch that moved no twin and with no pins: the briefs that left ``unique``
    # and those that joined it (its order is then plain newest first); else None.
    delta: tuple[list[Brief], list[Brief]] | None = field(default=None, repr=False)
    _cited: dict[str, set[str]] | None = field(default=None, repr=False)  # URL -> citers

    def __post_init__(self) -> None:
        before, self.before = self.before, None  # keep no chain of old catalogs alive
        if before is not None and not self._patch(before):
            self.winners, self.twins, self._topics = {}, {}, {}
            before = None
        if before is None:
            # Newest first, then by path (two C-keyed stable sorts: no Python call per record).
            self.ordered = sorted((b for b in self.briefs.values() if b.listed), key=_PATH)
            self.ordered.sort(key=_STAMP, reverse=True)
            for brief in self.ordered:  # the newest record takes a (day, slug) page path
                key = (brief.day, brief.slug)
                if self.winners.setdefault(key, brief) is not brief:
                    self.twins.setdefault(key, []).append(brief)
        self.listed = self.ordered
        if self.pins:  # pinned records lead the lists, most recently pinned first
            pins = self.pins
            pinned = sorted((b for b in self.ordered if b.path in pins), key=_PATH)
            pinned.sort(key=lambda b: pins[b.path], reverse=True)
            self.listed = pinned + [b for b in self.ordered if b.path not in pins]
        if self.twins:
            losers = {id(b) for group in self.twins.values() for b in group}
            self.unique = [b for b in self.listed if id(b) not in losers]
        else:
            self.unique = self.listed

    def _patch(self, before: Catalog) -> bool:
        """Derive the lists from ``before``'s; False if that is not worth it (or unsafe)."""
        if dict(before.pins) != dict(self.pins) or len(self.changed) > 1000:
            return False
        olds = [b for b in (before.briefs.get(p) for p in self.changed) if b is not None]
        news = [b for b in (self.briefs.get(p) for p in self.changed) if b is not None]
        gone = [b for b in olds if b.listed]
        come = [b for b in news if b.listed]
        try:
            self.ordered = patched(before.ordered, gone, come)
        except ValueError:  # not where it should be: sort afresh
            return False
        keys = {(b.day, b.slug) for b in (*gone, *come)}
        self.winners, self.twins = dict(before.winners), dict(before.twins)
        reshuffled = False
        for key in keys:
            old = [b for b in (self.winners.pop(key, None), *self.twins.pop(key, ())) if b]
            group = [b for b in old if not among(b, gone)]
            group += [b for b in come if (b.day, b.slug) == key]
            group.sort(key=newest_first)
            reshuffled |= len(old) > 1 or len(group) > 1
            if group:
                self.winners[key] = group[0]
                if len(group) > 1:
                    self.twins[key] = group[1:]
        if before._domains is not None and not self.pins:
            domains = dict(before._domains)
            for domain in {b.domain.lower() for b in (*gone, *come)}:
                out = [b for b in gone if b.domain.lower() == domain]
                into = [b for b in come if b.domain.lower() == domain]
                members = patched(domains.get(domain, []), out, into)
                if members:
                    domains[domain] = members
                else:
                    domains.pop(domain, None)
            self._domains = domains
        if not reshuffled and not self.pins:
            self.delta = (gone, come)
            if before._cited is not None:
                cited = dict(before._cited)
                for brief, add in [*((b, False) for b in gone), *((b, True) for b in come)]:
                    for url in brief.related:
                        paths = cited[url] = set(cited.get(url, ()))  # copies: before is kept
                        if add:
                            paths.add(brief.path)
                        else:
                            paths.discard(brief.path)
                self._cited = cited
        for name, members in before._topics.items():
            unique = name.startswith("\x00")
            if self.pins or (unique and reshuffled):
                continue  # made again on demand
            topic = name[1:] if unique else name
            out = [b for b in gone if topic in b.topics]
            into = [b for b in come if topic in b.topics]
            self._topics[name] = patched(members, out, into) if out or into else members
        return True

    @classmethod
    def of_entries(cls, entries: Iterable[Entry]) -> Catalog:
        """A catalog of entries already in memory (tests, the live API, the newsletter)."""
        by_path = {e.path: e for e in entries}
        return cls({p: brief_of(e) for p, e in by_path.items()}, by_path.__getitem__)

    def topic(self, name: str, *, unique: bool = False) -> list[Brief]:
        """The listed (or ``unique``) briefs carrying topic ``name``, newest first.

        Made per topic on first use: an incremental build asks only for the topics of
        what changed.
        """
        if not name:
            return []
        key = "\x00" + name if unique and self.unique is not self.listed else name
        found = self._topics.get(key)
        if found is None:
            if len(self._topics) < 2 and key == name:
                self._all_topics()  # asked for one, soon for others: one pass for all
                found = self._topics.setdefault(key, [])
            else:
                source = self.unique if unique else self.listed
                found = self._topics[key] = [b for b in source if name in b.topics]
        return found

    def _all_topics(self) -> None:
        """Every topic's list (of ``listed``) in one pass over the records."""
        lists: dict[str, list[Brief]] = {}
        for brief in self.listed:
            for name in brief.topics:
                members = lists.get(name)
                if members is None:
                    lists[name] = [brief]
                elif members[-1] is not brief:  # a topic named twice on one record
                    members.append(brief)
        for name, members in lists.items():
            self._topics.setdefault(name, members)

    def by_domain(self) -> dict[str, list[Brief]]:
        """The listed briefs of each provider domain (lower-cased), in list order."""
        if self._domains is None:
            domains: dict[str, list[Brief]] = {}
            for brief in self.listed:
                domain = brief.domain.lower()
                members = domains.get(domain)
                if members is None:
                    domains[domain] = [brief]
                else:
                    members.append(brief)
            self._domains = domains
        return self._domains

    def citing(self, urls: Collection[str]) -> set[str]:
        """Paths of ``unique`` records whose related list names one of ``urls``.

        A few URLs and no index yet (a build in a new process): one pass that tests each
        record's list (0.01 s at 100,000 records) rather than the index (0.1 s), which a
        warm build, patching the previous one's, keeps.
        """
        if self._cited is None and len(urls) <= FEW_URLS:
            wanted = set(urls)
            return {b.path for b in self.unique if not wanted.isdisjoint(b.related)}
        if self._cited is None:
            cited: dict[str, set[str]] = {}
            for brief in self.unique:
                for url in brief.related:
                    cited.setdefault(url, set()).add(brief.path)
            self._cited = cited
        found: set[str] = set()
        for url in urls:
            found.update(self._cited.get(url, ()))
        return found

    def pick(self, paths: Collection[str]) -> list[Brief]:
        """The briefs of ``unique`` among ``paths``, in list order (without a walk of all)."""
        found = [self.briefs.get(p) for p in paths]
        chosen = [b for b in found if b is not None and self.winners.get((b.day, b.slug)) is b]
        if self.pins:
            order = {id(b): n for n, b in enumerate(self.unique)}  # pins lead: list order
            return sorted(chosen, key=lambda b: order[id(b)])
        return sorted(chosen, key=newest_first)

    def entry(self, path: str) -> Entry:
        """The full record of ``path`` (parsed on first use when read from disk)."""
        return self.loader(path)


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
