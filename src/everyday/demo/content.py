"""The sample newswire's providers and articles, built deterministically from ``data/*.json``.

Events in ``data/events.json`` are hand-written: each has facts and quotes written with
``[a|b]`` alternatives, and one or more *coverage* entries (one article per provider). Bodies
are assembled from those facts plus category filler sentences (``data/phrases.json``), using a
random generator seeded by the article id, so every run produces the same text. Dates are
relative to a ``base`` datetime that the caller passes in.

The ground-truth labels (:data:`STORIES`, :data:`SUBJECTS`, :data:`SYNDICATED`, ...) let later
stages measure dedupe and clustering precision and recall against this network.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

ALT_RE = re.compile(r"\[([^\[\]]*)\]")
MIN_WORDS = 300
MAX_WORDS = 900


@dataclass(frozen=True)
class ProviderSpec:
    """One invented outlet: its identity, feed format and page style."""

    slug: str
    name: str
    domain: str
    tagline: str
    feed: str  # rss2 | rss2-plain | rss2-thumb | rss1 | atom | jsonfeed
    feed_path: str  # relative to the provider root
    meta: str  # og+jsonld | jsonld-graph | og | og-twitter | jsonld | none
    url_style: str
    utm: bool  # feed links carry ?utm_... while the canonical is clean
    color: tuple[int, int, int]
    accent: tuple[int, int, int]
    image_format: str  # JPEG | PNG
    image_sizes: tuple[tuple[int, int], ...]
    sections: tuple[str, ...]
    authors: tuple[str, ...]


@dataclass(frozen=True)
class WireArticle:
    """One article of the newswire; URLs are paths until the server makes them absolute."""

    id: str
    provider: str  # provider slug
    title: str
    summary: str
    text: str  # paragraphs separated by a blank line
    author: str
    published: datetime
    url: str
    canonical_url: str
    feed_url: str  # the link the feed announces (tracking params, redirects)
    image_url: str
    image_size: tuple[int, int]
    image_format: str
    tags: tuple[str, ...]
    section: str
    category: str
    kind: str  # news | press | spam | roundup | syndicated
    event: str
    story: str | None = None  # set when two or more articles cover the same event
    subject: str | None = None
    syndicates: str | None = None  # id of the article this one copies
    canonical_id: str | None = None  # id of the article whose URL this page declares canonical
    stage: int = 0  # 0 = published at start; >0 = held back for publish_more()

    @property
    def words(self) -> int:
        """Body length in words."""
        return len(self.text.split())

    @property
    def is_canonical(self) -> bool:
        """False for a copy whose page names another article's URL as the canonical one."""
        return self.canonical_id in (None, self.id)

    def absolute(self, to_url: Callable[[str], str]) -> WireArticle:
        """Return a copy whose path URLs went through ``to_url`` (path -> absolute URL)."""
        return replace(
            self,
            url=to_url(self.url),
            canonical_url=to_url(self.canonical_url),
            feed_url=to_url(self.feed_url),
            image_url=to_url(self.image_url),
        )


@cache
def _load(name: str) -> Any:
    data = resources.files("everyday.demo").joinpath("data", name).read_text("utf-8")
    return json.loads(data)


def load_providers() -> tuple[ProviderSpec, ...]:
    """The providers in a fixed order (the order of the OPML file)."""
    out = []
    for p in _load("providers.json"):
        out.append(
            ProviderSpec(
                **{
                    **p,
                    "color": tuple(p["color"]),
                    "accent": tuple(p["accent"]),
                    "image_sizes": tuple(tuple(s) for s in p["image_sizes"]),
                    "sections": tuple(p["sections"]),
                    "authors": tuple(p["authors"]),
                }
            )
        )
    return tuple(out)


PROVIDERS: tuple[ProviderSpec, ...] = load_providers()
PROVIDER_BY_SLUG = {p.slug: p for p in PROVIDERS}


def default_base(now: datetime | None = None) -> datetime:
    """``now`` (UTC) rounded down to the hour: the default anchor for article dates."""
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def slugify(title: str, limit: int = 70) -> str:
    """ASCII, lowercase, hyphenated, cut at a word boundary."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9 -]", "", text.lower())
    text = re.sub(r"[ -]+", "-", text).strip("-")
    if len(text) > limit:
        text = text[:limit].rsplit("-", 1)[0]
    return text


def expand(template: str, rng: random.Random, slots: dict[str, str]) -> str:
    """Pick one alternative in every ``[a|b]`` group, then fill ``{slot}`` names."""
    text = ALT_RE.sub(lambda m: rng.choice(m.group(1).split("|")), template)
    text = re.sub(r"\{(\w+)\}", lambda m: slots.get(m.group(1), m.group(0)), text)
    text = re.sub(r"\s{2,}", " ", text).replace(" ,", ",")
    return text[0].upper() + text[1:] if text else text


def _number(article_id: str) -> int:
    return 10_000 + zlib.crc32(article_id.encode()) % 89_999


def _path(p: ProviderSpec, aid: str, title: str, section: str, when: datetime) -> str:
    s, n, y, m, d = slugify(title), _number(aid), when.year, f"{when:%m}", f"{when:%d}"
    return {
        "dated": f"/{p.slug}/{y}/{m}/{d}/{s}/",
        "section": f"/{p.slug}/news/{slugify(section)}/{s}-{n}.html",
        "numbered": f"/{p.slug}/articles/{n}/{s}",
        "monthly": f"/{p.slug}/{y}/{m}/{s}.html",
        "story": f"/{p.slug}/story/{s}/",
        "markets": f"/{p.slug}/markets/{y}/{m}/{d}/{s}",
        "release": f"/{p.slug}/releases/{n}-{s}",
        "blog": f"/{p.slug}/{y}/{m}/{s}/",
    }[p.url_style]


def _paragraphs(sentences: list[str], rng: random.Random) -> list[str]:
    out, i = [], 0
    while i < len(sentences):
        k = rng.choice((1, 2, 2, 3))
        out.append(" ".join(sentences[i : i + k]))
        i += k
    return out


def _body(event: dict[str, Any], cov: dict[str, Any], slots: dict[str, str]) -> str:
    """Lede, the event's facts and quotes, then filler up to a length chosen per article."""
    rng = random.Random(cov["id"])
    kind = event.get("kind", "news")
    facts = [expand(f, rng, slots) for f in event["facts"]]
    rest = facts[1:]
    rng.shuffle(rest)
    quotes = [expand(q, rng, slots) for q in event["quotes"]]
    pools = _load("phrases.json")
    keys = event.get("filler") or (("spam",) if kind == "spam" else (event["category"], "general"))
    filler = [t for key in keys for t in pools[key]]
    if kind == "roundup":  # a roundup has no single subject to name
        filler = [t for t in filler if "{company}" not in t and "{thing}" not in t]
    rng.shuffle(filler)
    low, high = (MIN_WORDS + 20, 460) if kind in ("spam", "press") else (MIN_WORDS + 30, 860)
    target = rng.randint(low, high)
    head = [expand(cov["lede"], rng, slots), facts[0]]
    body = head + rest[:2] + quotes[:1] + rest[2:] + quotes[1:]
    words = sum(len(s.split()) for s in body)
    extra = []
    for template in filler:
        if words >= target:
            break
        sentence = expand(template, rng, slots)
        extra.append(sentence)
        words += len(sentence.split())
    # Filler goes between the facts so each article reads as one piece, not two halves.
    cut = 3 + len(quotes[:1])
    mixed = body[:cut] + extra[: len(extra) // 2] + body[cut:] + extra[len(extra) // 2 :]
    paras = [mixed[0], *_paragraphs(mixed[1:], rng)]
    if kind == "news" and rng.random() < 0.25:
        paras.append(expand(rng.choice(pools["closers"]), rng, slots))
    return "\n\n".join(paras)


def _slots(event: dict[str, Any], when: datetime) -> dict[str, str]:
    return {
        "company": event["company"],
        "thing": event["thing"],
        "weekday": f"{when:%A}",
        "year": str(when.year),
        "year_end": str(when.year + 6),
    }


def _published(base: datetime, cov: dict[str, Any]) -> datetime:
    jitter = zlib.crc32(cov["id"].encode()) % 40  # minutes, so times look hand-entered
    return base - timedelta(hours=cov["hours"], minutes=jitter)


def _event_time(base: datetime, event: dict[str, Any]) -> datetime:
    return base - timedelta(hours=max(c["hours"] for c in event["coverage"]) + 7)


def _article(event: dict[str, Any], cov: dict[str, Any], base: datetime) -> WireArticle:
    p = PROVIDER_BY_SLUG[cov["provider"]]
    rng = random.Random("meta:" + cov["id"])
    when = _published(base, cov)
    slots = _slots(event, _event_time(base, event))
    title = expand(cov["title"], rng, slots)
    section = rng.choice(p.sections)
    path = _path(p, cov["id"], title, section, when)
    w, h = rng.choice(p.image_sizes)
    ext = "png" if p.image_format == "PNG" else "jpg"
    kind = event.get("kind", "news")
    return WireArticle(
        id=cov["id"],
        provider=p.slug,
        title=title,
        summary=expand(cov["lede"], random.Random(cov["id"]), slots),
        text=_body(event, cov, slots),
        author=cov.get("author") or rng.choice(p.authors),
        published=when,
        url=path,
        canonical_url=path,
        feed_url=path + (f"?utm_source=rss&utm_medium=feed&utm_campaign={p.slug}" if p.utm else ""),
        image_url=f"/{p.slug}/media/{cov['id']}-{w}x{h}.{ext}",
        image_size=(w, h),
        image_format=p.image_format,
        tags=tuple(event["tags"]),
        section=section,
        category=event["category"],
        kind=kind,
        event=event["id"],
        story=event["id"] if _is_story(event) else None,
        subject=event.get("subject"),
        stage=int(cov.get("stage", 0)),
    )


def _syndicated(
    original: WireArticle, event: dict[str, Any], cov: dict[str, Any], base: datetime
) -> WireArticle:
    """A near-verbatim copy on another provider: same text, image and author."""
    p = PROVIDER_BY_SLUG[cov["provider"]]
    when = _published(base, cov)
    title = cov.get("title") or original.title
    path = _path(p, cov["id"], title, p.sections[0], when)
    w, h = original.image_size
    ext = "png" if original.image_format == "PNG" else "jpg"
    origin = PROVIDER_BY_SLUG[original.provider].name
    return replace(
        original,
        id=cov["id"],
        provider=p.slug,
        title=title,
        text=original.text + f"\n\nThis article first appeared in {origin}.",
        published=when,
        url=path,
        canonical_url=original.url if cov.get("canonical_to_original") else path,
        canonical_id=original.id if cov.get("canonical_to_original") else None,
        feed_url=path,
        image_url=f"/{p.slug}/media/{cov['id']}-{w}x{h}.{ext}",
        section=p.sections[0],
        kind="syndicated",
        syndicates=original.id,
        stage=int(cov.get("stage", 0)),
    )


def _is_story(event: dict[str, Any]) -> bool:
    return sum(1 for c in event["coverage"] if not c.get("broken")) >= 2


@cache
def build_articles(base: datetime, *, include_broken: bool = False) -> tuple[WireArticle, ...]:
    """Every article (all stages), oldest first; ``include_broken`` adds the broken-image one.

    Cached per ``base``: the result is immutable and a second server in the same process
    should start instantly.
    """
    out: dict[str, WireArticle] = {}
    for event in _load("events.json"):
        for cov in event["coverage"]:
            if cov.get("broken") and not include_broken:
                continue
            if "syndicates" in cov:
                out[cov["id"]] = _syndicated(out[cov["syndicates"]], event, cov, base)
            else:
                out[cov["id"]] = _article(event, cov, base)
    return tuple(sorted(out.values(), key=lambda a: (a.published, a.id)))


def broken_article(base: datetime) -> WireArticle:
    """The article whose lead image URL serves bytes that are not an image."""
    return next(a for a in build_articles(base, include_broken=True) if a.id == "sd-broken-image")


def _labels() -> tuple[dict[str, list[str]], dict[str, list[str]], list[tuple[str, str]]]:
    stories: dict[str, list[str]] = {}
    subjects: dict[str, list[str]] = {}
    syndicated: list[tuple[str, str]] = []
    for event in _load("events.json"):
        ids = [c["id"] for c in event["coverage"] if not c.get("broken")]
        if _is_story(event):
            stories[event["id"]] = ids
        if event.get("subject"):
            subjects.setdefault(event["subject"], []).extend(ids)
        syndicated += [(c["syndicates"], c["id"]) for c in event["coverage"] if "syndicates" in c]
    return stories, subjects, syndicated


def _canonical_elsewhere() -> dict[str, str]:
    return {
        c["id"]: c["syndicates"]
        for e in _load("events.json")
        for c in e["coverage"]
        if c.get("canonical_to_original")
    }


def _ids_of_kind(kind: str) -> list[str]:
    return [c["id"] for e in _load("events.json") if e.get("kind") == kind for c in e["coverage"]]


STORIES, SUBJECTS, SYNDICATED = _labels()
"""Same-event groups (incl. syndicated pairs), same-subject groups, (original, copy) pairs."""
CANONICAL_ELSEWHERE: dict[str, str] = _canonical_elsewhere()
"""Copy id -> id of the original, the article the copy's page declares canonical
(``<link rel="canonical">``, ``og:url``, JSON-LD ``mainEntityOfPage``) on the original
provider's host. The original is the canonical one: a hub that trusts cross-site
canonicals files the copy under the original's URL and provider; one that refuses them
(everyday's extractor does) keeps the copy as its own page, a syndicated duplicate. The
other copies in :data:`SYNDICATED` declare their own URL canonical."""
ROUNDUPS: list[str] = _ids_of_kind("roundup")
"""Articles sharing the title "Weekly Roundup: The Week in AI" but nothing else."""
SPAM: list[str] = _ids_of_kind("spam")
"""Press-release market-report spam ("... Market Size, Share, CAGR Forecast ...")."""
