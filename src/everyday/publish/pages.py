"""Rendering the site's HTML pages: paged story lists, articles and the small index pages.

Each list page is a *unit* of the build plan (:mod:`.plan`): its key holds what the page
shows besides the cards (title, number, neighbours, the leads of its stories), and a page
whose key did not change and whose cards did not change is not rendered again.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from .api import NewsletterEntry
from .catalog import Brief, paginate
from .entries import Entry
from .output import TEXT_KINDS, Output, TextCache
from .plan import Plan
from .urlsets import Page
from .views import Index, article_json_ld, related_of, safe_url

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FEED_FILES = (("rss", "feed.xml"), ("atom", "atom.xml"), ("json", "feed.json"))


def format_day(value: Any) -> str:
    """``7 Nov 2023``: the same text whatever the machine's locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment: package templates, autoescape on for every template."""
    env = Environment(
        loader=PackageLoader("everyday.publish", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["day"] = format_day
    env.filters["iso"] = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")
    return env


@functools.cache
def template(name: str) -> Template:
    """A compiled template (looked up once per process, not once per page)."""
    return environment().get_template(name)


def base_path(site: Any) -> str:
    """The root-relative prefix of every link: ``/ai`` for baseurl ``/ai``, else ``""``."""
    prefix = site.baseurl.strip("/")
    return f"/{prefix}" if prefix else ""


class Pages:
    """Renders pages into the output and remembers them for the sitemap."""

    def __init__(
        self, index: Index, out: Output, assets: dict[str, str], plan: Plan, paging: str
    ) -> None:
        self.index = index
        self.out = out
        self.assets = assets
        self.plan = plan
        self.paging = paging
        self.base = base_path(index.site)
        self.sitemap: list[Page] = []
        self._html: dict[tuple[str, bool], Markup] = {}
        keep = paging == "seed"  # where one article re-renders every list page
        self._kept = {
            lead: TextCache(out, TEXT_KINDS[2 if lead else 1], reuse=not plan.full, keep=keep)
            for lead in (False, True)
        }

    def render(self, name: str, path: str, **context: Any) -> None:
        """Render template ``name`` to ``<path>index.html`` (or ``path`` itself for a file)."""
        site = self.index.site
        page = {"path": path, "url": self.index.page_url(path), **context.pop("page", {})}
        html = template(name).render(
            site=site, base=self.base, assets=self.assets, page=page, **context
        )
        self.out.write(path if path.endswith(".html") else f"{path}index.html", html)

    def card_html(self, story: Any, *, lead: bool = False) -> Markup:
        """A story's card as HTML, rendered once: a story appears on several lists."""
        brief = story.lead
        key = (brief.path, lead)
        if key not in self._html:
            cache = self._kept[lead]
            fresh = brief.path in self.plan.cards or not isinstance(brief, Brief)
            kept = None if fresh else cache.get(brief.path, brief.version)
            if kept is not None:
                self._html[key] = Markup(kept)  # our own rendering, kept by the last build
            else:
                macro = template("macros.html").module.card  # type: ignore[attr-defined]
                self._html[key] = html = macro(self.index.card(brief), level=3, lead=lead)
                if isinstance(brief, Brief):
                    cache.put(brief.path, brief.version, str(html))
        return self._html[key]

    def write_list(
        self,
        prefix: str,
        title: str,
        description: str | None,
        stories: Sequence[Any],
        *,
        top: Sequence[Any] = (),
        topic: Any = None,
    ) -> None:
        """Write a paged list of stories: ``prefix`` (the index) and ``prefix/page/N/``."""
        pages, index = paginate(len(stories), self.index.site.page_size, self.paging)
        stable = self.paging == "stable"
        total = len(pages)
        shown = [(prefix, index, True)] if stable else []
        shown += [
            (prefix if n == 1 and not stable else f"{prefix}page/{n}/", p, n == 1 and not stable)
            for n, p in enumerate(pages, start=1)
        ]
        feeds = _feeds(self.base, prefix) if prefix == "" or topic is not None else None
        for path, page, front in shown:
            chunk = stories[page.start : page.stop]
            pager = {
                "number": page.number,
                "count": None if stable else total,
                "newer": self._href(prefix, page.newer, total),
                "older": self._href(prefix, page.older, total),
                "front": front,
            }
            leads = tuple(s.lead.path for s in chunk)
            best = top if front else ()
            tops = tuple(s.lead.path for s in best)
            newest = chunk[0].members[0].stamp if chunk else None
            key = (
                title,
                description,
                page.number,
                page.older,
                page.newer,
                pager["count"],  # None in stable paging, whose pages never show the total
                front,
                leads,
                tops,
                newest,  # follows from leads, but a kept list's sitemap entries need it
            )
            self.sitemap.append((self.index.page_url(path), newest))
            unit = f"{path}index.html"
            if not self.plan.wants(unit, key, leads + tops, self.plan.cards, f"site:{prefix}"):
                continue
            self.render(
                "list.html",
                path,
                page={
                    "title": title if front else f"{title} (page {page.number})",
                    "description": description,
                },
                heading=title,
                description=description,
                cards=[self.card_html(s) for s in chunk],
                top=[self.card_html(s, lead=i == 0) for i, s in enumerate(best)],
                pager=pager,
                feeds=feeds,
            )

    def keep_list(
        self, prefix: str, *, hub: bool = False, topic: str = "", domain: str = ""
    ) -> bool:
        """True if the list at ``prefix`` holds no changed record: its pages stay as they
        are (see :meth:`.plan.Plan.keep`), and its sitemap entries come from their keys."""
        group = f"site:{prefix}"
        if not self.plan.keep(group, hub=hub, topic=topic, domain=domain):
            return False
        for unit, key in self.plan.kept(group).items():
            newest = key[-1] if isinstance(key, tuple) else None
            self.sitemap.append((self.index.page_url(unit[: -len("index.html")]), newest))
        return True

    def _href(self, prefix: str, number: int | None, total: int) -> str | None:
        if number is None:
            return None
        if self.paging != "stable" and number == 1:
            return f"{self.base}/{prefix}"
        return f"{self.base}/{prefix}page/{number}/"

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
            self.sitemap.append((idx.page_url(path), None))


def _feeds(base: str, prefix: str) -> dict[str, str]:
    """The feeds feeds.py writes beside a list (hub and news topics)."""
    return {kind: f"{base}/{prefix}{name}" for kind, name in _FEED_FILES}
