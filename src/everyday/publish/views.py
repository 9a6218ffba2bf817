"""What the site templates show: cards, related coverage and structured data, from records.

Templates get plain values, decided here: which URLs may be linked (http(s) only, so a
``javascript:`` URL from a source is shown as text at most), which image is shown and how
big, which topics have pages, how many sources a story has. Nothing here is markup except
:func:`article_json_ld`, which is JSON made safe for a ``<script>`` element.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from everyday.models import Image
from everyday.records.frontmatter import format_datetime
from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy, Topic

from .entries import Entry, item_date_slug, news_topics

_SAFE_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: str | None) -> str:
    """Text without control characters (HTML and XML readers reject or mangle them)."""
    return _CONTROL.sub("", text or "")


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL without spaces or controls, else None."""
    if not url or _CONTROL.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in {"http", "https"} and parts.hostname else None


def page_dir(entry: Entry) -> str:
    """Site-relative folder of an article page: ``YYYY/MM/DD/<slug>/`` (the API item's path)."""
    day, slug = item_date_slug(entry)
    return f"{day:%Y/%m/%d}/{slug}/"


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
    """Lookups the pages share: published records, their pages, topics, providers, clusters."""

    site: SiteSettings
    taxonomy: Taxonomy
    listed: list[Entry]
    clusters: dict[str, str]
    base: str = ""
    sizes: dict[str, int] = field(default_factory=dict)
    topic_hrefs: dict[str, str] = field(default_factory=dict)
    by_web_url: dict[str, Entry] = field(default_factory=dict)
    cards: dict[str, Card] = field(default_factory=dict)
    local_images: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        listed: list[Entry],
        taxonomy: Taxonomy,
        site: SiteSettings,
        clusters: Mapping[str, str],
        local_images: Mapping[str, str] | None = None,
    ) -> Index:
        """Index ``listed`` (published, one per page path, newest first).

        ``local_images`` maps image URLs to the site path of the hub's cached copy, which
        pages then show instead of hot-linking the source.
        """
        paths = {e.path for e in listed}
        mine = {p: str(c) for p, c in clusters.items() if p in paths}
        prefix = site.baseurl.strip("/")
        index = cls(site, taxonomy, listed, mine, f"/{prefix}" if prefix else "")
        index.local_images = dict(local_images or {})
        for cid in mine.values():
            index.sizes[cid] = index.sizes.get(cid, 0) + 1
        index.topic_hrefs = {t.name: index.href(f"topics/{t.id}/") for t in news_topics(taxonomy)}
        index.topic_hrefs[taxonomy.root] = index.href("")
        for entry in reversed(listed):  # newest wins
            if entry.record.web_url:
                index.by_web_url[entry.record.web_url] = entry
        return index

    def card(self, entry: Entry) -> Card:
        """The card of an entry, made once (lists, article page and search all need it)."""
        if entry.path not in self.cards:
            self.cards[entry.path] = card_of(entry, self)
        return self.cards[entry.path]

    def href(self, path: str) -> str:
        """Root-relative link to a site-relative path, under the base path."""
        return f"{self.base}/{path}"

    def page_url(self, path: str) -> str:
        """Absolute public URL of a page (canonical, OpenGraph, sitemaps)."""
        shown = "" if path == "index.html" else path
        return f"{self.site.web_url.rstrip('/')}/{shown}"

    def article_path(self, entry: Entry) -> str:
        """Site-relative folder of an entry's page."""
        return page_dir(entry)

    def sources(self, entry: Entry) -> int:
        """How many outlets cover the story: its cluster's size, else 1 + related count."""
        cid = self.clusters.get(entry.path)
        if cid is not None and self.sizes.get(cid, 0) > 1:
            return self.sizes[cid]
        return 1 + len(entry.record.related or ())

    def members(self, entry: Entry) -> list[Entry]:
        """The other published records of the entry's cluster, newest first."""
        cid = self.clusters.get(entry.path)
        if cid is None or self.sizes.get(cid, 0) < 2:
            return []
        return [e for e in self.listed if e is not entry and self.clusters.get(e.path) == cid]

    def provider_domain(self, entry: Entry) -> str | None:
        """The provider's domain if it is safe as a URL segment (it names its page)."""
        domain = entry.record.provider.domain.strip().lower()
        return domain if _SAFE_DOMAIN.match(domain) else None

    def provider_name(self, entry: Entry) -> str:
        """The organization's name when known, else the name the record carries."""
        org = self.taxonomy.organization(entry.record.provider.domain)
        name = org.name if org is not None else entry.record.provider.name
        return clean(name) or entry.record.provider.domain

    def provider_logo(self, entry: Entry) -> Img | None:
        """The outlet's logo: the organization's, else the record's (decorative: alt="")."""
        org = self.taxonomy.organization(entry.record.provider.domain)
        images = org.images if org is not None and org.images else entry.record.provider.images
        return self.image(images, "")

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

    def by_provider(self) -> dict[str, list[Entry]]:
        """Records by provider domain (safe domains only), newest first."""
        groups: dict[str, list[Entry]] = {}
        for entry in self.listed:
            domain = self.provider_domain(entry)
            if domain:
                groups.setdefault(domain, []).append(entry)
        return groups

    def providers(self) -> list[tuple[Link, int, Img | None]]:
        """Each provider page: link, count of stories, logo; most published first."""
        rows = [
            (
                Link(self.provider_name(g[0]), self.href(f"providers/{d}/")),
                len(g),
                self.provider_logo(g[0]),
            )
            for d, g in self.by_provider().items()
        ]
        rows.sort(key=lambda row: (-row[1], row[0].text.lower()))
        return rows

    def topic_links(self) -> list[tuple[Topic, str, int]]:
        """Each news topic with its page link and count of published records."""
        counts: dict[str, int] = {}
        for entry in self.listed:
            for name in set(entry.record.topics):
                counts[name] = counts.get(name, 0) + 1
        return [
            (t, self.topic_hrefs[t.name], counts.get(t.name, 0)) for t in news_topics(self.taxonomy)
        ]


def _size(value: int | None) -> int | None:
    return value if isinstance(value, int) and 0 < value < 100_000 else None


def card_of(entry: Entry, index: Index) -> Card:
    """The card of one record (title, excerpt, links, images, topics, number of sources)."""
    r = entry.record
    title = clean(r.title) or "Untitled"
    domain = index.provider_domain(entry)
    topics = tuple(
        Link(clean(name), index.topic_hrefs.get(name))
        for name in dict.fromkeys(r.topics)
        if name != index.taxonomy.root
    )
    return Card(
        title=title,
        excerpt=clean(r.excerpt),
        href=index.href(index.article_path(entry)),
        date=r.published,
        provider=Link(
            index.provider_name(entry), index.href(f"providers/{domain}/") if domain else None
        ),
        logo=index.provider_logo(entry),
        image=index.image(r.images, title),
        topics=topics,
        sources=index.sources(entry),
    )


def related_of(entry: Entry, index: Index) -> list[RelatedView]:
    """Cluster members and the record's related list; our own page when we have the article."""
    views: list[RelatedView] = []
    seen = {entry.path}
    for member in index.members(entry):
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
    return views


def _internal(entry: Entry, index: Index) -> RelatedView:
    href = index.href(index.article_path(entry))
    title = clean(entry.record.title) or "Untitled"
    return RelatedView(title, href, index.provider_name(entry), entry.record.published, True)


def article_json_ld(entry: Entry, card: Card, url: str, site: SiteSettings) -> str:
    """schema.org NewsArticle for an article page, safe inside ``<script>``."""
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": card.title,
        "description": card.excerpt,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": format_datetime(card.date),
        "dateModified": format_datetime(card.date),
    }
    if card.image is not None and safe_url(card.image.src):
        data["image"] = [card.image.src]
    author: dict[str, object] = {"@type": "Organization", "name": card.provider.text}
    domain = entry.record.provider.domain.strip().lower()
    if _SAFE_DOMAIN.match(domain):
        author["url"] = f"https://{domain}/"
    data["author"] = author
    data["publisher"] = {"@type": "Organization", "name": site.title, "url": site.web_url}
    original = safe_url(entry.record.web_url)
    if original:
        data["isBasedOn"] = original
    if card.topics:
        data["keywords"] = [t.text for t in card.topics]
    return json_ld_text(data)


def json_ld_text(data: object) -> str:
    """JSON for a ``<script>`` element: ``</`` and ``<!--`` cannot end or confuse the element."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "\\u003c!--")
