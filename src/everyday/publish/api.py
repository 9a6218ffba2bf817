"""The static JSON API of a hub: news pages, topic pages, per-item JSON and small indexes.

Layout (SCHEMA.md §ii, the seed's URLs)::

    api/news/index.json                   = page 1, same bytes as api/news/page/1/index.json
    api/news/page/<N>/index.json          published records, newest first, site.page_size each
    api/news/<topic _id>/[page/<N>/]index.json   the same list filtered by topic name
    api/news/YYYY/MM/DD/<slug>/index.json the full record (quality, published, related)
    api/topics/, api/providers/, api/newsletters/ [page/<N>/]index.json

Every list uses the seed's envelope ``{"page", "value", "nextPage"}``; an empty list is one
page with ``"value": []`` so clients never meet a 404 on page 1. The seed's legacy
``api/news/page<N>/`` files (an older generator) are not produced.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path

import yaml

from everyday.errors import ConfigError, RecordError
from everyday.models import Image
from everyday.records.frontmatter import format_datetime, split_front_matter
from everyday.records.layout import LOADER
from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy, Topic

from .catalog import Brief, Catalog, brief_of, images_of, paginate, path_of
from .entries import Entry, absolute, news_topics
from .jsonapi import (
    VALUE_INDENT,
    Item,
    dumps,
    full_item_text,
    images_json,
    item_text,
    item_texts,
    page_text,
)
from .output import TEXT_KINDS, Output, TextCache
from .parallel import render_all
from .plan import Plan

log = logging.getLogger(__name__)

NEWSLETTERS_DIR = "_newsletters"


@dataclass(frozen=True)
class NewsletterEntry:
    """The front matter of one ``_newsletters/<slug>-YYYY-MM-DD.html`` issue."""

    path: str
    title: str
    excerpt: str
    published: datetime
    web_url: str
    topics: tuple[str, ...] = ()


def build_api(
    entries: Sequence[Entry],
    taxonomy: Taxonomy,
    site: SiteSettings,
    out: Output,
    newsletters: Sequence[NewsletterEntry] = (),
    *,
    paging: str = "seed",
) -> None:
    """Write every JSON API file of the hub to ``out``.

    Args:
        entries: all records of the hub; only ``published: true`` ones are listed.
        taxonomy: topics (for topic pages and ``api/topics``) and organizations (logos).
        site: page size, locale and the URLs items link to.
        out: collects the files; unchanged files are not rewritten.
        newsletters: newsletter issues for ``api/newsletters`` (see :func:`read_newsletters`).
        paging: ``seed`` (page 1 is the newest) or ``stable`` (see :mod:`.catalog`).

    Raises:
        ConfigError: ``site.page_size`` is not positive.
        PublishError: a file could not be written.
    """
    write_api(Catalog.of_entries(entries), taxonomy, site, out, newsletters, paging=paging)


def write_api(
    catalog: Catalog,
    taxonomy: Taxonomy,
    site: SiteSettings,
    out: Output,
    newsletters: Sequence[NewsletterEntry] = (),
    *,
    paging: str = "seed",
    plan: Plan | None = None,
) -> None:
    """:func:`build_api` from a catalog, rendering only what ``plan`` asks for."""
    if site.page_size < 1:
        raise ConfigError(f"[site] page_size must be at least 1, got {site.page_size}")
    plan = plan or Plan()
    cache = TextCache(out, TEXT_KINDS[0], reuse=not plan.full, keep=paging == "seed")
    items = _Items(catalog, site, cache, plan.records)
    base = absolute(site, "")

    def write_item(brief: Brief) -> None:
        path = brief.item_path
        out.write(path, items.full_text(brief, base + path))

    # Per-item JSON first (on every CPU for a big build): the pages then paste its texts.
    render_all(out, list(plan.chosen(catalog.unique, plan.records)), write_item, items.texts)
    lists = ApiLists(out, plan, site.page_size, paging)
    if not plan.keep("api:api/news", hub=True):
        lists.write("api/news", catalog.listed, items.text)
    for topic in news_topics(taxonomy):
        prefix = f"api/news/{topic.id}"
        if not plan.keep(f"api:{prefix}", topic=topic.name):
            lists.write(prefix, catalog.topic(topic.name), items.text)
    for name, rows in (
        ("topics", _topics_rows(lambda name: len(catalog.topic(name)), taxonomy, site)),
        ("providers", _provider_rows(catalog.by_domain(), taxonomy, site)),
        ("newsletters", newsletters_index(newsletters)),
    ):
        total = write_pages(
            out, f"api/{name}", [dumps(r, VALUE_INDENT) for r in rows], site.page_size
        )
        for number in range(1, total + 1):  # known pages, so that fewer pages drop the rest
            plan.keys.setdefault("", {})[f"api/{name}/page/{number}/index.json"] = ()
    items.keep()
    log.info("api built published=%d topics=%d", len(catalog.listed), len(news_topics(taxonomy)))


class _Items:
    """Each listed record encoded once at :data:`VALUE_INDENT` (pasted into every page);
    an unchanged record's text comes from the previous build (:class:`.output.TextCache`)."""

    def __init__(
        self, catalog: Catalog, site: SiteSettings, cache: TextCache, dirty: AbstractSet[str]
    ):
        self.catalog = catalog
        self.site = site
        self.cache = cache
        self.dirty = dirty
        self.texts: dict[str, str] = {}
        self.reused: set[str] = set()

    def text(self, brief: Brief) -> str:
        """The record's text in a page."""
        text = self.texts.get(brief.path)
        if text is None:
            text = self._kept(brief)
            if text is None:
                text = item_text(self.catalog.entry(brief.path), self.site)
            self.texts[brief.path] = text
        return text

    def full_text(self, brief: Brief, self_url: str) -> str:
        """The record's per-item file; its page text is made along with it (one encoding)."""
        entry = self.catalog.entry(brief.path)
        text = self.texts.get(brief.path)
        if text is None:
            text = self._kept(brief)
        if text is None:
            text, full = item_texts(entry, self.site, self_url)
        else:
            full = full_item_text(text, entry, self_url)
        self.texts[brief.path] = text
        return full

    def _kept(self, brief: Brief) -> str | None:
        kept = None if brief.path in self.dirty else self.cache.get(brief.path, brief.version)
        if kept is not None:
            self.reused.add(brief.path)
        return kept

    def keep(self) -> None:
        """Hand the texts made this build to the cache (workers' ones came back as memo)."""
        briefs = self.catalog.briefs
        for path, text in self.texts.items():
            if path not in self.reused and path in briefs:
                self.cache.put(path, briefs[path].version, text)


class ApiLists:
    """Writes paged lists (``prefix/page/N/index.json`` and ``prefix/index.json``)."""

    def __init__(self, out: Output, plan: Plan, size: int, paging: str) -> None:
        self.out = out
        self.plan = plan
        self.size = size
        self.paging = paging

    def write(self, prefix: str, members: Sequence[Brief], text: Callable[[Brief], str]) -> None:
        """Write the pages of one list whose key changed or that show a changed record."""
        pages, index = paginate(len(members), self.size, self.paging)
        dirty = self.plan.records
        units = [(f"{prefix}/page/{p.number}/index.json", p) for p in pages]
        for unit, page in [*units, (f"{prefix}/index.json", index)]:
            chunk = members[page.start : page.stop]
            paths = tuple(map(path_of, chunk))
            key = (page.number, page.older, paths)
            if self.plan.wants(unit, key, paths, dirty, f"api:{prefix}"):
                body = envelope_text(page.number, [text(b) for b in chunk], page.older)
                self.out.write(unit, body)


def envelope_text(number: int, values: Sequence[str], older: int | None) -> str:
    """:func:`page_text` with any ``nextPage`` (stable paging counts down, not up)."""
    if older is None or older == number + 1:
        return page_text(number, values, older is not None)
    text = page_text(number, values, False)
    return text[: -len("null\n}")] + f"{older}\n}}"


def write_pages(out: Output, prefix: str, values: Sequence[str], size: int) -> int:
    """Write ``prefix/page/N/index.json`` and ``prefix/index.json`` (= page 1); return N.

    ``values`` are items already encoded at :data:`VALUE_INDENT`.
    """
    chunks = [values[i : i + size] for i in range(0, len(values), size)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        text = page_text(number, chunk, number < len(chunks))
        out.write(f"{prefix}/page/{number}/index.json", text)
        if number == 1:
            out.write(f"{prefix}/index.json", text)
    return len(chunks)


def topics_index(listed: Sequence[Entry], taxonomy: Taxonomy, site: SiteSettings) -> list[Item]:
    """Every topic in taxonomy order, with its published count and news API URL (or null)."""
    counts = Counter(chain.from_iterable(set(e.record.topics) for e in listed))
    return _topics_rows(counts.get, taxonomy, site)


def _topics_rows(
    count: Callable[[str], int | None], taxonomy: Taxonomy, site: SiteSettings
) -> list[Item]:
    with_pages = {t.name for t in news_topics(taxonomy)}
    return [_topic_json(t, taxonomy, site, with_pages, count(t.name) or 0) for t in taxonomy.topics]


def _topic_json(
    topic: Topic, taxonomy: Taxonomy, site: SiteSettings, with_pages: set[str], count: int
) -> Item:
    if topic.name == taxonomy.root:
        news: str | None = absolute(site, "api/news/")
    else:
        news = absolute(site, f"api/news/{topic.id}/") if topic.name in with_pages else None
    return {
        "id": topic.id,
        "name": topic.name,
        "shortname": topic.shortname,
        "parent": topic.parent,
        "description": topic.description,
        "keywords": list(topic.keywords),
        "hashtags": list(topic.hashtags),
        "images": list(topic.images),
        "newsUrl": news,
        "count": count,
    }


def providers_index(listed: Sequence[Entry], taxonomy: Taxonomy, site: SiteSettings) -> list[Item]:
    """Outlets of published records, most published first, then by domain."""
    domains: dict[str, list[Brief]] = {}
    for brief in (brief_of(e) for e in listed):  # newest first: a domain's first is its newest
        domains.setdefault(brief.domain.lower(), []).append(brief)
    return _provider_rows(domains, taxonomy, site)


def _provider_rows(
    domains: Mapping[str, Sequence[Brief]], taxonomy: Taxonomy, site: SiteSettings
) -> list[Item]:
    """A row per domain: its count, and its name and logo from its newest (first) brief."""
    rows = [_provider_json(d, g[0], len(g), taxonomy, site) for d, g in domains.items()]
    rows.sort(key=lambda row: (-row["count"], row["domain"]))
    return rows


def _provider_json(
    domain: str, newest: Brief, count: int, taxonomy: Taxonomy, site: SiteSettings
) -> Item:
    org = taxonomy.organization(domain)
    if org is not None and org.images:
        images = images_json(
            [i if "://" in i.url else _absolute_image(i, site) for i in org.images],
            default_cached=False,
        )
    else:
        images = images_json(images_of(newest.logos), default_cached=False)
    return {
        "name": org.name if org is not None else newest.provider,
        "domain": domain,
        "images": images,
        "count": count,
        "latestPublishedDateTime": newest.published_text,
    }


def _absolute_image(image: Image, site: SiteSettings) -> Image:
    return replace(image, url=absolute(site, image.url))


def newsletters_index(issues: Sequence[NewsletterEntry]) -> list[Item]:
    """Newsletter issues newest first (the seed only had Jekyll stubs here)."""
    ordered = sorted(issues, key=lambda i: (i.published, i.path), reverse=True)
    return [
        {
            "path": i.path,
            "title": i.title,
            "excerpt": i.excerpt,
            "webUrl": i.web_url,
            "publishedDateTime": format_datetime(i.published),
            "topics": list(i.topics),
        }
        for i in ordered
    ]


_ISSUE_NAME = re.compile(r"^[^.][^/]*\.html$")


def read_newsletters(hub_dir: Path) -> list[NewsletterEntry]:
    """Read the front matter of ``_newsletters/*.html``; a broken issue is logged and skipped."""
    folder = Path(hub_dir) / NEWSLETTERS_DIR
    if not folder.is_dir():
        return []
    issues = []
    for path in sorted(folder.iterdir()):
        if not _ISSUE_NAME.match(path.name) or not path.is_file():
            continue
        try:
            issues.append(parse_newsletter(path.read_text(encoding="utf-8"), path.name))
        except (OSError, UnicodeDecodeError, RecordError) as e:
            log.warning("newsletter skipped path=%s error=%s", path, e)
    return issues


def parse_newsletter(text: str, name: str) -> NewsletterEntry:
    """Parse one issue's front matter (title, excerpt, publishedDateTime, webUrl, topics).

    Raises:
        RecordError: no front matter, not YAML, or a required key missing.
    """
    source, _body = split_front_matter(text, name)
    try:
        data = yaml.load(source, Loader=LOADER)
    except yaml.YAMLError as e:
        raise RecordError(f"{name}: front matter is not valid YAML: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("publishedDateTime"), datetime):
        raise RecordError(f"{name}: needs a publishedDateTime")
    topics = data.get("topics") or []
    return NewsletterEntry(
        path=f"{NEWSLETTERS_DIR}/{name}",
        title=str(data.get("title") or ""),
        excerpt=str(data.get("excerpt") or ""),
        published=_utc(data["publishedDateTime"]),
        web_url=str(data.get("webUrl") or ""),
        topics=tuple(str(t) for t in topics) if isinstance(topics, list) else (),
    )


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
