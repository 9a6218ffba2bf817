"""What the site templates show: cards, related coverage and structured data, from records.

Templates get plain values, decided here: which URLs may be linked (http(s) only, so a
``javascript:`` URL from a source is shown as text at most), which image is shown and how
big, which topics have pages, how many sources a story has. Nothing here is markup (the
sanitizers are in :mod:`.safety`, the JSON-LD in :mod:`.jsonld`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice

from everyday.models import Image, Provider
from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy, Topic

from .catalog import Brief, among, images_of, newest_first, patched
from .entries import Entry, item_date_slug, news_topics
from .safety import clean, safe_domain, safe_url

MEMBERS_SHOWN = 20
"""Other records of its story an article page links to: a story hundreds of outlets
covered (or a clustering gone wrong) must not make each of its pages list all the others
(a 4,000-record cluster made a 10,000-record build take 27 s instead of 2)."""


def page_dir(entry: Entry) -> str:
    """Site-relative folder of an article page: ``YYYY/MM/DD/<slug>/`` (the API item's path)."""
    day, slug = item_date_slug(entry)
    if day.year < 1000:  # strftime's %Y does not zero-pad those (on glibc)
        return f"{day:%Y/%m/%d}/{slug}/"
    return f"{day.year}/{day.month:02d}/{day.day:02d}/{slug}/"


@dataclass(frozen=True)
class Link:
    """A label and where it points (None: shown as plain text)."""

    text: str
    href: str | None = None


@dataclass(frozen=True)
class Img:
    """An image the page may load: a safe URL, its size when known, and alt text."""

    src: str
    alt: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Card:
    """One story as lists and article pages show it."""

    title: str
    excerpt: str
    href: str
    date: datetime
    provider: Link
    logo: Img | None
    image: Img | None
    topics: tuple[Link, ...]
    sources: int


@dataclass(frozen=True)
class RelatedView:
    """One item of "related coverage": internal links go to our article page."""

    title: str
    href: str | None
    provider: str
    date: datetime
    is_internal: bool


@dataclass
class Index:
    """Lookups the pages share: published records, their pages, topics, providers, clusters.

    ``listed`` holds :class:`~everyday.publish.catalog.Brief` summaries (one per page,
    newest first); a full record is loaded through ``loader`` only for the cards and
    articles a build renders.
    """

    site: SiteSettings
    taxonomy: Taxonomy
    listed: list[Brief]
    clusters: dict[str, str]
    base: str = ""
    sizes: dict[str, int] = field(default_factory=dict)
    topic_hrefs: dict[str, str] = field(default_factory=dict)
    by_web_url: dict[str, Brief] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    local_images: dict[str, str] = field(default_factory=dict)
    loader: Callable[[str], Entry] | None = None
    stories: dict[str, list[Brief]] = field(default_factory=dict)
    _providers: dict[str, list[Brief]] | None = field(default=None, repr=False)
    # Memos: a build makes thousands of cards from a few hundred outlets and topic sets.
    _outlets: dict[tuple[str, str, tuple[Image, ...]], tuple[Link, Img | None]] = field(
        default_factory=dict, repr=False
    )
    _topics: dict[tuple[str, ...], tuple[Link, ...]] = field(default_factory=dict, repr=False)
    _dirs: dict[str, str] = field(default_factory=dict, repr=False)
    _members: dict[str, list[Brief]] = field(default_factory=dict, repr=False)  # cid -> all
    _counts: Counter[str] | None = field(default=None, repr=False)  # topic -> records
    _given: Mapping[str, str] = field(default_factory=dict, repr=False)  # clusters as given
    _paths: set[str] = field(default_factory=set, repr=False)  # of listed

    @classmethod
    def of(
        cls,
        listed: list[Brief],
        taxonomy: Taxonomy,
        site: SiteSettings,
        clusters: Mapping[str, str],
        local_images: Mapping[str, str] | None = None,
        loader: Callable[[str], Entry] | None = None,
        before: Index | None = None,
        delta: tuple[list[Brief], list[Brief]] | None = None,
        briefs: Mapping[str, Brief] | None = None,
    ) -> Index:
        """Index ``listed`` (published, one per page path, newest first).

        ``local_images`` maps image URLs to the site path of the hub's cached copy, which
        pages then show instead of hot-linking the source. A warm build passes the previous
        build's index (``before``), how its list changed (``delta``) and every brief by
        path (``briefs``), and the lookups are patched rather than made by walking every
        record.
        """
        prefix = site.baseurl.strip("/")
        index = cls(site, taxonomy, listed, {}, f"/{prefix}" if prefix else "")
        index.local_images = dict(local_images or {})
        index.loader = loader
        index._given = clusters
        index.topic_hrefs = {t.name: index.href(f"topics/{t.id}/") for t in news_topics(taxonomy)}
        index.topic_hrefs[taxonomy.root] = index.href("")
        if before is not None and delta is not None and briefs is not None:
            moved = _moved(before._given, clusters)
            if moved is not None:
                index._patch(before, *delta, moved, briefs)
                return index
        paths = index._paths = {b.path for b in listed}
        mine = index.clusters = {p: str(c) for p, c in clusters.items() if p in paths}
        members = index._members
        for brief in listed:
            story = mine.get(brief.path)
            if story is not None:
                members.setdefault(story, []).append(brief)
        index.sizes = {cid: len(group) for cid, group in members.items()}
        index.stories = {cid: group for cid, group in members.items() if len(group) > 1}
        for brief in reversed(listed):  # newest wins
            if brief.web_url:
                index.by_web_url[brief.web_url] = brief
        return index

    def _patch(
        self,
        before: Index,
        gone: list[Brief],
        come: list[Brief],
        moved: set[str],
        briefs: Mapping[str, Brief],
    ) -> None:
        """Derive the lookups from ``before``'s, for ``listed`` = before's without ``gone``
        and with ``come`` (newest first, no pins: see :attr:`.catalog.Catalog.delta`), and
        ``moved``: paths whose story cluster changed."""
        given, old = self._given, before.clusters
        self._paths = paths = set(before._paths)
        paths.difference_update(b.path for b in gone)
        paths.update(b.path for b in come)
        self.clusters = mine = dict(old)
        for brief in gone:
            mine.pop(brief.path, None)
        for path in {b.path for b in come} | moved:
            cid = given.get(path) if path in paths else None
            if cid is None:
                mine.pop(path, None)
            else:
                mine[path] = str(cid)
        delta = {b.path for b in (*gone, *come)}
        still = [briefs[p] for p in moved - delta if p in paths]  # same brief, other story
        leave = [(b, old.get(b.path)) for b in (*gone, *still)]
        join = [(b, mine.get(b.path)) for b in (*come, *still)]
        self._members = members = dict(before._members)
        self.sizes, self.stories = dict(before.sizes), dict(before.stories)
        for cid in {c for _, c in (*leave, *join) if c is not None}:
            group = patched(
                members.get(cid, []),
                [b for b, c in leave if c == cid],
                [b for b, c in join if c == cid],
            )
            if group:
                members[cid], self.sizes[cid] = group, len(group)
            else:
                members.pop(cid, None)
                self.sizes.pop(cid, None)
            if len(group) > 1:
                self.stories[cid] = group
            else:
                self.stories.pop(cid, None)
        self.by_web_url = urls = dict(before.by_web_url)
        for url in {b.web_url for b in (*gone, *come) if b.web_url}:
            winner = urls.get(url)
            if winner is not None and among(winner, gone):  # the winner left: walk the list
                del urls[url]
                found = next((b for b in self.listed if b.web_url == url), None)
                if found is not None:
                    urls[url] = found
                continue
            for brief in come:
                if brief.web_url == url and (
                    winner is None or newest_first(brief) < newest_first(winner)
                ):
                    winner = urls[url] = brief
        if before._providers is not None:
            groups = dict(before._providers)
            for domain in {safe_domain(b.domain) for b in (*gone, *come)}:
                if domain is None:
                    continue
                group = patched(
                    groups.get(domain, []),
                    [b for b in gone if safe_domain(b.domain) == domain],
                    [b for b in come if safe_domain(b.domain) == domain],
                )
                if group:
                    groups[domain] = group
                else:
                    groups.pop(domain, None)
            # In the order a walk of the list meets them (the pages' and sitemaps' order).
            self._providers = dict(sorted(groups.items(), key=lambda g: newest_first(g[1][0])))
        if before._counts is not None:
            counts = before._counts.copy()
            counts.subtract(chain.from_iterable(set(b.topics) for b in gone))
            counts.update(chain.from_iterable(set(b.topics) for b in come))
            self._counts = +counts  # drop topics counted down to nothing

    def entry(self, item: Entry | Brief) -> Entry:
        """The full record of a listed item."""
        if isinstance(item, Entry):
            return item
        if self.loader is None:
            raise LookupError(f"{item.path}: no loader for full records")
        return self.loader(item.path)

    def card(self, item: Entry | Brief) -> Card:
        """The card of an entry, made once (lists, article page and search all need it)."""
        if item.path not in self.cards:
            self.cards[item.path] = card_of(self.entry(item), self)
        return self.cards[item.path]

    def href(self, path: str) -> str:
        """Root-relative link to a site-relative path, under the base path."""
        return f"{self.base}/{path}"

    def page_url(self, path: str) -> str:
        """Absolute public URL of a page (canonical, OpenGraph, sitemaps)."""
        shown = "" if path == "index.html" else path
        return f"{self.site.web_url.rstrip('/')}/{shown}"

    def article_path(self, item: Entry | Brief) -> str:
        """Site-relative folder of an item's page."""
        if isinstance(item, Brief):
            return item.page_dir
        found = self._dirs.get(item.path)
        if found is None:
            found = self._dirs[item.path] = page_dir(item)
        return found

    def sources(self, entry: Entry) -> int:
        """How many outlets cover the story: its cluster's size, else 1 + related count."""
        cid = self.clusters.get(entry.path)
        if cid is not None and self.sizes.get(cid, 0) > 1:
            return self.sizes[cid]
        return 1 + len(entry.record.related or ())

    def members(self, entry: Entry, limit: int = MEMBERS_SHOWN) -> tuple[list[Brief], int]:
        """The newest ``limit`` other published records of the entry's cluster, and how
        many others it has in all."""
        cid = self.clusters.get(entry.path)  # listed records only: the entry is in its group
        group = self.stories.get(cid, ()) if cid is not None else ()
        if not group:
            return [], 0
        shown = list(islice((b for b in group if b.path != entry.path), limit))
        return shown, len(group) - 1

    def outlet(self, provider: Provider) -> tuple[Link, Img | None]:
        """A record's outlet: its name linked to its page (if its domain is safe as a URL
        segment), and its logo; the organization's name and logo when known."""
        key = (provider.domain, provider.name, tuple(provider.images))
        found = self._outlets.get(key)
        if found is None:
            domain = safe_domain(provider.domain)
            link = Link(
                self.name_of(provider.domain, provider.name),
                self.href(f"providers/{domain}/") if domain else None,
            )
            logo = self.logo_of(provider.domain, provider.images)
            found = self._outlets[key] = (link, logo)
        return found

    def topic_links_of(self, names: Sequence[str]) -> tuple[Link, ...]:
        """A record's topics (once each, without the hub's root topic) and their pages."""
        key = names if type(names) is tuple else tuple(names)
        found = self._topics.get(key)
        if found is None:
            found = self._topics[key] = tuple(
                Link(clean(name), self.topic_hrefs.get(name))
                for name in dict.fromkeys(key)
                if name != self.taxonomy.root
            )
        return found

    def name_of(self, domain: str, name: str) -> str:
        """The organization's name for ``domain``, else ``name`` (else the domain)."""
        org = self.taxonomy.organization(domain)
        return clean(org.name if org is not None else name) or domain

    def logo_of(self, domain: str, images: Sequence[Image]) -> Img | None:
        """The organization's logo for ``domain``, else the first of ``images``
        (decorative: alt="")."""
        org = self.taxonomy.organization(domain)
        return self.image(org.images if org is not None and org.images else images, "")

    def image(self, images: Sequence[Image], alt: str) -> Img | None:
        """The first image whose URL may be loaded (http(s), or a path on this site)."""
        for image in images:
            src = self.image_src(image.url)
            if src:
                return Img(src, alt, _size(image.width), _size(image.height))
        return None

    def image_src(self, url: str) -> str | None:
        """The cached copy if any; http(s) URLs as they are; ``/assets/...`` paths under the
        base path (as Jekyll)."""
        if url in self.local_images:
            return self.href(self.local_images[url])
        if url.startswith("/") and not url.startswith("//") and safe_url("http://h" + url):
            return self.base + url
        return safe_url(url)

    def by_provider(self) -> dict[str, list[Brief]]:
        """Records by provider domain (safe domains only), newest first."""
        if self._providers is None:
            groups: dict[str, list[Brief]] = {}
            safe: dict[str, str | None] = {}
            for brief in self.listed:
                if brief.domain not in safe:
                    safe[brief.domain] = safe_domain(brief.domain)
                domain = safe[brief.domain]
                if domain:
                    groups.setdefault(domain, []).append(brief)
            self._providers = groups
        return self._providers

    def providers(self) -> list[tuple[Link, int, Img | None]]:
        """Each provider page: link, count of stories, logo; most published first."""
        rows = [
            (
                Link(self.name_of(g[0].domain, g[0].provider), self.href(f"providers/{d}/")),
                len(g),
                self.logo_of(g[0].domain, images_of(g[0].logos)),
            )
            for d, g in self.by_provider().items()
        ]
        rows.sort(key=lambda row: (-row[1], row[0].text.lower()))
        return rows

    def topic_links(self) -> list[tuple[Topic, str, int]]:
        """Each news topic with its page link and count of published records."""
        if self._counts is None:
            self._counts = Counter(chain.from_iterable(set(b.topics) for b in self.listed))
        counts = self._counts
        return [
            (t, self.topic_hrefs[t.name], counts.get(t.name, 0)) for t in news_topics(self.taxonomy)
        ]


MAX_MOVED = 1000  # records changing story past which an index is made afresh


def _moved(before: Mapping[str, str], now: Mapping[str, str]) -> set[str] | None:
    """Paths whose story cluster differs; None if too many to patch."""
    if before is now:
        return set()
    moved = {p for p, _ in before.items() ^ now.items()}
    return moved if len(moved) <= MAX_MOVED else None


def _size(value: int | None) -> int | None:
    return value if isinstance(value, int) and 0 < value < 100_000 else None


def card_of(entry: Entry, index: Index) -> Card:
    """The card of one record (title, excerpt, links, images, topics, number of sources)."""
    r = entry.record
    title = clean(r.title) or "Untitled"
    provider, logo = index.outlet(r.provider)
    return Card(
        title=title,
        excerpt=clean(r.excerpt),
        href=index.href(index.article_path(entry)),
        date=r.published,
        provider=provider,
        logo=logo,
        image=index.image(r.images, title),
        topics=index.topic_links_of(r.topics),
        sources=index.sources(entry),
    )


def related_of(entry: Entry, index: Index) -> tuple[list[RelatedView], int]:
    """Cluster members and the record's related list (our own page when we have the
    article), and how many members of the story are left out (see MEMBERS_SHOWN)."""
    views: list[RelatedView] = []
    seen = {entry.path}
    members, others = index.members(entry)
    for member in members:
        seen.add(member.path)
        views.append(_internal(member, index))
    for rel in entry.record.related or ():
        ours = index.by_web_url.get(rel.web_url)
        if ours is not None:
            if ours.path not in seen:
                seen.add(ours.path)
                views.append(_internal(ours, index))
            continue
        provider = rel.provider.name if rel.provider is not None else ""
        views.append(
            RelatedView(
                clean(rel.title), safe_url(rel.web_url), clean(provider), rel.published, False
            )
        )
    return views, others - len(members)


def _internal(brief: Brief, index: Index) -> RelatedView:
    href = index.href(brief.page_dir)
    title = clean(brief.title) or "Untitled"
    return RelatedView(
        title, href, index.name_of(brief.domain, brief.provider), brief.published, True
    )
