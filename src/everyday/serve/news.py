"""Read endpoints: the static JSON API's paths and bytes, plus filters and search.

Without query parameters every list answers exactly what ``everyday build`` writes to
the same path (items by :func:`~everyday.publish.jsonapi.news_item`, pages by
:func:`~everyday.publish.jsonapi.page_text`), so a client can switch between the static
files and the live server. Parameters (all optional)::

    q            full-text search (see everyday.serve.search); relevance order by default
    topic        topic id or name          provider   domain, e.g. example.com
    from, to     YYYY-MM-DD or ISO 8601    minQuality 0-100
    published    true (default), false, any   (false/any need an API key)
    sort         date | heat | quality | relevance (with q)
    page         1, 2, ...                 pageSize   1 .. [serve] page_size_max

Pinned articles (admin) lead the date-ordered lists; with nothing pinned the lists are
the static ones byte for byte. A page past the end is a 404, as on a static host.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import StoreError
from ..models import Article
from ..publish.api import newsletters_index, providers_index, read_newsletters, topics_index
from ..publish.entries import Entry, absolute, item_api_path, news_topics
from ..publish.jsonapi import VALUE_INDENT, dumps, full_item_text, news_item, page_text
from ..store.search import ArticleQuery
from .auth import client_id, require_key
from .index import IndexReader
from .responses import ApiError, body_response
from .search import QueryError
from .state import Body, ServeState

log = logging.getLogger(__name__)

MAX_PINS = 50
_DIGITS = re.compile(r"^\d{1,9}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,200}$")
_DOMAIN = re.compile(r"^[a-z0-9.-]{1,253}$")
SORTS = {"date": "date", "heat": "heat", "quality": "quality", "relevance": "rank"}


@dataclass(frozen=True)
class ListParams:
    """A validated list request: what to find and which page of it."""

    query: ArticleQuery
    page: int
    size: int
    text: str | None = None  # the reader's search text, when searching

    @property
    def key(self) -> tuple[object, ...]:
        return (self.query, self.page, self.size)


def _int(request: Request, name: str, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not _DIGITS.match(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _when(request: Request, name: str, end: bool) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start  # `to` includes its day
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as e:
        raise ApiError(400, f"{name} must be a date (YYYY-MM-DD) or ISO 8601 time") from e
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _topic_name(state: ServeState, value: str) -> str:
    for topic in state.taxonomy.topics:
        if value in (topic.id, topic.name):
            return topic.name
    raise ApiError(400, f"unknown topic {value[:80]!r}; see /api/topics/index.json")


def parse_params(request: Request, state: ServeState, page: int, topic: str | None) -> ListParams:
    """Validate the query string of a list request.

    Raises:
        ApiError: 400 naming the bad parameter.
    """
    params = request.query_params
    serve = state.serve
    text = params.get("q") or None
    try:
        match = state.index.search_expression(text) if text is not None else None
    except QueryError as e:
        raise ApiError(400, f"q: {e}") from e
    sort = params.get("sort") or ("relevance" if match else "date")
    if sort not in SORTS or (SORTS[sort] == "rank" and match is None):
        raise ApiError(400, "sort must be date, heat, quality or relevance (with q)")
    published = {"true": True, "false": False, "any": None}.get(params.get("published", "true"))
    if published is None and params.get("published", "true") != "any":
        raise ApiError(400, "published must be true, false or any")
    provider = params.get("provider") or None
    if provider is not None and not _DOMAIN.match(provider.lower()):
        raise ApiError(400, "provider must be a domain name, e.g. example.com")
    if params.get("topic"):
        topic = _topic_name(state, params["topic"])
    page = _int(request, "page", 1, serve.max_page) or page
    size = _int(request, "pageSize", 1, serve.page_size_max) or state.settings.site.page_size
    query = ArticleQuery(
        match=match,
        topic=topic,
        provider=provider,
        since=_when(request, "from", end=False),
        until=_when(request, "to", end=True),
        min_quality=_int(request, "minQuality", 0, 100),
        published=published,
        sort=SORTS[sort],
    )
    return ListParams(query, page, size, text)


def list_page(reader: IndexReader, params: ListParams) -> tuple[list[Article], bool]:
    """The articles of one page and whether another follows; pins first in date order."""
    query, size = params.query, params.size
    offset = (params.page - 1) * size
    with reader.snapshot():
        pins: list[Article] = []
        if query.sort == "date" and query.match is None:
            pins = reader.find_articles(replace(query, pinned=True, limit=MAX_PINS))
            query = replace(query, pinned=False)
        head = pins[offset : offset + size]
        need = size - len(head)
        rest = reader.find_articles(
            replace(query, offset=max(0, offset - len(pins)), limit=need + 1)
        )
    return head + rest[:need], len(rest) > need or len(pins) > offset + size


def encode_page(state: ServeState, page: int, articles: list[Article], has_next: bool) -> Body:
    """The page in the static API's bytes."""
    site = state.settings.site
    values = [dumps(news_item(Entry(a.path, a.record), site), VALUE_INDENT) for a in articles]
    return Body.of(page_text(page, values, has_next))


def cache_control(state: ServeState, private: bool) -> str:
    """Lists change when a pass commits: at most every [collect] min_interval."""
    scope = "private" if private else "public"
    return f"{scope}, max-age={state.max_age}, stale-while-revalidate={state.max_age}"


async def cached(
    request: Request, state: ServeState, key: tuple[object, ...], build: object, private: bool
) -> Response:
    """Answer from the cache when the data has not changed since, else build and keep."""
    version = state.version()
    body = state.cache.get(version, key)
    if body is None:
        try:
            body = await state.read(build)  # type: ignore[arg-type]
        except StoreError as e:
            if "fts5" in str(e).lower() or "syntax" in str(e).lower():
                raise ApiError(400, "q: the search index cannot read this query") from e
            raise
        if body is None:
            raise ApiError(404, "no such page")
        state.cache.put(version, key, body)
    if not private and "q" not in request.query_params:  # searches stay rate limited
        raw = (request.scope["path"], request.scope.get("query_string", b""))
        state.raw_cache.put(version, raw, body)
    return body_response(
        request, body, cache_control(state, private), "Authorization" if private else ""
    )


async def news_list(request: Request) -> Response:
    """``/api/news/[<topic id>/][page/N/]index.json`` with the list parameters."""
    state: ServeState = request.app.state.serve
    topic_id = request.path_params.get("topic")
    topic = None
    if topic_id is not None:
        found = next((t for t in news_topics(state.taxonomy) if t.id == topic_id), None)
        if found is None:
            raise ApiError(404, f"no news pages for topic {topic_id[:80]!r}")
        topic = found.name
    page = _page(request)
    params = parse_params(request, state, page, topic)
    key_needed = state.serve.private_reads or params.query.published is not True
    if key_needed:
        await require_key(request, state, "read")
    if params.text is not None:
        await take_search_token(request, state)

    def build(reader: IndexReader) -> Body | None:
        articles, has_next = list_page(reader, params)
        if not articles and params.page > 1:
            return None
        return encode_page(state, params.page, articles, has_next)

    return await cached(request, state, ("news", *params.key), build, key_needed)


async def take_search_token(request: Request, state: ServeState) -> None:
    """Searches cost the server most: one token per search, by key or client address."""
    who = await client_id(request, state)
    decision = state.limiter.take("search", who, time.monotonic())
    if not decision.allowed:
        raise ApiError(
            429,
            f"too many searches; try again in {decision.retry_after} s",
            {"Retry-After": str(decision.retry_after)},
        )


def _page(request: Request) -> int:
    raw = request.path_params.get("page", "1")
    if not _DIGITS.match(raw) or int(raw) < 1:
        raise ApiError(404, "no such page")
    return int(raw)


async def news_item_view(request: Request) -> Response:
    """``/api/news/YYYY/MM/DD/<slug>/index.json``: the full record, as the static file."""
    state: ServeState = request.app.state.serve
    p = request.path_params
    year, month, day, slug = p["year"], p["month"], p["day"], p["slug"]
    if not (re.fullmatch(r"\d{4}", year) and re.fullmatch(r"\d{2}", month)):
        raise ApiError(404, "no such item")
    if not (re.fullmatch(r"\d{2}", day) and _SLUG.match(slug)):
        raise ApiError(404, "no such item")
    try:
        when = date(int(year), int(month), int(day))
    except ValueError as e:
        raise ApiError(404, "no such item") from e
    if state.serve.private_reads:
        await require_key(request, state, "read")
    wanted = f"api/news/{year}/{month}/{day}/{slug}/index.json"
    news_dir = state.settings.storage.news_dir.strip("/")
    path = f"{news_dir}/{year}-{month}-{day}-{slug}.md"
    site = state.settings.site

    def build(reader: IndexReader) -> Body | None:
        with reader.snapshot():
            found = reader.articles_by_path([path], None)
            if not found:  # a record file named outside the pattern: by date and title
                start = datetime(when.year, when.month, when.day, tzinfo=UTC)
                span = (start - timedelta(days=1), start + timedelta(days=2))
                found = reader.articles_by_path([], span)
        for article in found:
            entry = Entry(article.path, article.record)
            if item_api_path(entry) == wanted:
                text = dumps(news_item(entry, site), VALUE_INDENT)
                return Body.of(full_item_text(text, entry, absolute(site, wanted)))
        return None

    try:
        return await cached(request, state, ("item", wanted), build, state.serve.private_reads)
    except ApiError as e:
        if e.status_code == 404:
            raise ApiError(404, "no such item") from e
        raise


def _paged_rows(
    state: ServeState, rows: list[dict[str, object]], page: int, size: int
) -> Body | None:
    chunk = rows[(page - 1) * size : page * size]
    if not chunk and page > 1:
        return None
    values = [dumps(r, VALUE_INDENT) for r in chunk]
    return Body.of(page_text(page, values, page * size < len(rows)))


async def index_list(request: Request) -> Response:
    """``/api/{topics,providers,newsletters}/[page/N/]index.json``, as the static files."""
    state: ServeState = request.app.state.serve
    name = request.url.path.split("/")[2]
    if state.serve.private_reads:
        await require_key(request, state, "read")
    page = _int(request, "page", 1, state.serve.max_page) or _page(request)
    size = _int(request, "pageSize", 1, state.serve.page_size_max) or state.settings.site.page_size
    site, taxonomy = state.settings.site, state.taxonomy

    def build(reader: IndexReader) -> Body | None:
        if name == "topics":
            with reader.snapshot():
                counts = reader.topic_counts()
            rows = topics_index([], taxonomy, site)
            for row in rows:
                row["count"] = counts.get(str(row["name"]), 0)
        elif name == "providers":
            with reader.snapshot():
                newest = reader.provider_newest()
            rows = providers_index([Entry(a.path, a.record) for a, _ in newest], taxonomy, site)
            counts = {a.record.provider.domain.lower(): n for a, n in newest}
            for row in rows:
                row["count"] = counts[str(row["domain"])]
            rows.sort(key=lambda row: (-int(row["count"]), str(row["domain"])))
        else:
            rows = newsletters_index(read_newsletters(state.hub_dir))
        return _paged_rows(state, rows, page, size)

    key = (name, page, size, _newsletters_stamp(state) if name == "newsletters" else None)
    return await cached(request, state, key, build, state.serve.private_reads)


def _newsletters_stamp(state: ServeState) -> int:
    """Newsletters are files, not rows: their folder's mtime joins the cache key."""
    try:
        return (state.hub_dir / "_newsletters").stat().st_mtime_ns
    except OSError:
        return 0


async def story(request: Request) -> Response:
    """``/api/stories/<id>``: the published articles of one story cluster, newest first."""
    state: ServeState = request.app.state.serve
    raw = request.path_params["id"]
    if not _DIGITS.match(raw):
        raise ApiError(404, "no such story")
    if state.serve.private_reads:
        await require_key(request, state, "read")
    cluster = int(raw)
    site = state.settings.site

    def build(reader: IndexReader) -> Body | None:
        query = ArticleQuery(cluster_id=cluster, limit=state.serve.page_size_max)
        with reader.snapshot():
            articles = reader.find_articles(query)
        if not articles:
            return None
        items = [news_item(Entry(a.path, a.record), site) for a in articles]
        return Body.of(dumps({"id": cluster, "count": len(items), "value": items}))

    try:
        return await cached(request, state, ("story", cluster), build, state.serve.private_reads)
    except ApiError as e:
        if e.status_code == 404:
            raise ApiError(404, "no such story") from e
        raise


def routes() -> list[Route]:
    """The read routes, most specific first (``page`` is not a topic)."""
    return [
        Route("/api/news/index.json", news_list, methods=["GET", "HEAD"]),
        Route("/api/news/page/{page}/index.json", news_list, methods=["GET", "HEAD"]),
        Route(
            "/api/news/{year}/{month}/{day}/{slug}/index.json",
            news_item_view,
            methods=["GET", "HEAD"],
        ),
        Route("/api/news/{topic}/index.json", news_list, methods=["GET", "HEAD"]),
        Route("/api/news/{topic}/page/{page}/index.json", news_list, methods=["GET", "HEAD"]),
        Route("/api/stories/{id}", story, methods=["GET", "HEAD"]),
        Route("/api/stories/{id}/index.json", story, methods=["GET", "HEAD"]),
        *(
            Route(f"/api/{name}/{suffix}", index_list, methods=["GET", "HEAD"])
            for name in ("topics", "providers", "newsletters")
            for suffix in ("index.json", "page/{page}/index.json")
        ),
    ]
