"""What a pass would take from a source, and why not the rest, without storing anything.

``everyday sources preview`` runs a source through the pass's own rules (age, stored
already, failed recently, ``[collect] exclude``) and, with ``pages``, through the article
fetch, extraction and topic tagging, so a hub's filters can be tuned on a feed before it
is added. Nothing is written: no record, no index row, no cached image, no logo.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from .collect import draft_article, is_lasting, wants_topic
from .enrich.record import build_record
from .errors import EverydayError, ParseError
from .fetch.http import Fetcher, decode_text
from .models import FeedEntry
from .pipeline import passed_over
from .relevance import NOT_ON_TOPIC, is_on_topic
from .settings import with_overrides
from .sources.discover import discover_feeds
from .sources.feeds import ParsedFeed, parse_feed

if TYPE_CHECKING:
    from .pipeline import Hub


@dataclass(frozen=True)
class Verdict:
    """One item of the source and what a pass would do with it."""

    entry: FeedEntry
    take: bool
    why: str  # the reason it is passed over, or what was found (topics) when taken


async def preview_source(
    hub: Hub, url: str, now: datetime, *, pages: bool = False, limit: int = 20
) -> tuple[str, list[Verdict]]:
    """(the feed URL read, a verdict per item, newest first); a web page's feed is found.

    Raises:
        EverydayError: the URL cannot be fetched, or is neither a feed nor links one.
    """
    settings = with_overrides(hub.settings, "collect", cache_images=False)  # store nothing
    look = replace(hub, settings=settings)
    async with Fetcher(settings.fetch) as fetcher:
        try:
            feed_url, feed = await _read(fetcher, url)
        except EverydayError as e:  # say which URL: most fetch errors name the reason only
            if url in str(e):
                raise
            raise EverydayError(f"{url}: {e}") from e
        newest = sorted(feed.entries, key=_newest_first)[: max(limit, 0)]
        verdicts = []
        for entry in newest:
            reason = passed_over(entry, look, now)
            if reason is not None:
                verdicts.append(Verdict(entry, False, reason))
            elif pages:
                verdicts.append(await _read_page(fetcher, look, entry, now))
            else:
                verdicts.append(Verdict(entry, True, "new"))
    return feed_url, verdicts


async def _read(fetcher: Fetcher, url: str) -> tuple[str, ParsedFeed]:
    resp = await fetcher.get(url)
    try:
        return resp.final_url, parse_feed(resp.content, resp.final_url, resp.content_type)
    except ParseError:
        found = discover_feeds(decode_text(resp), resp.final_url)
    if not found:
        raise ParseError(f"{url}: not a feed or sitemap, and the page links no feed")
    resp = await fetcher.get(found[0])
    return resp.final_url, parse_feed(resp.content, resp.final_url, resp.content_type)


async def _read_page(fetcher: Fetcher, hub: Hub, entry: FeedEntry, now: datetime) -> Verdict:
    """The article as a pass would build it: its topics, or why it would be skipped."""
    try:
        draft, text, _ = await draft_article(fetcher, hub, entry)
    except EverydayError as e:
        kind = "skipped" if is_lasting(e) else "skipped this time"
        return Verdict(entry, False, f"{kind}: {type(e).__name__}: {e}")
    record = build_record(draft, hub.taxonomy, hub.settings, now, hub.topic_model)
    if wants_topic(hub, entry) and not is_on_topic(record, text, hub.taxonomy):
        return Verdict(entry, False, NOT_ON_TOPIC)
    topics = [t for t in record.topics if t != hub.taxonomy.root]
    return Verdict(entry, True, f"new: {', '.join(topics) or hub.taxonomy.root}")


def _newest_first(entry: FeedEntry) -> float:
    when = entry.published or entry.updated
    return -when.timestamp() if when is not None else float("inf")
