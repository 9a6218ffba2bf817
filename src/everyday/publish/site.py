"""The website: home, topic, provider and article pages, archives, search and 404, from Jinja2.

Layout (site-relative; every page is ``<dir>/index.html`` so URLs end in ``/``)::

    index.html, page/<N>/            latest stories (a story cluster is one story), top stories
    topics/, topics/<id>/[page/<N>/] topics, and each news topic's stories (feeds.py links here)
    providers/, providers/<domain>/[page/<N>/]   outlets and their stories
    YYYY/MM/DD/<slug>/               one article (the per-item API path, without ``api/news/``)
    newsletters/, search/ (+ its index, see :mod:`.search`), 404.html, sitemap.xml,
    news-sitemap.xml
    static/site.css, static/search.js

Links are root-relative under ``site.baseurl`` (``/ai/topics/x/``), as Jekyll's
``relative_url`` makes them, so the folder works when served from a sub-path. Templates
autoescape everything: titles and excerpts come from other people's pages and are never
trusted as markup. Pages hold no build time, so an unchanged hub rebuilds identical bytes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, NamedTuple

from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy

from .api import NewsletterEntry
from .catalog import Brief, Catalog, day_of, path_of, slug_of, stamp_of, stamp_of_brief
from .entries import Entry, news_topics
from .output import Output
from .pages import Pages, base_path, environment, format_day, template
from .parallel import Background
from .plan import Plan
from .search import write_search
from .sitemaps import NEWS_WINDOW, NewsUrl
from .urlsets import write_sitemaps
from .views import Index

__all__ = ["base_path", "build_site", "environment", "format_day", "group_stories", "write_site"]

log = logging.getLogger(__name__)

TOP_STORIES = 5
TOP_WINDOW = timedelta(days=2)  # "top stories" are the hottest of the newest two days
STATIC = ("site.css", "search.js", "favicon.svg")


class Story(NamedTuple):
    """One story of a list: its lead record, the members of its cluster in the list."""

    lead: Any  # Brief (or Entry, for callers grouping entries)
    members: tuple[Any, ...]


def _heat(item: Any) -> int:
    return (item.heat if isinstance(item, Brief) else item.record.heat) or 0


def group_stories(listed: Sequence[Any], cluster_of: Mapping[str, str]) -> list[Story]:
    """Fold records of one cluster into one story, placed where its newest member is.

    The lead is the hottest member (newest on ties); records without a cluster stand alone.
    ``listed`` holds briefs or entries, newest first.
    """
    briefs = all(type(item) is Brief for item in listed[:1])  # lists are all one kind
    if not cluster_of:
        return list(listed) if briefs else [_alone(item) for item in listed]
    order: list[Any] = []  # an item standing alone, or the member list of a cluster
    groups: dict[str, list[Any]] = {}
    paths = map(path_of, listed) if briefs else (item.path for item in listed)
    add = order.append
    for item, cid in zip(listed, map(cluster_of.get, paths), strict=True):
        if cid is None:
            add(item)
        elif cid in groups:
            groups[cid].append(item)
        else:
            groups[cid] = members = [item]
            add(members)
    if briefs:
        return [_story(x) if type(x) is list else x for x in order]
    return [_story(x) if type(x) is list else _alone(x) for x in order]


def _alone(item: Any) -> Any:
    """A record standing alone: a brief is its own story (see ``Brief.lead``)."""
    return item if type(item) is Brief else Story(item, (item,))


def _story(members: list[Any]) -> Any:
    if len(members) == 1:
        return _alone(members[0])
    best = max(range(len(members)), key=lambda i: (_heat(members[i]), -i))
    return Story(members[best], tuple(members))


def top_stories(
    stories: Sequence[Story], limit: int = TOP_STORIES, pinned: int | None = None
) -> list[Story]:
    """The hottest stories published within :data:`TOP_WINDOW` of the newest one.

    ``pinned``: how many stories at most lead out of date order (pins); past them the
    stories are newest first, so the walk stops at the window's start. None: walk all.
    """
    if not stories:
        return []
    lead = len(stories) if pinned is None else min(len(stories), pinned + 1)
    newest = max(s.members[0].stamp for s in stories[:lead])
    start = newest - TOP_WINDOW // timedelta(microseconds=1)
    recent = []
    for n, story in enumerate(stories):
        if story.members[0].stamp >= start:
            recent.append(story)
        elif n >= lead:
            break
    return sorted(recent, key=lambda s: -max(_heat(m) for m in s.members))[:limit]


def build_site(
    entries: Sequence[Entry],
    taxonomy: Taxonomy,
    site: SiteSettings,
    out: Output,
    *,
    newsletters: Sequence[NewsletterEntry] = (),
    clusters: Mapping[str, str] | None = None,
    now: datetime | None = None,
    local_images: Mapping[str, str] | None = None,
    paging: str = "seed",
) -> None:
    """Write every HTML page, the search index and the sitemaps of the hub to ``out``.

    Args:
        entries: all records of the hub; only ``published: true`` ones get pages.
        taxonomy: topics (topic pages, labels) and organizations (provider names, logos).
        site: title, base URL, sub-path, locale and page size.
        out: collects the files; unchanged files keep their bytes and mtime.
        newsletters: issues listed on the newsletter archive page.
        clusters: record path -> story cluster id; a cluster is shown once with "N sources".
        now: end of the news sitemap's two-day window (default: the newest record's time).
        local_images: image URL -> site path of the hub's cached copy.
        paging: ``seed`` (page 1 is the newest) or ``stable`` (see :mod:`.catalog`).

    Raises:
        PublishError: a file could not be written.
    """
    catalog = Catalog.of_entries(entries)
    options = SiteOptions(newsletters, clusters or {}, now, local_images or {}, paging)
    write_site(catalog, taxonomy, site, out, options)


@dataclass(frozen=True)
class SiteOptions:
    """What the site needs besides the records (see :func:`build_site`)."""

    newsletters: Sequence[NewsletterEntry] = ()
    clusters: Mapping[str, str] = field(default_factory=dict)
    now: datetime | None = None
    local_images: Mapping[str, str] = field(default_factory=dict)
    paging: str = "seed"
    memo: dict[str, Any] = field(default_factory=dict)  # kept by a warm build (see build.py)


def write_site(
    catalog: Catalog,
    taxonomy: Taxonomy,
    site: SiteSettings,
    out: Output,
    options: SiteOptions,
    plan: Plan | None = None,
) -> None:
    """:func:`build_site` from a catalog, rendering only what ``plan`` asks for."""
    job = start_site(catalog, taxonomy, site, out, options, plan)
    try:
        job.finish()
    finally:
        job.articles.abort()


def start_site(
    catalog: Catalog,
    taxonomy: Taxonomy,
    site: SiteSettings,
    out: Output,
    options: SiteOptions,
    plan: Plan | None = None,
    jobs: Sequence[Callable[[], None]] = (),
) -> SiteJob:
    """Start the site: a big batch of article pages goes to a background worker at once,
    so the caller can write the API meanwhile; then :meth:`SiteJob.finish`.

    ``jobs`` (e.g. the feeds) go after the article pages: the worker or, at ``finish``,
    this process runs them.
    """
    plan = plan or Plan()
    before = None if plan.full else options.memo.get("index")  # a warm build's: patched
    index = Index.of(
        catalog.unique,
        taxonomy,
        site,
        options.clusters,
        options.local_images,
        catalog.entry,
        before=before if isinstance(before, Index) else None,
        delta=catalog.delta,
        briefs=catalog.briefs,
    )
    static = _write_static(out, site)
    pages = Pages(index, out, static, plan, options.paging, frozenset(catalog.pins))
    articles = list(plan.chosen(index.listed, plan.articles, catalog))
    for name in ("article.html", "base.html"):  # compiled before the fork, not in the worker
        template(name)  # (where it would be compiled again by every build's new worker)
    job = Background(
        out, articles, lambda brief: pages.write_article(catalog.entry(brief.path)), jobs
    )
    return SiteJob(catalog, taxonomy, site, out, options, plan, index, pages, job)


@dataclass
class SiteJob:
    """A site being built: article pages under way, the rest written by :meth:`finish`."""

    catalog: Catalog
    taxonomy: Taxonomy
    site: SiteSettings
    out: Output
    options: SiteOptions
    plan: Plan
    index: Index
    pages: Pages
    articles: Background

    def finish(self) -> None:
        """:meth:`write`, then :meth:`join`."""
        self.write()
        self.join()

    def write(self) -> None:
        """Lists, indexes, search index and sitemaps (the worker renders on meanwhile)."""
        catalog, index, pages, plan, site, out = (
            self.catalog, self.index, self.pages, self.plan, self.site, self.out,
        )  # fmt: skip
        if not pages.keep_list("", hub=True):
            stories = group_stories(index.listed, index.clusters)
            top = top_stories(stories, pinned=len(catalog.pins))
            pages.write_list("", site.title, None, stories, top=top)
        for topic in news_topics(self.taxonomy):
            prefix = f"topics/{topic.id}/"
            if not pages.keep_list(prefix, topic=topic.name):
                chosen = group_stories(catalog.topic(topic.name, unique=True), index.clusters)
                pages.write_list(prefix, topic.name, topic.description, chosen, topic=topic)
        for domain, group in index.by_provider().items():
            prefix = f"providers/{domain}/"
            if not pages.keep_list(prefix, domain=domain):
                name = index.name_of(group[0].domain, group[0].provider)
                pages.write_list(prefix, name, None, group_stories(group, index.clusters))
        memo = self.options.memo
        articles_map = sitemap_articles(index, site, plan, memo)
        pages.write_indexes(self.options.newsletters)
        write_search(index, plan, out, pinned=bool(catalog.pins))
        now = self.options.now
        write_sitemaps((articles_map, pages.sitemap), recent(index, now), site, out, now, plan)
        count = len(pages.sitemap) + len(articles_map)
        log.info("site built published=%d pages=%d", len(index.listed), count)

    def join(self) -> None:
        """Render the article pages and jobs the worker has not taken; take in its files."""
        self.articles.join()
        index = self.index
        index.cards, index.loader = {}, None  # kept for the next warm build: lookups only
        self.options.memo["index"] = index


def sitemap_articles(
    index: Index, site: SiteSettings, plan: Plan, memo: dict[str, Any]
) -> list[tuple[str, int]]:
    """(URL, stamp) of every article page, oldest first: a new article is appended to the
    sitemap, not put before every other. A warm build reuses the previous build's URLs."""
    web = site.web_url.rstrip("/")
    listed = index.listed
    paths = list(map(path_of, listed))
    old = {} if plan.full else memo.get("locs") or {}
    if old:
        locs = _reused(old, plan.records, paths)
        for at in _holes(locs):
            brief = listed[at]
            locs[at] = f"{web}/{brief.day}/{brief.slug}/"
    else:
        pairs = zip(map(day_of, listed), map(slug_of, listed), strict=True)  # no property calls
        locs = [f"{web}/{day}/{slug}/" for day, slug in pairs]
    memo["locs"] = dict(zip(paths, locs, strict=True))
    stamps = list(map(stamp_of_brief, listed))
    return list(zip(reversed(locs), reversed(stamps), strict=True))


def recent(index: Index, now: datetime | None) -> list[NewsUrl]:
    """Articles that may be in the news sitemap: the two days up to ``now`` or the newest."""
    if not index.listed:
        return []
    end = stamp_of(now) if now is not None else index.listed[0].stamp
    start = end - NEWS_WINDOW // timedelta(microseconds=1)
    return [
        NewsUrl(index.page_url(b.page_dir), b.title, b.published)
        for b in index.listed
        if start <= b.stamp <= end
    ]


def _reused(old: Mapping[str, Any], dirty: AbstractSet[str], paths: list[str]) -> list[Any]:
    """``old``'s value for each of ``paths`` (None for a dirty or unknown one), at C speed:
    a warm build of a big hub walks 100,000 paths here."""
    if not old:
        return [None] * len(paths)
    if not dirty.isdisjoint(old.keys()):
        old = dict(old)  # a copy at C speed, then the few dirty keys out
        for key in dirty:
            old.pop(key, None)
    return list(map(old.get, paths))


def _holes(values: list[Any]) -> Iterator[int]:
    """The positions of None in ``values`` (found by list.index, not a Python loop)."""
    at = 0
    while True:
        try:
            at = values.index(None, at)
        except ValueError:
            return
        yield at
        at += 1


def _write_static(out: Output, site: SiteSettings) -> dict[str, str]:
    """Copy CSS and JS; return their hrefs with a content hash so caches never go stale."""
    hrefs = {}
    folder = resources.files("everyday.publish") / "static"
    for name in STATIC:
        data = (folder / name).read_bytes()
        out.write(f"static/{name}", data)
        digest = hashlib.sha256(data).hexdigest()[:10]
        hrefs[name.split(".")[0]] = f"{base_path(site)}/static/{name}?v={digest}"
    return hrefs
