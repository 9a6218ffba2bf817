"""What a list or search of the live API asks for (:class:`ArticleQuery`), as SQL conditions.

Both backends' read queries (:mod:`.search`, :mod:`.postgres_search`) filter alike: the
same fields, the same meaning. :func:`conditions` writes them once; each backend passes
its :class:`~.sql.Dialect` and the :class:`FilterWords` it words differently (booleans,
and the topic test: a table on SQLite, an array column on PostgreSQL). How a match is
found and ranked (FTS5, tsvector) stays with each backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .sql import Dialect

SORTS = ("date", "heat", "quality", "rank")


@dataclass(frozen=True)
class ArticleQuery:
    """What a list or search asks for; ``published=None`` means published or not."""

    match: str | None = None  # a safe FTS5 expression, or tsquery literal on PostgreSQL
    topic: str | None = None  # display name, as records carry it
    provider: str | None = None  # domain, any case
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    min_quality: int | None = None
    published: bool | None = True
    cluster_id: int | None = None
    pinned: bool | None = None  # True: pinned only; False: unpinned only
    sort: str = "date"
    offset: int = 0
    limit: int = 20


@dataclass(frozen=True)
class FilterWords:
    """The conditions on articles (``a``) that a backend words its own way."""

    published: str
    unpublished: str  # not published, or not known to be
    has_topic: str  # with one parameter, :attr:`topic` of the name
    topic: Callable[[str], Any]


def check_sort(query: ArticleQuery) -> None:
    """Refuse an order the backends do not know.

    Raises:
        ValueError: ``query.sort`` is unknown, or ``rank`` without a match.
    """
    if query.sort not in SORTS or (query.sort == "rank" and query.match is None):
        raise ValueError(f"cannot sort by {query.sort!r} here")


def conditions(
    query: ArticleQuery, dialect: Dialect, words: FilterWords
) -> tuple[list[str], list[Any]]:
    """The conditions on articles ``a`` of every filter of ``query`` but the match, and
    their parameters in order."""
    m = dialect.mark
    where: list[str] = []
    params: list[Any] = []
    if query.published is True:
        where.append(words.published)
    elif query.published is False:
        where.append(words.unpublished)
    if query.since is not None:
        where.append(f"a.published_utc >= {m}")
        params.append(dialect.instant(query.since))
    if query.until is not None:
        where.append(f"a.published_utc < {m}")
        params.append(dialect.instant(query.until))
    if query.min_quality is not None:
        where.append(f"a.quality >= {m}")
        params.append(query.min_quality)
    if query.provider is not None:
        where.append(f"a.provider_domain = {m}")
        params.append(query.provider.lower())
    if query.topic is not None:
        where.append(words.has_topic)
        params.append(words.topic(query.topic))
    if query.cluster_id is not None:
        where.append(f"a.cluster_id = {m}")
        params.append(query.cluster_id)
    if query.pinned is not None:
        where.append("a.pinned_utc IS NOT NULL" if query.pinned else "a.pinned_utc IS NULL")
    return where, params


def sql_where(where: list[str]) -> str:
    """A WHERE clause of all ``where`` (nothing when empty)."""
    return " WHERE " + " AND ".join(where) if where else ""
