"""What the publishers read: published records in API order, and where each one is served.

Every output (JSON API, feeds, site) lists the same records in the same order, so the order
lives here once: newest ``publishedDateTime`` first, ties broken by record path ascending
(the one tie in the powerapps corpus, 2021-11-02T15:00:00Z, is listed that way).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from everyday.models import Record
from everyday.records.slug import slugify
from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy, Topic

_FILENAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)\.md$")
_SAFE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Entry:
    """One record and its hub-relative file path (``_news/2023-11-07-some-title.md``)."""

    path: str
    record: Record


def published(entries: Iterable[Entry]) -> list[Entry]:
    """Published entries, newest first; equal timestamps by path so builds are repeatable."""
    chosen = [e for e in entries if e.record.is_published is True]
    chosen.sort(key=lambda e: e.path)
    chosen.sort(key=lambda e: e.record.published, reverse=True)
    return chosen


def item_date_slug(entry: Entry) -> tuple[date, str]:
    """The Jekyll post date and ``:title`` of a record: from its file name, as Jekyll does.

    A file name outside the ``YYYY-MM-DD-slug.md`` pattern (or with a slug that is not safe
    as a URL segment) falls back to the publication date and the slug of the title.
    """
    name = entry.path.rsplit("/", 1)[-1]
    match = _FILENAME.match(name)
    if match and _SAFE_SLUG.match(match.group(4)):
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
        else:
            return day, match.group(4)
    day = entry.record.published.date()
    return day, slugify(entry.record.title) or "news"


def item_api_path(entry: Entry) -> str:
    """Site-relative file of the per-item JSON: ``api/news/YYYY/MM/DD/<slug>/index.json``."""
    day, slug = item_date_slug(entry)
    return f"api/news/{day:%Y/%m/%d}/{slug}/index.json"


def site_base(site: SiteSettings) -> str:
    """Absolute URL of the static site root, without a trailing slash."""
    prefix = site.baseurl.strip("/")
    return site.url.rstrip("/") + (f"/{prefix}" if prefix else "")


def absolute(site: SiteSettings, relative: str) -> str:
    """Absolute URL of a site-relative file; ``index.json`` stays explicit, as the seed links."""
    return f"{site_base(site)}/{relative.lstrip('/')}"


def news_topics(taxonomy: Taxonomy) -> tuple[Topic, ...]:
    """Topics that get their own news pages and feeds.

    The root topic is the whole hub. A topic that lists ``services`` without ``news`` has
    no news pages (the seed: powerapps Portals and Model-driven apps); a topic without any
    ``services`` (our hub defaults) gets them.
    """
    return tuple(
        t
        for t in taxonomy.topics
        if t.name != taxonomy.root
        and _SAFE_SLUG.match(t.id)
        and (not t.services or any(k == "news" for k, _ in t.services))
    )


def by_topic(entries: Sequence[Entry], topic: Topic) -> list[Entry]:
    """The entries carrying ``topic`` (by display name), order kept."""
    return [e for e in entries if topic.name in e.record.topics]
