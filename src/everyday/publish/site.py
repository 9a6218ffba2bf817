"""The website: home, topic, provider and article pages, archives, search and 404, from Jinja2.

Layout (site-relative; every page is ``<dir>/index.html`` so URLs end in ``/``)::

    index.html, page/<N>/            latest stories (a story cluster is one story), top stories
    topics/, topics/<id>/[page/<N>/] topics, and each news topic's stories (feeds.py links here)
    providers/, providers/<domain>/[page/<N>/]   outlets and their stories
    YYYY/MM/DD/<slug>/               one article (the per-item API path, without ``api/news/``)
    newsletters/, search/ (+ search/index.json), 404.html, sitemap.xml, news-sitemap.xml
    static/site.css, static/search.js

Links are root-relative under ``site.baseurl`` (``/ai/topics/x/``), as Jekyll's
``relative_url`` makes them, so the folder works when served from a sub-path. Templates
autoescape everything: titles and excerpts come from other people's pages and are never
trusted as markup. Pages hold no build time, so an unchanged hub rebuilds identical bytes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy

from .api import NewsletterEntry
from .entries import Entry, by_topic, item_date_slug, news_topics, published
from .output import Output
from .search import build_search_index
from .sitemaps import NewsUrl, SitemapUrl, build_sitemaps
from .views import Index, article_json_ld, related_of, safe_url

log = logging.getLogger(__name__)

TOP_STORIES = 5
TOP_WINDOW = timedelta(days=2)  # "top stories" are the hottest of the newest two days
STATIC = ("site.css", "search.js", "favicon.svg")


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment: package templates, autoescape on for every template."""
    env = Environment(
        loader=PackageLoader("everyday.publish", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["day"] = format_day
    env.filters["iso"] = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    return env


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(value: datetime) -> str:
    """``7 Nov 2023``: the same text whatever the machine's locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


@dataclass(frozen=True)
class Story:
    """One story of a list: its lead record, the members of its cluster in the list."""

    lead: Entry
    members: tuple[Entry, ...]


def group_stories(listed: Sequence[Entry], cluster_of: Mapping[str, str]) -> list[Story]:
    """Fold records of one cluster into one story, placed where its newest member is.

    The lead is the hottest member (newest on ties); records without a cluster stand alone.
    """
    groups: dict[str, list[Entry]] = {}
    for entry in listed:
        groups.setdefault(cluster_of.get(entry.path, "\x00" + entry.path), []).append(entry)
    stories = []
    for members in groups.values():
        lead = max(members, key=lambda e: (e.record.heat or 0, -members.index(e)))
        stories.append(Story(lead, tuple(members)))
    return stories


def top_stories(stories: Sequence[Story], limit: int = TOP_STORIES) -> list[Story]:
    """The hottest stories published within :data:`TOP_WINDOW` of the newest one."""
    if not stories:
        return []
    newest = max(s.members[0].record.published for s in stories)
    recent = [s for s in stories if s.members[0].record.published >= newest - TOP_WINDOW]
    return sorted(recent, key=lambda s: -max(m.record.heat or 0 for m in s.members))[:limit]


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

    Raises:
        PublishError: a file could not be written.
    """
    index = Index.of(
        _unique_pages(published(entries)), taxonomy, site, clusters or {}, local_images
    )
    pages = _Pages(index, out, _write_static(out, site))
    stories = group_stories(index.listed, index.clusters)
    pages.write_list("", site.title, None, stories, top=top_stories(stories))
    for topic in news_topics(taxonomy):
        chosen = group_stories(by_topic(index.listed, topic), index.clusters)
        pages.write_list(f"topics/{topic.id}/", topic.name, topic.description, chosen, topic=topic)
    for domain, group in index.by_provider().items():
        name = index.provider_name(group[0])
        pages.write_list(f"providers/{domain}/", name, None, group_stories(group, index.clusters))
    for entry in index.listed:
        pages.write_article(entry)
    pages.write_indexes(newsletters)
    out.write("search/index.json", build_search_index(index))
    news = [
        NewsUrl(index.page_url(index.article_path(e)), e.record.title, e.record.published)
        for e in index.listed
    ]
    build_sitemaps(pages.sitemap, news, site, out, now=now)
    log.info("site built published=%d pages=%d", len(index.listed), len(pages.sitemap))


def _unique_pages(listed: list[Entry]) -> list[Entry]:
    """Drop a record whose article path another (newer) record already took."""
    seen: set[tuple[Any, str]] = set()
    kept = []
    for entry in listed:
        key = item_date_slug(entry)
        if key in seen:
            log.warning("article page path taken, skipped record=%s", entry.path)
            continue
        seen.add(key)
        kept.append(entry)
    return kept


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


def base_path(site: SiteSettings) -> str:
    """The root-relative prefix of every link: ``/ai`` for baseurl ``/ai``, else ``""``."""
    prefix = site.baseurl.strip("/")
    return f"/{prefix}" if prefix else ""


class _Pages:
    """Renders pages into the output and remembers them for the sitemap."""

    def __init__(self, index: Index, out: Output, assets: dict[str, str]) -> None:
        self.index = index
        self.out = out
        self.assets = assets
        self.sitemap: list[SitemapUrl] = []
        self._html: dict[tuple[str, bool], Markup] = {}

    def render(self, template: str, path: str, **context: Any) -> None:
        """Render ``template`` to ``<path>index.html`` (or ``path`` itself for a file)."""
        site = self.index.site
        page = {"path": path, "url": self.index.page_url(path), **context.pop("page", {})}
        html = (
            environment()
            .get_template(template)
            .render(site=site, base=base_path(site), assets=self.assets, page=page, **context)
        )
        target = path if path.endswith(".html") else f"{path}index.html"
        self.out.write(target, html)

    def card_html(self, story: Story, *, lead: bool = False) -> Markup:
        """A story's card as HTML, rendered once: a story appears on several lists."""
        key = (story.lead.path, lead)
        if key not in self._html:
            macro = environment().get_template("macros.html").module.card  # type: ignore[attr-defined]
            self._html[key] = macro(self.index.card(story.lead), level=3, lead=lead)
        return self._html[key]

    def write_list(
        self,
        prefix: str,
        title: str,
        description: str | None,
        stories: Sequence[Story],
        *,
        top: Sequence[Story] = (),
        topic: Any = None,
    ) -> None:
        """Write a paged list of stories: ``prefix`` then ``prefix/page/N/``."""
        size = max(1, self.index.site.page_size)
        chunks = [stories[i : i + size] for i in range(0, len(stories), size)] or [[]]
        base = base_path(self.index.site)
        for number, chunk in enumerate(chunks, start=1):
            path = prefix if number == 1 else f"{prefix}page/{number}/"
            pager = {
                "number": number,
                "count": len(chunks),
                "newer": None if number == 1 else _page_href(base, prefix, number - 1),
                "older": _page_href(base, prefix, number + 1) if number < len(chunks) else None,
            }
            shown = [self.card_html(s) for s in chunk]
            self.render(
                "list.html",
                path,
                page={
                    "title": title if number == 1 else f"{title} (page {number})",
                    "description": description,
                },
                heading=title,
                description=description,
                cards=shown,
                top=[self.card_html(s, lead=i == 0) for i, s in enumerate(top)]
                if number == 1
                else [],
                pager=pager,
                feeds=_feeds(base, prefix) if prefix == "" or topic is not None else None,
            )
            newest = max((s.members[0].record.published for s in chunk), default=None)
            self.sitemap.append(SitemapUrl(self.index.page_url(path), newest))

    def write_article(self, entry: Entry) -> None:
        """Write one article page with its related coverage and structured data."""
        card = self.index.card(entry)
        path = self.index.article_path(entry)
        url = self.index.page_url(path)
        self.render(
            "article.html",
            path,
            page={"title": card.title, "description": card.excerpt, "type": "article"},
            card=card,
            out_link=safe_url(entry.record.web_url) or safe_url(entry.record.original_url),
            related=related_of(entry, self.index),
            json_ld=Markup(article_json_ld(entry, card, url, self.index.site)),
        )
        self.sitemap.append(SitemapUrl(url, entry.record.published))

    def write_indexes(self, newsletters: Sequence[NewsletterEntry]) -> None:
        """Topic and provider directories, newsletter archive, search page and 404."""
        idx = self.index
        self.render("topics.html", "topics/", page={"title": "Topics"}, topics=idx.topic_links())
        self.render(
            "providers.html", "providers/", page={"title": "Sources"}, providers=idx.providers()
        )
        issues = sorted(newsletters, key=lambda i: (i.published, i.path), reverse=True)
        shown = [(i, safe_url(i.web_url)) for i in issues]
        self.render("newsletters.html", "newsletters/", page={"title": "Newsletters"}, issues=shown)
        self.render("search.html", "search/", page={"title": "Search"})
        self.render("404.html", "404.html", page={"title": "Page not found", "noindex": True})
        for path in ("topics/", "providers/", "newsletters/", "search/"):
            self.sitemap.append(SitemapUrl(idx.page_url(path), None))


def _page_href(base: str, prefix: str, number: int) -> str:
    return f"{base}/{prefix}" if number == 1 else f"{base}/{prefix}page/{number}/"


def _feeds(base: str, prefix: str) -> dict[str, str]:
    """The feeds feeds.py writes beside a list (hub and news topics)."""
    return {kind: f"{base}/{prefix}{name}" for kind, name in _FEED_FILES}


_FEED_FILES = (("rss", "feed.xml"), ("atom", "atom.xml"), ("json", "feed.json"))
