"""Feeds out: RSS 2.0 (with Media RSS), Atom 1.0 and JSON Feed 1.1, for the hub and each topic.

Each feed lists the newest 50 published records (the API's order). Quality, heat and related
coverage travel as extensions: ``<everyday:quality>``, ``<everyday:heat>`` and
``<everyday:related>`` in the :data:`NAMESPACE` namespace in XML, an ``_everyday`` object in
JSON Feed (JSON Feed 1.1 §"Extensions": keys starting with ``_``).

XML is built with lxml, never by pasting strings, so a ``<script>`` in a title comes out as
text; characters XML 1.0 cannot carry (C0 controls, U+FFFE/FFFF, lone surrogates) are
stripped first. Links that are not http(s) are left out. Dates come from the records, never
from the clock, so an unchanged hub rebuilds byte-identical feeds.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from email.utils import format_datetime as rfc822
from typing import Any

from lxml import etree

from everyday.models import Image, Record
from everyday.records.frontmatter import format_datetime
from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy, Topic

from .catalog import Brief, Catalog
from .entries import Entry, absolute, item_api_path, news_topics
from .jsonapi import dumps
from .output import Output
from .plan import Plan

FEED_SIZE = 50
NAMESPACE = "https://github.com/everyday-cc/everyday/ns/feed/1.0"
ATOM = "http://www.w3.org/2005/Atom"
MEDIA = "http://search.yahoo.com/mrss/"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
_NSMAP_RSS = {"atom": ATOM, "media": MEDIA, "everyday": NAMESPACE}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str | None) -> str:
    """``text`` without the characters XML 1.0 forbids (and JSON readers choke on)."""
    return _NOT_XML.sub("", text or "")


def is_web_url(url: str | None) -> bool:
    """Only http(s) links go into feeds (no ``javascript:`` or ``data:`` URLs)."""
    return bool(url) and re.match(r"(?i)^https?://[^\s]+$", url or "") is not None


def build_feeds(
    entries: Sequence[Entry], taxonomy: Taxonomy, site: SiteSettings, out: Output
) -> None:
    """Write ``feed.xml``, ``atom.xml`` and ``feed.json`` for the hub and every news topic.

    Topic feeds go to ``topics/<topic _id>/``; the topics are those with news pages in the
    API (:func:`everyday.publish.entries.news_topics`).

    Raises:
        PublishError: a file could not be written.
    """
    write_feeds(Catalog.of_entries(entries), taxonomy, site, out)


def write_feeds(
    catalog: Catalog,
    taxonomy: Taxonomy,
    site: SiteSettings,
    out: Output,
    plan: Plan | None = None,
) -> None:
    """:func:`build_feeds` from a catalog; a feed is rendered only if its items changed."""
    for job in feed_jobs(catalog, taxonomy, site, out, plan):
        job()


def feed_jobs(
    catalog: Catalog,
    taxonomy: Taxonomy,
    site: SiteSettings,
    out: Output,
    plan: Plan | None = None,
) -> list[Callable[[], None]]:
    """The feeds to write, decided now (the plan learns their keys), each written when its
    job is called: a from-scratch build hands them to its background worker."""
    plan = plan or Plan()
    sets: list[tuple[str, Topic | None]] = [("", None)]
    sets += [(f"topics/{t.id}/", t) for t in news_topics(taxonomy)]
    jobs: list[Callable[[], None]] = []
    for prefix, topic in sets:
        group = f"feed:{prefix}"
        if plan.keep(group, hub=topic is None, topic=topic.name if topic else ""):
            continue
        members = catalog.listed if topic is None else catalog.topic(topic.name)
        paths = tuple(b.path for b in newest(members, FEED_SIZE, len(catalog.pins)))
        if plan.wants(f"{prefix}feed.xml", paths, paths, plan.records, group):
            job = functools.partial(_write_paths, out, prefix, site, topic, catalog, paths)
            jobs.append(job)
    return jobs


def newest(members: Sequence[Brief], count: int, pins: int) -> list[Brief]:
    """The ``count`` newest of a list whose first ``pins`` items may be pinned ones
    (pins lead the pages, not the feeds, which are in date order)."""
    head = members[: count + pins]
    if not pins:
        return list(head)
    return sorted(head, key=lambda b: (-b.stamp, b.path))[:count]


def _write_paths(
    out: Output,
    prefix: str,
    site: SiteSettings,
    topic: Topic | None,
    catalog: Catalog,
    paths: Sequence[str],
) -> None:
    """The three feeds of one list, from its record paths."""
    _write_set(out, prefix, site, topic, [catalog.entry(p) for p in paths])


def _write_set(
    out: Output, prefix: str, site: SiteSettings, topic: Topic | None, items: Sequence[Entry]
) -> None:
    """The three feeds of one list."""
    meta = FeedMeta.of(site, topic, prefix)
    out.write(f"{prefix}feed.xml", rss(meta, items, site))
    out.write(f"{prefix}atom.xml", atom(meta, items, site))
    out.write(f"{prefix}feed.json", json_feed(meta, items, site))


class FeedMeta:
    """Title, description and the links of one feed."""

    def __init__(self, title: str, description: str, home: str, base: str) -> None:
        self.title = clean(title)
        self.description = clean(description)
        self.home = home
        self.rss_url = base + "feed.xml"
        self.atom_url = base + "atom.xml"
        self.json_url = base + "feed.json"

    @classmethod
    def of(cls, site: SiteSettings, topic: Topic | None, prefix: str) -> FeedMeta:
        """The hub's feed (``topic`` None) or one topic's, under ``prefix`` of the site."""
        web = site.web_url.rstrip("/")
        base = absolute(site, prefix)
        if topic is None:
            return cls(site.title, f"Latest {site.topic} news from {site.title}", web + "/", base)
        about = topic.description or f"Latest {topic.name} news from {site.title}"
        return cls(f"{site.title}: {topic.name}", about, f"{web}/{prefix}", base)


def _item_id(entry: Entry, site: SiteSettings) -> str:
    # The per-item API URL: stable for the record's life, unlike its (re-canonicalised) webUrl.
    return absolute(site, item_api_path(entry))


def _item_link(entry: Entry, site: SiteSettings) -> str:
    r = entry.record
    for url in (r.web_url, r.original_url):
        if is_web_url(url):
            return str(url)
    return _item_id(entry, site)


def _images(record: Record) -> list[Image]:
    return [i for i in record.images if is_web_url(i.url)]


def _related(record: Record) -> list[tuple[str, str]]:
    return [(clean(r.title), r.web_url) for r in record.related or () if is_web_url(r.web_url)]


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    node = etree.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        node.text = clean(text)
    return node


def _serialize(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _extensions(parent: Any, record: Record) -> None:
    ns = f"{{{NAMESPACE}}}"
    if record.quality is not None:
        _sub(parent, ns + "quality", str(record.quality))
    if record.heat is not None:
        _sub(parent, ns + "heat", str(record.heat))
    _sub(parent, ns + "provider", record.provider.name, domain=record.provider.domain)
    related = _related(record)
    if related:
        box = _sub(parent, ns + "related", count=str(len(related)))
        for title, url in related:
            _sub(box, ns + "link", title, href=url)


def rss(meta: FeedMeta, items: Sequence[Entry], site: SiteSettings) -> bytes:
    """RSS 2.0 with Media RSS images and the everyday extension elements."""
    root = etree.Element("rss", nsmap=_NSMAP_RSS, version="2.0")
    channel = _sub(root, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", meta.home)
    _sub(channel, "description", meta.description)
    _sub(channel, "language", site.locale)
    _sub(channel, f"{{{ATOM}}}link", href=meta.rss_url, rel="self", type="application/rss+xml")
    if items:
        _sub(channel, "lastBuildDate", rfc822(items[0].record.published, usegmt=True))
    _sub(channel, "generator", "everyday")
    for entry in items:
        r = entry.record
        node = _sub(channel, "item")
        _sub(node, "title", r.title)
        _sub(node, "link", _item_link(entry, site))
        _sub(node, "description", r.excerpt)
        _sub(node, "guid", _item_id(entry, site), isPermaLink="false")
        _sub(node, "pubDate", rfc822(r.published, usegmt=True))
        for topic in r.topics:
            _sub(node, "category", topic)
        for image in _images(r):
            _media(node, image)
        _extensions(node, r)
    return _serialize(root)


def _media(parent: Any, image: Image) -> None:
    attrs = {"url": image.url, "medium": "image"}
    if image.width:
        attrs["width"] = str(image.width)
    if image.height:
        attrs["height"] = str(image.height)
    _sub(parent, f"{{{MEDIA}}}content", **attrs)


def atom(meta: FeedMeta, items: Sequence[Entry], site: SiteSettings) -> bytes:
    """Atom 1.0 (RFC 4287): feed id/title/updated/author, entries with id/title/updated/link."""
    a = f"{{{ATOM}}}"
    root = etree.Element(a + "feed", nsmap={None: ATOM, "media": MEDIA, "everyday": NAMESPACE})
    _sub(root, a + "id", meta.atom_url)
    _sub(root, a + "title", meta.title)
    _sub(root, a + "subtitle", meta.description)
    newest = items[0].record.published if items else None
    _sub(root, a + "updated", format_datetime(newest) if newest else "1970-01-01T00:00:00Z")
    _sub(root, a + "link", href=meta.home, rel="alternate", type="text/html")
    _sub(root, a + "link", href=meta.atom_url, rel="self", type="application/atom+xml")
    author = _sub(root, a + "author")
    _sub(author, a + "name", site.title)
    _sub(root, a + "generator", "everyday")
    for entry in items:
        r = entry.record
        node = _sub(root, a + "entry")
        _sub(node, a + "id", _item_id(entry, site))
        _sub(node, a + "title", r.title, type="text")
        _sub(node, a + "updated", format_datetime(r.published))
        _sub(node, a + "published", format_datetime(r.published))
        _sub(node, a + "link", href=_item_link(entry, site), rel="alternate")
        by = _sub(node, a + "author")
        _sub(by, a + "name", r.provider.name)
        _sub(node, a + "summary", r.excerpt, type="text")
        for topic in r.topics:
            _sub(node, a + "category", term=topic)
        for image in _images(r):
            _media(node, image)
        _extensions(node, r)
    return _serialize(root)


def json_feed(meta: FeedMeta, items: Sequence[Entry], site: SiteSettings) -> str:
    """JSON Feed 1.1 with an ``_everyday`` extension object on each item."""
    feed = {
        "version": JSONFEED_VERSION,
        "title": meta.title,
        "home_page_url": meta.home,
        "feed_url": meta.json_url,
        "description": meta.description,
        "language": site.locale,
        "items": [_json_item(entry, site) for entry in items],
    }
    return dumps(feed) + "\n"  # json.dumps(indent=2)'s bytes, by the C encoder


def _json_item(entry: Entry, site: SiteSettings) -> dict[str, object]:
    r = entry.record
    item: dict[str, object] = {
        "id": _item_id(entry, site),
        "url": _item_link(entry, site),
        "title": clean(r.title),
        "content_text": clean(r.excerpt),
        "summary": clean(r.excerpt),
        "date_published": format_datetime(r.published),
        "authors": [{"name": clean(r.provider.name)}],
        "tags": [clean(t) for t in r.topics],
        "language": site.locale,
    }
    images = _images(r)
    if images:
        item["image"] = images[0].url
    item["_everyday"] = {
        "about": NAMESPACE,
        "quality": r.quality,
        "heat": r.heat,
        "provider": {"name": clean(r.provider.name), "domain": clean(r.provider.domain)},
        "related": [{"title": t, "url": u} for t, u in _related(r)],
    }
    return item
