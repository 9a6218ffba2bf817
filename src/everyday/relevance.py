"""Which collected items a hub keeps: its exclude patterns and, if asked, its topics.

A topic hub often polls general feeds (a newspaper's technology section for a robotics
hub): most of their items are about something else, and the hub's quality score says how
good an article is, not whether it is on topic. ``[collect] require_topic`` keeps only
articles in which the taxonomy finds a topic (the root's own keywords count); ``[collect]
exclude`` drops items whose title or URL matches a pattern (sponsored posts, podcasts,
deals) before their page is fetched. Both are reported once with their reason and
remembered like a lasting failure, so a feed that keeps listing the item costs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

import regex

from .enrich.topics import DEFAULT_RULES, keyword_pattern
from .models import FeedEntry, Record
from .summary import OFF_TOPIC
from .taxonomy import Taxonomy

log = logging.getLogger(__name__)

NOT_ON_TOPIC = f"{OFF_TOPIC}: the taxonomy finds no topic in its title, excerpt or text"


MATCH_SECONDS = 0.05  # what a pattern may take on one title or URL


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)  # re's syntax


def excluded_by(entry: FeedEntry, patterns: Sequence[str]) -> str | None:
    """The first pattern found in the item's title or URL (case-insensitive), if any.

    The patterns are the hub's, the titles a feed's: a pattern that backtracks
    catastrophically on some title (``^(a|aa)+$``) would hang every pass with the standard
    library's engine, so they run on the ``regex`` engine with a time limit, and one that
    runs out does not exclude the item (it is logged).
    """
    title = (entry.title or "")[:1000]  # a title is short; a hostile one is cut
    for pattern in patterns:
        compiled = _compiled(pattern)
        try:
            if compiled.search(title, timeout=MATCH_SECONDS) or compiled.search(
                entry.url, timeout=MATCH_SECONDS
            ):
                return pattern
        except TimeoutError:
            log.warning(
                "exclude pattern took too long, not applied pattern=%r url=%s", pattern, entry.url
            )
    return None


def is_dedicated(source_url: str, dedicated: Sequence[str]) -> bool:
    """Whether a source is one of the hub's ``[collect] dedicated_sources`` (URL or prefix),
    whose articles are on topic by definition."""
    return any(source_url.startswith(prefix) for prefix in dedicated if prefix)


def is_on_topic(record: Record, text: str, taxonomy: Taxonomy) -> bool:
    """Whether the hub's taxonomy finds a topic in the article: a topic besides the root
    (from keywords or the trained model), or the root's own keywords, as strongly as a
    topic must be found (in the title, twice in the excerpt or three times in the text:
    :class:`.enrich.topics.TopicRules`)."""
    if any(topic != taxonomy.root for topic in record.topics):
        return True
    root = taxonomy.topic(taxonomy.root)
    if root is None:
        return False
    rules = DEFAULT_RULES
    needed = {"title": 1, "excerpt": rules.excerpt_min_mentions, "body": rules.body_min_mentions}
    fields = {"title": record.title, "excerpt": record.excerpt, "body": text}
    spans: dict[str, set[tuple[int, int]]] = {name: set() for name in needed}
    for keyword in root.keywords:  # "chip" and "chips" finding one word count it once
        pattern = keyword_pattern(keyword)
        if pattern is None:
            continue
        for name, value in fields.items():
            spans[name].update(m.span() for m in pattern.finditer(value or ""))
    return any(len(spans[name]) >= least for name, least in needed.items())
