"""Rendering the site's HTML pages: paged story lists, articles and the small index pages.

Each list page is a *unit* of the build plan (:mod:`.plan`): its key holds what the page
shows besides the cards (title, number, neighbours, the leads of its stories), and a page
whose key did not change and whose cards did not change is not rendered again.

A from-scratch build renders ~10,000 pages, and Jinja's cost is per value written, so
what many pages share is rendered once and handed to the templates as markup: the page
chrome once per section (chrome.html), an outlet's logo and link once per outlet, topic
chips once per set of topics, a card once per story (macros.html). Autoescaping stays on
everywhere: these parts come from the same templates, only fewer times.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, MutableMapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from types import CodeType
from typing import Any, NamedTuple

import markupsafe
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    Template,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from .api import NewsletterEntry
from .catalog import Brief, paginate
from .entries import Entry
from .jsonld import article_json_ld
from .output import TEXT_KINDS, Output, TextCache
from .plan import Plan
from .safety import safe_url
from .urlsets import Page
from .views import Card, Img, Index, Link, related_of

log = logging.getLogger(__name__)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_day(value: Any) -> str:
    """``7 Nov 2023``: the same text whatever the machine's locale."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def format_iso(value: Any) -> str:
    """``2023-11-07T00:27:00Z``: the time as given (no zone conversion), seconds only."""
    if type(value) is datetime and value.year >= 1000:  # isoformat: twice as fast as strftime
        return value.isoformat()[:19] + "Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # glibc's %Y does not zero-pad 999


def format_clock(value: Any) -> str:
    """``06:07``: hours and minutes."""
    if type(value) is datetime:
        return f"{value.hour:02d}:{value.minute:02d}"
    return value.strftime("%H:%M")


def _plain_escape() -> Callable[[str], str]:
    """MarkupSafe's escaping of a plain string, without the Markup wrapper."""
    inner = getattr(markupsafe, "_escape_inner", None)  # its C speedup, where present
    return inner if callable(inner) else lambda text: str(markupsafe.escape(text))


_escape_text = _plain_escape()


def output_escape(value: Any) -> str:
    """What ``{{ value }}`` writes: the same text as MarkupSafe's ``escape``, as a str.

    Jinja only joins these values into the page (or into a macro's Markup), so wrapping
    each in a Markup, as ``escape`` does, is work no one uses: about 50 values a page,
    a sixth of an article page's rendering time.
    """
    if type(value) is str:
        return _escape_text(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape_text(str(value))


class SiteTemplate(Template):
    """A Jinja2 template whose output expressions escape with :func:`output_escape`."""

    @classmethod
    def from_code(
        cls,
        environment: Environment,
        code: CodeType,
        globals: MutableMapping[str, Any],
        uptodate: Callable[[], bool] | None = None,
    ) -> Template:
        template = super().from_code(environment, code, globals, uptodate)
        namespace = template.root_render_func.__globals__  # shared by its blocks and macros
        if namespace.get("escape") is markupsafe.escape:  # compiled output calls this name
            namespace["escape"] = output_escape
        return template


class _TemplateCache(FileSystemBytecodeCache):
    """Jinja's file cache, where a failed write (a full or read-only disk) only means the
    template is compiled again next time: it must never fail a build."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as e:
            log.debug("template bytecode not kept key=%s error=%s", bucket.key, e)


def _bytecode_cache() -> BytecodeCache | None:
    """Compiled templates kept between processes, in Jinja's private folder for this user
    (``$TMPDIR/_jinja2-cache-<uid>``, mode 0700, refused if anyone else owns it); each
    entry holds its template's source checksum and the Python version, so a changed
    template or interpreter compiles afresh. Compiling the site's templates took ~35 ms
    of every build. None (compile each time) where no such folder can be made."""
    try:
        return _TemplateCache()
    except (RuntimeError, OSError) as e:
        log.debug("no template bytecode cache error=%s", e)
        return None


@functools.cache
def environment() -> Environment:
    """The Jinja2 environment: package templates, autoescape on for every template."""
    env = Environment(
        loader=PackageLoader("everyday.publish", "templates"),
        bytecode_cache=_bytecode_cache(),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=-1,  # a dict: "extends" looks its parent up on every page, an LRU is slower
    )
    env.template_class = SiteTemplate
    env.filters["day"] = format_day
    env.filters["iso"] = format_iso
    env.filters["clock"] = format_clock
    # The templates use none of Jinja's globals (range, cycler, ...): every render copies
    # them into its context through a ChainMap, ~4 us a page, as much as ten escapes.
    env.globals.clear()
    return env


@functools.cache
def template(name: str) -> Template:
    """A compiled template (looked up once per process, not once per page)."""
    return environment().get_template(name)


class Chrome(NamedTuple):
    """The parts of base.html that only depend on the site and the section (chrome.html)."""

    links: Markup
    masthead: Markup
    footer: Markup


def make_chrome(site: Any, base: str, assets: Any, section: str) -> Chrome:
    """Render the chrome of ``section`` (a path's first segment: the current nav item), as
    base.html does when it is rendered without it."""
    parts: Any = template("chrome.html").module
    return Chrome(
        parts.links(site, base, assets),
        parts.masthead(site, base, section),
        parts.footer(site, base),
    )


class PageInfo(NamedTuple):
    """What base.html says about a page besides its content: title, links, robots."""

    path: str
    url: str
    title: str
    description: str | None = None
    type: str | None = None  # og:type; None: "website"
    noindex: bool = False


class Pager(NamedTuple):
    """Where a list page is in its list (tuples, not dicts: templates read them faster)."""

    number: int
    total: int | None  # pages in the list; None: not shown (stable paging)
    newer: str | None  # links to the neighbours
    older: str | None
    front: bool  # the list's index page


class Feeds(NamedTuple):
    """Links to the feeds of a list."""

    rss: str
    atom: str
    json: str


def base_path(site: Any) -> str:
    """The root-relative prefix of every link: ``/ai`` for baseurl ``/ai``, else ``""``."""
    prefix = site.baseurl.strip("/")
    return f"/{prefix}" if prefix else ""


class Pages:
    """Renders pages into the output and remembers them for the sitemap."""

    def __init__(
        self,
        index: Index,
        out: Output,
        assets: dict[str, str],
        plan: Plan,
        paging: str,
        pinned: AbstractSet[str] = frozenset(),
    ) -> None:
        self.index = index
        self.pinned = pinned  # record paths whose cards say so (they lead the lists)
        self.out = out
        self.assets = assets
        self.plan = plan
        self.paging = paging
        self.base = base_path(index.site)
        self.sitemap: list[Page] = []
        self._html: dict[tuple[str, bool], Markup] = {}
        self._macros: Any = template("macros.html").module
        # Rendered once per build rather than once per page or card (see chrome.html).
        self._chrome: dict[str, Chrome] = {}
        self._outlets: dict[tuple[Img | None, Link], Markup] = {}
        self._chips: dict[tuple[Link, ...], Markup] = {}
        keep = paging == "seed"  # where one article re-renders every list page
        self._kept = {
            lead: TextCache(out, TEXT_KINDS[2 if lead else 1], reuse=not plan.full, keep=keep)
            for lead in (False, True)
        }

    def render(self, name: str, path: str, page: dict[str, Any], **context: Any) -> None:
        """Render template ``name`` to ``<path>index.html`` (or ``path`` itself for a file).

        ``page`` holds the :class:`PageInfo` fields besides the path and URL.
        """
        html = template(name).render(
            site=self.index.site,
            base=self.base,
            assets=self.assets,
            page=PageInfo(path, self.index.page_url(path), **page),
            chrome=self.chrome(path),
            **context,
        )
        self.out.write(path if path.endswith(".html") else f"{path}index.html", html)

    def chrome(self, path: str) -> Chrome:
        """The chrome of the page at ``path``, rendered once per section."""
        section = path.split("/", 1)[0]
        chrome = self._chrome.get(section)
        if chrome is None:
            site = self.index.site
            chrome = self._chrome[section] = make_chrome(site, self.base, self.assets, section)
        return chrome

    def outlet(self, card: Card) -> Markup:
        """The logo and link of a card's outlet, rendered once per outlet."""
        key = (card.logo, card.provider)
        html = self._outlets.get(key)
        if html is None:
            html = self._outlets[key] = self._macros.outlet(card)
        return html

    def chips(self, topics: tuple[Link, ...]) -> Markup:
        """The topic chips of a card, rendered once per set of topics."""
        html = self._chips.get(topics)
        if html is None:
            html = self._chips[topics] = self._macros.chips(topics)
        return html

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
                card = self.index.card(brief)
                byline = self._macros.byline(card, self.outlet(card))
                chips = self.chips(card.topics)
                pinned = brief.path in self.pinned  # a pin change makes the card fresh
                self._html[key] = html = self._macros.card(
                    card, byline, chips, level=3, lead=lead, pinned=pinned
                )
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
            pager = Pager(
                page.number,
                None if stable else total,
                self._href(prefix, page.newer, total),
                self._href(prefix, page.older, total),
                front,
            )
            leads = tuple([s.lead.path if type(s) is not Brief else s[0] for s in chunk])
            best = top if front else ()
            tops = tuple(s.lead.path for s in best)
            newest = chunk[0].members[0].stamp if chunk else None
            key = (
                title,
                description,
                page.number,
                page.older,
                page.newer,
                pager.total,  # None in stable paging, whose pages never show it
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
                pager_nav=self._macros.pager(pager),
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
        related, more = related_of(entry, self.index)
        self.render(
            "article.html",
            path,
            page={"title": card.title, "description": card.excerpt, "type": "article"},
            card=card,
            byline=self._macros.byline(card, self.outlet(card), long=True),
            topic_chips=self.chips(card.topics),
            out_link=safe_url(entry.record.web_url) or safe_url(entry.record.original_url),
            related=related,
            more_sources=more,
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


def _feeds(base: str, prefix: str) -> Feeds:
    """The feeds feeds.py writes beside a list (hub and news topics)."""
    at = f"{base}/{prefix}"
    return Feeds(rss=f"{at}feed.xml", atom=f"{at}atom.xml", json=f"{at}feed.json")
