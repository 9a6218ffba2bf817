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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import yaml

from everyday.errors import ConfigError, RecordError
from everyday.models import Image
from everyday.records.frontmatter import format_datetime, split_front_matter
from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy, Topic

from .entries import Entry, absolute, by_topic, item_api_path, news_topics, published
from .jsonapi import VALUE_INDENT, Item, dumps, full_item_text, images_json, news_item, page_text
from .output import Output

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
) -> None:
    """Write every JSON API file of the hub to ``out``.

    Args:
        entries: all records of the hub; only ``published: true`` ones are listed.
        taxonomy: topics (for topic pages and ``api/topics``) and organizations (logos).
        site: page size, locale and the URLs items link to.
        out: collects the files; unchanged files are not rewritten.
        newsletters: newsletter issues for ``api/newsletters`` (see :func:`read_newsletters`).

    Raises:
        ConfigError: ``site.page_size`` is not positive.
        PublishError: a file could not be written.
    """
    if site.page_size < 1:
        raise ConfigError(f"[site] page_size must be at least 1, got {site.page_size}")
    listed = published(entries)
    items = {e.path: dumps(news_item(e, site), VALUE_INDENT) for e in listed}
    write_pages(out, "api/news", [items[e.path] for e in listed], site.page_size)
    for topic in news_topics(taxonomy):
        chosen = by_topic(listed, topic)
        write_pages(out, f"api/news/{topic.id}", [items[e.path] for e in chosen], site.page_size)
    write_items(out, listed, items, site)
    for name, rows in (
        ("topics", topics_index(listed, taxonomy, site)),
        ("providers", providers_index(listed, taxonomy, site)),
        ("newsletters", newsletters_index(newsletters)),
    ):
        write_pages(out, f"api/{name}", [dumps(r, VALUE_INDENT) for r in rows], site.page_size)
    log.info("api built published=%d topics=%d", len(listed), len(news_topics(taxonomy)))


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


def write_items(
    out: Output, listed: Sequence[Entry], items: dict[str, str], site: SiteSettings
) -> None:
    """Write the per-item JSON of each published record (first of two same-URL records wins)."""
    seen: set[str] = set()
    for entry in listed:
        path = item_api_path(entry)
        if path in seen:
            log.warning("per-item API path taken, skipped path=%s record=%s", path, entry.path)
            continue
        seen.add(path)
        out.write(path, full_item_text(items[entry.path], entry, absolute(site, path)))


def topics_index(listed: Sequence[Entry], taxonomy: Taxonomy, site: SiteSettings) -> list[Item]:
    """Every topic in taxonomy order, with its published count and news API URL (or null)."""
    with_pages = {t.name for t in news_topics(taxonomy)}
    counts: dict[str, int] = {}
    for entry in listed:
        for name in set(entry.record.topics):
            counts[name] = counts.get(name, 0) + 1
    return [
        _topic_json(t, taxonomy, site, with_pages, counts.get(t.name, 0)) for t in taxonomy.topics
    ]


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
    groups: dict[str, list[Entry]] = {}
    for entry in listed:  # newest first, so groups[d][0] is the newest record of d
        groups.setdefault(entry.record.provider.domain.lower(), []).append(entry)
    rows = [_provider_json(domain, group, taxonomy, site) for domain, group in groups.items()]
    rows.sort(key=lambda row: (-row["count"], row["domain"]))
    return rows


def _provider_json(domain: str, group: list[Entry], taxonomy: Taxonomy, site: SiteSettings) -> Item:
    newest = group[0].record
    org = taxonomy.organization(domain)
    if org is not None and org.images:
        images = images_json(
            [i if "://" in i.url else _absolute_image(i, site) for i in org.images],
            default_cached=False,
        )
    else:
        images = images_json(newest.provider.images, default_cached=False)
    return {
        "name": org.name if org is not None else newest.provider.name,
        "domain": domain,
        "images": images,
        "count": len(group),
        "latestPublishedDateTime": format_datetime(newest.published),
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
        data = yaml.safe_load(source)
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
