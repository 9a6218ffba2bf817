"""An editor's say over the hub's own decisions: publish, unpublish or pin one article.

The enrich stage decides ``published`` from quality and related coverage, and decides it
again whenever an article's story changes (a newcomer, ``everyday enrich --recompute``).
An editor who unpublishes an article (a wrong story, a takedown) or publishes one the
hub held back expects that to stick: the decision is kept in the index as a tag of the
article (``editor:published`` or ``editor:unpublished``, beside the story tag), the enrich
stage keeps it over its own, and a re-collected article keeps it. :func:`hand_back`
returns the decision to the hub, which decides at once. Pins (the lists' lead) live in
the index as well. ``everyday articles`` and the admin API both act through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .enrich.canonical import canonical_url
from .errors import EverydayError
from .models import Article
from .records.files import read_record

if TYPE_CHECKING:
    from .pipeline import Hub

EDITOR_TAG = "editor:"
_TAGS = {True: "editor:published", False: "editor:unpublished"}


class UnknownArticle(EverydayError):
    """No stored article is reached by this URL or record path."""


def editor_decision(tags: Iterable[str]) -> bool | None:
    """The editor's ``published`` decision among an article's tags (None: the hub's)."""
    for tag in tags:
        if tag == _TAGS[True]:
            return True
        if tag == _TAGS[False]:
            return False
    return None


def editor_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """The tags an editor set, which a re-collected article keeps."""
    return tuple(t for t in tags if t.startswith(EDITOR_TAG))


def with_decision(article: Article, published: bool | None) -> Article:
    """``article`` with the editor's decision set (its record's flag follows) or, with
    None, dropped (the record keeps its flag until the hub decides again)."""
    from .enrich_write import fingerprint  # which imports this module

    tags = tuple(t for t in article.tags if not t.startswith(EDITOR_TAG))
    record = article.record
    if published is not None:
        tags = (*tags, _TAGS[published])
        record = replace(record, is_published=published)
    return replace(article, record=record, tags=tags, fingerprint=fingerprint(record))


@dataclass(frozen=True)
class Outcome:
    """What an editor's action left: the article as stored and whether its file changed."""

    article: Article
    rewritten: bool


def find_article(hub: Hub, ref: str) -> Article:
    """The stored article named by a URL (any alias) or a record file path.

    Raises:
        UnknownArticle: nothing in the hub matches.
    """
    article = hub.store.get_article(ref) or hub.store.get_article(canonical_url(ref))
    if article is None and ref.endswith(".md"):
        path = Path(ref)
        path = path if path.exists() else hub.settings.hub_dir / ref
        if path.is_file():
            article = hub.store.get_article(read_record(path).web_url)
    if article is None:
        raise UnknownArticle(f"{ref}: no such article in this hub (give a URL or a record path)")
    return article


def decide(hub: Hub, ref: str, published: bool) -> Outcome:
    """Publish or unpublish by hand; the hub will not change it (see :func:`hand_back`)."""
    article = find_article(hub, ref)
    return _save(hub, article, with_decision(article, published))


def hand_back(hub: Hub, ref: str, now: datetime) -> Outcome:
    """Drop the editor's decision and let the enrich stage decide the article now."""
    from .enrichment import enrich_new  # the enrich stage: loaded only for this

    article = find_article(hub, ref)
    saved = _save(hub, article, with_decision(article, None))
    report = enrich_new(hub, [article.record.web_url], now)
    again = hub.store.get_article(article.record.web_url) or saved.article
    return Outcome(again, saved.rewritten or article.path in report.rewritten)


def decided(hub: Hub) -> list[Article]:
    """The articles whose ``published`` flag is an editor's, newest first."""
    return hub.store.get_tagged(EDITOR_TAG)


def pin(hub: Hub, ref: str, when: datetime | None) -> Article:
    """Pin (``when`` set: the lists' lead, newest pin first) or unpin an article."""
    article = find_article(hub, ref)
    with hub.store.transaction():
        hub.store.set_pinned(article.record.web_url, when)
    return article


def _save(hub: Hub, before: Article, after: Article) -> Outcome:
    from .enrich_write import write_articles

    if after == before:
        return Outcome(before, False)
    # Same record bytes, other tags: the index compares such an article in full.
    same = frozenset([after.record.web_url]) if after.fingerprint == before.fingerprint else None
    rewritten = write_articles(hub, [after], same or frozenset())
    return Outcome(after, bool(rewritten))
