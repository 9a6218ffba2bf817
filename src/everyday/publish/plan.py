"""What a build renders: everything (a full build), or only what one pass of changes touched.

A full build renders every file and lets :class:`~everyday.publish.output.Output` skip the
unchanged bytes. An incremental build knows which records changed since the previous build
(:mod:`everyday.publish.cache`) and derives, without parsing the other records:

- ``records``: records whose own content changed (added, edited, removed): their per-item
  JSON, the API pages and feeds that list them, their search rows;
- ``cards``: records whose card changed (their content, their story's number of sources or
  their cached image): the site list pages that show them;
- ``articles``: article pages to render (their card, a story member or a related article
  that is ours changed).

Pages are compared by *unit keys*: a page's number, neighbours and the paths it lists. A
page whose key equals the previous build's and lists no changed record is not rendered;
its file stays as it is, bytes and mtime.

Keys are kept by *group* (one paged list, one feed set, ...). A list none of whose records
changed, old version or new (``touched``), cannot have changed either: its group is
carried over as a whole without walking its records, so an incremental build of a big hub
does work only for the few lists a new article is on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from .catalog import Brief, Catalog

Key = object  # a tuple of str/int/None: stored with marshal between builds
Keys = dict[str, dict[str, Key]]  # group -> unit (site-relative path) -> key


@dataclass(frozen=True)
class Touched:
    """The lists an incremental build must walk: those holding a changed record."""

    topics: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()  # provider domains, stripped and lower-cased
    hub: bool = False  # the hub's own list (any change at all)


@dataclass
class Plan:
    """What to render; a default Plan renders everything."""

    full: bool = True
    records: frozenset[str] = frozenset()
    cards: frozenset[str] = frozenset()
    articles: frozenset[str] = frozenset()
    previous: Mapping[str, Mapping[str, Key]] = field(default_factory=dict)
    keys: Keys = field(default_factory=dict)
    touched: Touched | None = None  # None: every list (a full build)

    def wants(
        self,
        unit: str,
        key: Key,
        members: Iterable[str] = (),
        dirty: AbstractSet[str] = frozenset(),
        group: str = "",
    ) -> bool:
        """Record ``unit``'s key; True if it must be rendered (new key or a dirty member)."""
        key = pack(key)
        self.keys.setdefault(group, {})[unit] = key
        if self.full or self.previous.get(group, {}).get(unit) != key:
            return True
        return not dirty.isdisjoint(members)

    def keep(self, group: str, *, hub: bool = False, topic: str = "", domain: str = "") -> bool:
        """True (and the previous keys of ``group`` kept) if no record of the list changed.

        The list is named by what it holds: the hub's (``hub``), a topic's or a provider's.
        """
        t = self.touched
        if t is None or group not in self.previous:
            return False
        if (hub and t.hub) or (topic and topic in t.topics) or (domain and domain in t.domains):
            return False
        self.keys[group] = dict(self.previous[group])
        return True

    def kept(self, group: str) -> Mapping[str, Key]:
        """The keys of a group :meth:`keep` carried over (their units, in build order)."""
        return self.keys.get(group, {})

    def stale(self) -> set[str]:
        """Units the previous build had and this one no longer produces."""
        gone: set[str] = set()
        for group, units in self.previous.items():
            now = self.keys.get(group)
            if now is None:
                gone.update(units)
            elif now.keys() != units.keys():
                gone.update(set(units) - set(now))
        return gone

    def chosen(
        self, briefs: Iterable[Brief], dirty: Collection[str], catalog: Catalog | None = None
    ) -> Iterable[Brief]:
        """``briefs`` to render: all of them in a full build, else those in ``dirty``.

        With ``catalog`` (whose ``unique`` is ``briefs``), the few dirty paths are looked
        up rather than every brief walked.
        """
        if self.full:
            return briefs
        if catalog is not None:
            return catalog.pick(dirty)
        return (b for b in briefs if b.path in dirty)


def pack(key: Key) -> Key:
    """A unit key as stored: each tuple inside it (a page's record paths) becomes 64 bits of
    BLAKE2b, so the state of a big hub does not hold every path once per list."""
    if type(key) is not tuple or not any(type(part) is tuple for part in key):
        return key
    return tuple(_digest(part) if type(part) is tuple else part for part in key)


def _digest(paths: tuple[object, ...]) -> int:
    try:
        joined = "\0".join(paths)  # type: ignore[arg-type]  # record paths: all str
    except TypeError:
        joined = "\0".join(map(str, paths))
    text = joined.encode("utf-8", "surrogateescape")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Changes:
    """What differs from the previous build (see :func:`plan_changes`)."""

    old: Mapping[str, Brief]  # the previous build's briefs
    records: Collection[str]  # record paths whose bytes changed (added, edited, removed)
    clusters_before: Mapping[str, str] = field(default_factory=dict)
    clusters: Mapping[str, str] = field(default_factory=dict)
    local_before: Mapping[str, str] = field(default_factory=dict)
    local: Mapping[str, str] = field(default_factory=dict)
    pins_before: Mapping[str, str] = field(default_factory=dict)
    pins: Mapping[str, str] = field(default_factory=dict)


def plan_changes(
    catalog: Catalog,
    changes: Changes,
    previous: Mapping[str, Mapping[str, Key]],
) -> tuple[Plan, set[str]]:
    """The plan of an incremental build, and the per-record files it must remove.

    Reads only the briefs of changed records, except for three scans of all briefs that
    run when needed: cluster members when a story changed, records showing a cached image
    that appeared or went, records whose related list names a changed record's URL.
    """
    drops: set[str] = set()
    dirty = set(changes.records)
    if changes.pins_before != changes.pins:  # a pinned or unpinned record moves in its lists
        before, now = changes.pins_before, changes.pins
        dirty |= {p for p in before.keys() | now.keys() if before.get(p) != now.get(p)}
    for day, slug in _page_keys(changes.records, changes.old, catalog.briefs):
        winner = catalog.winners.get((day, slug))
        if winner is None:  # nobody owns these paths any more
            drops.update((f"api/news/{day}/{slug}/index.json", f"{day}/{slug}/index.html"))
        else:  # the owner may be another record than before (a twin of the changed one)
            dirty.add(winner.path)
        # A twin that lost (or won) the paths leaves (or joins) the site's lists and links.
        dirty.update(b.path for b in catalog.twins.get((day, slug), ()))
    cards = dirty | _story_members(dirty, changes.clusters_before, changes.clusters)
    before, now = changes.local_before, changes.local
    if before != now:
        urls = {u for u in before.keys() | now.keys() if before.get(u) != now.get(u)}
        cards |= {b.path for b in catalog.unique if not urls.isdisjoint(b.cached)}
    articles = set(cards)
    pages = {b.web_url for b in _versions(dirty, changes.old, catalog.briefs) if b.web_url}
    if pages:
        articles |= catalog.citing(pages)
    plan = Plan(
        full=False,
        records=frozenset(dirty),
        cards=frozenset(cards),
        articles=frozenset(articles),
        previous=previous,
        touched=_touched(cards | dirty, changes.old, catalog.briefs),
    )
    return plan, drops


def _touched(paths: Iterable[str], old: Mapping[str, Brief], new: Mapping[str, Brief]) -> Touched:
    """The topics and providers whose lists show (or showed) one of ``paths``."""
    topics: set[str] = set()
    domains: set[str] = set()
    hub = False
    for brief in _versions(paths, old, new):
        hub = True
        topics.update(brief.topics)
        domains.add(brief.domain.strip().lower())
    return Touched(frozenset(topics), frozenset(domains), hub)


def _versions(
    paths: Iterable[str], old: Mapping[str, Brief], new: Mapping[str, Brief]
) -> Iterable[Brief]:
    """The previous and the current brief of each path, where there is one."""
    for path in paths:
        for brief in (old.get(path), new.get(path)):
            if brief is not None:
                yield brief


def _page_keys(
    paths: Iterable[str], old: Mapping[str, Brief], new: Mapping[str, Brief]
) -> set[tuple[str, str]]:
    return {(b.day, b.slug) for b in _versions(paths, old, new)}


def _story_members(dirty: set[str], before: Mapping[str, str], now: Mapping[str, str]) -> set[str]:
    """Records whose story changed: moved between clusters, or share one with a change."""
    moved = (
        set()
        if before == now
        else {p for p in before.keys() | now.keys() if before.get(p) != now.get(p)}
    )
    ids = {c for p in moved | dirty for c in (before.get(p), now.get(p)) if c is not None}
    if not ids:
        return moved
    return moved | {p for p, c in now.items() if c in ids}
