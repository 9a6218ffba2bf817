"""The daily newsletter: which stories make the day's issue, and the issue file itself.

An issue is ``_newsletters/<slug>-YYYY-MM-DD.html`` (``SCHEMA.md`` §iv): the seed's front
matter (title "<Hub title> (YYYY-MM-DD)", excerpt = the top story titles joined by " / ",
publishedDateTime, webUrl, type, topics) followed by a complete HTML e-mail. Selection
follows what the seed's issues show: only ``published: true`` records, ordered by heat,
one story per cluster (each cluster's leader). A day without a published story has no
issue. Rendering is pure: the same stories give the same bytes, so re-running a day
leaves an unchanged file untouched.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from everyday.errors import RecordError
from everyday.models import Image, Provider, Record
from everyday.records.files import atomic_write, iter_record_files, read_record
from everyday.records.frontmatter import format_datetime, is_plain_safe, quote
from everyday.records.slug import slugify
from everyday.settings import SiteSettings

from .entries import Entry, absolute

log = logging.getLogger(__name__)

NEWSLETTERS_DIR = "_newsletters"  # same as publish.api.NEWSLETTERS_DIR
EXCERPT_STORIES = 3  # the seed's excerpts name the first two or three stories
IMAGE_WIDTH = 560  # the 600 px card minus 20 px padding either side
IMAGE_MAX_HEIGHT = 420  # a 4:3 image at full width; taller ones (square logos) shrink
UNSUBSCRIBE_PLACEHOLDER = "#unsubscribe"
"""Where the footer's unsubscribe link points in the stored issue (a harmless in-page link
on the web copy); :func:`everyday.publish.mail.build_message` puts the recipient's own
address there. It is the last occurrence in both parts, so replacing from the end is safe."""

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class EmailImage:
    """A story image sized for the e-mail: mail clients need width and height up front."""

    url: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True)
class Story:
    """One story of an issue: its lead record and how many other sources covered it."""

    path: str
    record: Record
    title: str
    excerpt: str
    link: str
    provider: Provider
    image: EmailImage | None
    other_sources: int
    cluster: str
    published: datetime  # when it counts as published (first publication when known)


@dataclass(frozen=True)
class TopicGroup:
    """Stories shown under one topic heading, best first."""

    topic: str
    stories: tuple[Story, ...]


@dataclass(frozen=True)
class Issue:
    """One rendered issue: front matter values, the stories and both e-mail bodies."""

    day: date
    name: str  # ``ai-every-day-2023-11-07``
    hub_title: str
    hub_url: str
    title: str
    excerpt: str
    published: datetime
    web_url: str
    topic: str
    stories: tuple[Story, ...]
    html: str
    text: str

    @property
    def path(self) -> str:
        """Hub-relative file of the issue."""
        return f"{NEWSLETTERS_DIR}/{self.name}.html"


# --------------------------------------------------------------------------- selection


def select_stories(
    entries: Iterable[Entry],
    day: date,
    *,
    clusters: Mapping[str, str] | None = None,
    limit: int = 10,
    first_published: Mapping[str, datetime] | None = None,
    site: SiteSettings | None = None,
) -> list[Story]:
    """The day's top stories: published records of ``day`` (UTC), hottest first, one per cluster.

    Args:
        entries: records of the hub (any day, any state).
        day: the UTC day of the issue.
        clusters: record path -> story cluster id; without it, records whose ``related``
            lists name each other (either way, by webUrl) form one cluster.
        limit: most stories in an issue.
        first_published: record path -> when it was first published, if later than its
            publishedDateTime (the store knows; records do not).
        site: makes relative image URLs absolute; defaults to the settings defaults.

    Returns:
        Stories by heat (then newest, then path); empty when nothing was published that day.
    """
    site = site or SiteSettings()
    everything = list(entries)
    moments = {e.path: _published_at(e, first_published) for e in everything}
    todays = [
        e for e in everything if e.record.is_published is True and moments[e.path].date() == day
    ]
    todays.sort(key=lambda e: e.path)
    todays.sort(key=lambda e: (e.record.heat or 0, moments[e.path]), reverse=True)
    if clusters is not None:
        cluster_of = {e.path: clusters.get(e.path, e.path) for e in everything}
    else:
        cluster_of = _related_clusters(everything)
    sizes: dict[str, int] = {}
    for e in everything:
        sizes[cluster_of[e.path]] = sizes.get(cluster_of[e.path], 0) + 1
    stories: list[Story] = []
    seen: set[str] = set()
    for e in todays:
        cluster = cluster_of[e.path]
        if cluster in seen:
            continue
        seen.add(cluster)
        others = sizes[cluster] - 1
        if clusters is None:
            others = max(others, len(e.record.related or ()))
        stories.append(_story(e, cluster, others, moments[e.path], site))
        if len(stories) >= limit:
            break
    return stories


def _published_at(entry: Entry, first: Mapping[str, datetime] | None) -> datetime:
    return _utc((first or {}).get(entry.path, entry.record.published))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _related_clusters(entries: Sequence[Entry]) -> dict[str, str]:
    """Union-find over ``related`` links; a cluster is named by its smallest path."""
    parent = {e.path: e.path for e in entries}
    by_url = {e.record.web_url: e.path for e in entries if e.record.web_url}

    def root(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    for e in entries:
        for rel in e.record.related or ():
            other = by_url.get(rel.web_url)
            if other is not None:
                a, b = sorted((root(e.path), root(other)))
                parent[b] = a
    return {path: root(path) for path in parent}


def _story(entry: Entry, cluster: str, others: int, moment: datetime, site: SiteSettings) -> Story:
    r = entry.record
    title = clean_text(r.title) or "(untitled)"
    return Story(
        path=entry.path,
        record=r,
        title=title,
        excerpt=clean_text(r.excerpt),
        link=_safe_url(r.web_url) or _safe_url(r.original_url or "") or site.web_url,
        provider=r.provider,
        image=email_image(r.images, title, site),
        other_sources=others,
        cluster=cluster,
        published=moment,
    )


def clean_text(value: str) -> str:
    """Source text for display: entities decoded, controls dropped, whitespace collapsed.

    Decoding is safe because templates escape again; ``&lt;script&gt;`` shows as text.
    """
    return _SPACES.sub(" ", _CONTROL.sub("", html.unescape(value))).strip()


def _safe_url(url: str) -> str:
    """``url`` if it is http(s) (never ``javascript:`` or ``data:``), else empty."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    return url.strip() if parts.scheme in {"http", "https"} and parts.netloc else ""


def email_image(images: Sequence[Image], alt: str, site: SiteSettings) -> EmailImage | None:
    """The first image with known size, scaled down to fit 560x420; None if none has one."""
    for image in images:
        if not image.width or not image.height or image.width <= 0 or image.height <= 0:
            continue
        url = image.url if "://" in image.url else absolute(site, image.url)
        if not _safe_url(url):
            continue
        scale = min(1.0, IMAGE_WIDTH / image.width, IMAGE_MAX_HEIGHT / image.height)
        width = max(1, round(image.width * scale))
        height = max(1, round(image.height * scale))
        return EmailImage(url=url, width=width, height=height, alt=alt)
    return None


def group_by_topic(stories: Sequence[Story], root: str) -> list[TopicGroup]:
    """Stories under their first non-root topic (else the root), groups in order of their best."""
    groups: dict[str, list[Story]] = {}
    for story in stories:
        topic = next((t for t in story.record.topics if t != root), root)
        groups.setdefault(clean_text(topic) or root, []).append(story)
    return [TopicGroup(topic, tuple(items)) for topic, items in groups.items()]


# --------------------------------------------------------------------------- rendering


def issue_name(site: SiteSettings, day: date) -> str:
    """``<slug of the hub title>-YYYY-MM-DD`` (``A.I. Every Day`` -> ``ai-every-day-...``)."""
    return f"{slugify(site.title) or 'newsletter'}-{day.isoformat()}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("everyday.publish", "templates"),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "xml"), disabled_extensions=("txt",), default=True
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_issue(
    stories: Sequence[Story],
    day: date,
    site: SiteSettings,
    *,
    published: datetime | None = None,
) -> Issue | None:
    """Render the issue of ``day`` from selected stories; None when there are none.

    Args:
        stories: from :func:`select_stories`, best first.
        day: the issue's UTC day.
        site: hub title, root topic and the URLs the issue links to.
        published: the issue's publishedDateTime; defaults to the newest story's time,
            so re-rendering the same stories gives the same bytes.
    """
    if not stories:
        return None
    name = issue_name(site, day)
    hub_url = site.web_url.rstrip("/")
    fields = {
        "day": day,
        "name": name,
        "hub_title": clean_text(site.title),
        "hub_url": hub_url,
        "title": f"{clean_text(site.title)} ({day.isoformat()})",
        "excerpt": " / ".join(s.title for s in stories[:EXCERPT_STORIES]),
        "published": _utc(published or max(s.published for s in stories)),
        "web_url": f"{hub_url}/newsletter/{name}/",
        "topic": site.topic,
        "stories": tuple(stories),
    }
    context = {
        **fields,
        "groups": group_by_topic(stories, site.topic),
        "long_date": f"{day:%A}, {day.day} {day:%B} {day.year}",
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
    }
    env = _environment()
    body = env.get_template("newsletter.html").render(context)
    text = env.get_template("newsletter.txt").render(context)
    return Issue(**fields, html=body, text=text)  # type: ignore[arg-type]


def format_issue(issue: Issue) -> str:
    """The issue file: the seed's front matter, then the HTML e-mail."""
    topic = issue.topic if is_plain_safe(issue.topic) else quote(issue.topic)
    head = [
        "---",
        f"title: {quote(issue.title)}",
        f"excerpt: {quote(issue.excerpt)}",
        f"publishedDateTime: {format_datetime(issue.published)}",
        f"webUrl: {quote(issue.web_url)}",
        "type: article",
        "",
        "topics:",
        f"  - {topic}",
        "",
        "---",
    ]
    return "\n".join(head) + "\n" + issue.html


def write_issue(hub_dir: Path, issue: Issue) -> tuple[Path, bool]:
    """Write the issue file atomically; return its path and whether its bytes changed.

    Raises:
        RecordError: the file could not be written.
    """
    folder = Path(hub_dir) / NEWSLETTERS_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RecordError(f"{folder}: cannot create: {e}") from e
    path = folder / f"{issue.name}.html"
    changed = atomic_write(path, format_issue(issue))
    log.info("newsletter written path=%s stories=%d changed=%s", path, len(issue.stories), changed)
    return path, changed


def read_entries(hub_dir: Path, news_dir: str = "_news") -> list[Entry]:
    """Every readable record of the hub; a broken file is logged and skipped."""
    entries = []
    for path in iter_record_files(Path(hub_dir) / news_dir):
        try:
            entries.append(Entry(f"{news_dir}/{path.name}", read_record(path)))
        except RecordError as e:
            log.warning("record skipped path=%s error=%s", path, e)
    return entries
