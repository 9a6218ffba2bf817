"""Write endpoints under ``/api/admin/``: sources, passes, articles. Admin keys only.

Every request is rate limited per client address (before the key is checked, so guessing
keys is slow) and per key, and every action is written to ``admin_log`` with the key,
the address, the time and the outcome. Bodies are JSON objects of at most
``[serve] max_body_bytes``; anything else is a 400 or 413 before any work is done.

Record changes (unpublish, publish, re-enrich) rewrite the record file first, then the
index, as a pass does (:func:`everyday.pipeline.save_article`), so a static rebuild and
the live API agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import editorial
from ..app import open_hub
from ..enrich.record import Draft, build_record
from ..enrichment import enrich_new
from ..errors import EverydayError
from ..models import Article, Source
from ..pipeline import Hub, keep_derived, run_pass
from ..records.files import write_record
from ..records.frontmatter import format_record
from ..settings import load_settings
from ..status import hub_status
from ..store import codec
from ..store.base import Store
from .auth import client_address, require_key
from .index import AdminEntry
from .keys import ApiKey
from .responses import ApiError, BodyTooLarge, read_capped
from .state import ServeState

log = logging.getLogger(__name__)

KINDS = ("feed", "sitemap", "page")


async def read_json(request: Request, state: ServeState) -> dict[str, Any]:
    """The body as a JSON object, read no further than the size cap.

    Raises:
        ApiError: 413 when too large, 400 when not a JSON object.
    """
    limit = state.serve.max_body_bytes
    try:
        raw = await read_capped(request, limit)
    except BodyTooLarge:
        raise ApiError(413, f"request body over {limit} bytes") from None
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ApiError(400, f"body is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ApiError(400, "body must be a JSON object")
    return data


def _text(data: dict[str, Any], name: str, max_length: int = 2048) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise ApiError(400, f"{name} must be a non-empty string of at most {max_length} characters")
    return value.strip()


def _url(data: dict[str, Any]) -> str:
    url = _text(data, "url")
    # No spaces or control characters (NUL, which no index column can hold, included).
    if not url.startswith(("http://", "https://")) or any(
        c.isspace() or not c.isprintable() for c in url
    ):
        raise ApiError(400, "url must be an http(s) URL")
    return url


def _printable(text: str) -> str:
    """A refused value as the log keeps it: control characters (NUL, which a PostgreSQL
    text column cannot hold, included) shown as U+FFFD."""
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(400, f"{name} must be true or false")
    return value


async def admin_key(request: Request, state: ServeState) -> ApiKey:
    """Rate limit by address, check the key, rate limit by key.

    Raises:
        ApiError: 429, 401 or 403.
    """
    now = time.monotonic()
    for kind, who in (("admin-address", client_address(request)),):
        _limit(state, kind, who, now)
    key = await require_key(request, state, "admin")
    _limit(state, "admin", key.id, now)
    return key


def _limit(state: ServeState, kind: str, who: str, now: float) -> None:
    decision = state.limiter.take(kind, who, now)
    if not decision.allowed:
        raise ApiError(
            429,
            f"too many admin requests; try again in {decision.retry_after} s",
            {"Retry-After": str(decision.retry_after)},
        )


def log_action(
    state: ServeState,
    key: ApiKey | None,
    client: str,
    action: str,
    target: str | None,
    status: int,
    detail: dict[str, Any],
) -> None:
    """One row of ``admin_log``, in the store's open transaction: who, from where, when,
    what, on what, how it went."""
    key_id = None if key is None else key.id
    at = datetime.now(UTC)
    state.index.log_action(AdminEntry(at, key_id, client, action, target, status, detail))


async def act(
    request: Request,
    action: str,
    work: Callable[[Store, dict[str, Any]], tuple[int, str | None, dict[str, Any]]],
) -> Response:
    """Authenticate, read the body, run ``work`` with the hub's store, log it, answer."""
    state: ServeState = request.app.state.serve
    key = await admin_key(request, state)
    data = await read_json(request, state) if request.method != "GET" else {}
    client = client_address(request)

    def run(store: Store) -> tuple[int, str | None, dict[str, Any]]:
        try:
            with store.transaction():
                status, target, result = work(store, data)
                log_action(state, key, client, action, target, status, result)
        except ApiError as e:  # refused actions are logged too, in their own transaction
            target = _printable(data["url"]) if isinstance(data.get("url"), str) else None
            with store.transaction():
                detail = {"error": e.detail}
                log_action(state, key, client, action, target, e.status_code, detail)
            raise
        return status, target, result

    status, target, result = await state.write(run)
    log.info(
        "admin action=%s key=%s client=%s target=%s status=%d",
        action,
        key.id,
        client,
        target,
        status,
    )
    return JSONResponse(result, status_code=status, headers={"Cache-Control": "no-store"})


# -- sources ---------------------------------------------------------------------------


async def add_source(request: Request) -> Response:
    """``POST /api/admin/sources`` ``{"url", "kind": "feed"}``: start polling a source."""
    state: ServeState = request.app.state.serve

    def work(store: Store, data: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        url, kind = _url(data), data.get("kind", "feed")
        if kind not in KINDS:
            raise ApiError(400, f"kind must be one of {', '.join(KINDS)}")
        source = Source(url=url, kind=kind, interval_seconds=state.settings.collect.interval)
        added = store.add_source(source)
        if kind == "feed":
            _config_sources(state, add=url)
        return (201 if added else 200), url, {"url": url, "kind": kind, "added": added}

    return await act(request, "source.add", work)


async def remove_source(request: Request) -> Response:
    """``POST /api/admin/sources/remove`` ``{"url"}``: stop polling (records stay)."""
    state: ServeState = request.app.state.serve

    def work(store: Store, data: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        url = _url(data)
        removed = store.delete_source(url)
        removed = _config_sources(state, remove=url) or removed
        if not removed:
            raise ApiError(404, f"no such source: {url}")
        return 200, url, {"url": url, "removed": True}

    return await act(request, "source.remove", work)


async def pause_source(request: Request) -> Response:
    """``POST /api/admin/sources/pause`` ``{"url", "paused": true}``: skip it in passes."""

    def work(store: Store, data: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        url, paused = _url(data), _flag(data, "paused", True)
        source = store.get_source(url)
        if source is None:
            raise ApiError(404, f"no such source: {url}")
        store.set_source(replace(source, paused=paused))
        return 200, url, {"url": url, "paused": paused}

    return await act(request, "source.pause", work)


async def list_sources(request: Request) -> Response:
    """``GET /api/admin/sources``: every source with its fetch state."""

    def work(store: Store, data: dict[str, Any]) -> tuple[int, None, dict[str, Any]]:
        rows = [
            {
                "url": s.url,
                "kind": s.kind,
                "title": s.title,
                "paused": s.paused,
                "errorCount": s.error_count,
                "lastError": s.last_error,
                "lastChecked": codec.encode_datetime(s.last_checked),
                "nextCheck": codec.encode_datetime(s.next_check),
            }
            for s in store.get_sources()
        ]
        return 200, None, {"value": rows}

    return await act(request, "source.list", work)


async def hub_status_of(request: Request) -> Response:
    """``GET /api/admin/status``: what ``everyday status --json`` prints, for monitoring."""
    state: ServeState = request.app.state.serve

    def work(store: Store, data: dict[str, Any]) -> tuple[int, None, dict[str, Any]]:
        return 200, None, hub_status(state.settings, store, datetime.now(UTC)).as_dict()

    return await act(request, "status", work)


def _config_sources(
    state: ServeState, *, add: str | None = None, remove: str | None = None
) -> bool:
    """Keep ``[sources] urls`` of everyday.toml in step (a pass re-adds what it lists)."""
    from ..hub import write_config_sources

    urls = list(load_settings(state.hub_dir).sources)
    if add is not None and add not in urls:
        write_config_sources(state.hub_dir, [*urls, add])
        return True
    if remove is not None and remove in urls:
        write_config_sources(state.hub_dir, [u for u in urls if u != remove])
        return True
    return False


# -- passes ----------------------------------------------------------------------------


def _pass_in_thread(state: ServeState, all_sources: bool) -> dict[str, Any]:
    """One pass with its own store and event loop, so the server keeps answering."""
    settings = replace(state.settings, sources=load_settings(state.hub_dir).sources)
    with open_hub(state.hub_dir, settings) as hub:
        summary = asyncio.run(run_pass(hub, all_sources=all_sources))
    return summary.counts()


async def _run_pass_task(state: ServeState, all_sources: bool) -> None:
    status = state.passes
    try:
        status["counts"] = await anyio.to_thread.run_sync(_pass_in_thread, state, all_sources)
        status["error"] = None
    except EverydayError as e:  # another pass holds the lock, a config error...
        log.warning("admin pass failed error=%s", e)
        status["error"] = str(e)
    finally:
        state.index.changed()  # its commits show at once, before "running" turns false
        status["running"] = False
        status["finished"] = codec.encode_datetime(datetime.now(UTC))


async def start_pass(request: Request) -> Response:
    """``POST /api/admin/pass`` ``{"all": false}``: run a pass in the background (202)."""
    state: ServeState = request.app.state.serve

    def work(store: Store, data: dict[str, Any]) -> tuple[int, None, dict[str, Any]]:
        all_sources = _flag(data, "all", False)
        if state.passes.get("running"):
            raise ApiError(409, "a pass is already running; see GET /api/admin/pass")
        started = codec.encode_datetime(datetime.now(UTC))
        state.passes.update(running=True, started=started, finished=None, all=all_sources)
        return 202, None, {"running": True, "started": started, "all": all_sources}

    response = await act(request, "pass.start", work)
    if response.status_code == 202:
        task = asyncio.get_running_loop().create_task(
            _run_pass_task(state, bool(state.passes.get("all")))
        )
        state.passes["task"] = task
        response.headers["Location"] = "/api/admin/pass"
    return response


async def pass_status(request: Request) -> Response:
    """``GET /api/admin/pass``: whether a pass runs, and how the last one went."""
    state: ServeState = request.app.state.serve
    await admin_key(request, state)
    status = {k: v for k, v in state.passes.items() if k != "task"}
    return JSONResponse(status, headers={"Cache-Control": "no-store"})


# -- articles --------------------------------------------------------------------------


def rewrite_article(state: ServeState, store: Store, article: Article, record: Any) -> Article:
    """Write the changed record file, then index it (with its new fingerprint)."""
    content = format_record(record)
    fingerprint = hashlib.sha256(content.encode("utf-8")).hexdigest()
    news_dir = state.settings.path(state.settings.storage.news_dir)
    write_record(news_dir, Path(article.path).name, record)
    changed = replace(article, record=record, fingerprint=fingerprint)
    store.add_article(changed)
    return changed


def _article(store: Store, data: dict[str, Any]) -> Article:
    url = _url(data)
    article = store.get_article(url)
    if article is None:
        raise ApiError(404, f"no article reached by {url}")
    return article


def _hub(state: ServeState, store: Store) -> Hub:
    return Hub(state.settings, state.taxonomy, store)


def _set_published(value: bool) -> Callable[..., Any]:
    async def endpoint(request: Request) -> Response:
        state: ServeState = request.app.state.serve

        def work(store: Store, data: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
            article = _article(store, data)
            url = article.record.web_url
            editorial.decide(_hub(state, store), url, value)  # kept over the hub's own
            return 200, url, {"url": url, "published": value, "by": "editor"}

        return await act(request, "article.publish" if value else "article.unpublish", work)

    return endpoint


async def hand_back(request: Request) -> Response:
    """``POST /api/admin/articles/auto`` ``{"url"}``: the hub decides ``published`` again
    (an editor's publish or unpublish no longer holds); it decides at once."""
    state: ServeState = request.app.state.serve

    def work(store: Store, data: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        url = _article(store, data).record.web_url
        record = editorial.hand_back(_hub(state, store), url, datetime.now(UTC)).article.record
        return 200, url, {"url": url, "published": record.is_published, "by": "hub"}

    return await act(request, "article.auto", work)


async def pin_article(request: Request) -> Response:
    """``POST /api/admin/articles/pin`` ``{"url", "pinned": true}``: lead the date lists."""
    state: ServeState = request.app.state.serve

    def work(store: Store, data: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        article, pinned = _article(store, data), _flag(data, "pinned", True)
        url = article.record.web_url
        # On the store's connection, so the pin commits with the action's log row.
        state.index.set_pinned(url, datetime.now(UTC) if pinned else None)
        return 200, url, {"url": url, "pinned": pinned}

    return await act(request, "article.pin", work)


async def enrich_article(request: Request) -> Response:
    """``POST /api/admin/articles/enrich`` ``{"url"}``: build the record again from what
    the index holds (excerpt, topics, provider), then decide it again as a pass would
    (topics, story, related, quality, heat, published; an editor's decision holds)."""
    state: ServeState = request.app.state.serve

    def work(store: Store, data: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
        article = _article(store, data)
        old = article.record
        draft = Draft(
            original_url=old.original_url or old.web_url,
            web_url=old.web_url,
            title=old.title,
            description=old.excerpt,
            text=article.text,
            published=old.published,
            site_name=old.provider.name,
            amp_url=old.amp_web_url,
            image=old.images[0] if old.images else None,
        )
        now = datetime.now(UTC)
        record = keep_derived(old, build_record(draft, state.taxonomy, state.settings, now))
        record = replace(record, published=old.published, images=old.images)
        if record != old:
            rewrite_article(state, store, article, record)
        hub = _hub(state, store)
        enrich_new(hub, [old.web_url], now, retopic=True)
        new = (store.get_article(old.web_url) or article).record
        return 200, old.web_url, {
            "url": old.web_url,
            "changed": new != old,
            "topics": list(new.topics),
            "quality": new.quality,
            "heat": new.heat,
            "published": new.is_published,
        }  # fmt: skip

    return await act(request, "article.enrich", work)


async def admin_log(request: Request) -> Response:
    """``GET /api/admin/log``: the latest admin actions, newest first."""
    state: ServeState = request.app.state.serve
    await admin_key(request, state)

    rows = await state.read(lambda reader: reader.admin_log(200))
    return JSONResponse({"value": rows}, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    """The admin routes."""
    return [
        Route("/api/admin/sources", add_source, methods=["POST"]),
        Route("/api/admin/sources", list_sources, methods=["GET"]),
        Route("/api/admin/sources/remove", remove_source, methods=["POST"]),
        Route("/api/admin/sources/pause", pause_source, methods=["POST"]),
        Route("/api/admin/pass", start_pass, methods=["POST"]),
        Route("/api/admin/pass", pass_status, methods=["GET"]),
        Route("/api/admin/status", hub_status_of, methods=["GET"]),
        Route("/api/admin/articles/unpublish", _set_published(False), methods=["POST"]),
        Route("/api/admin/articles/publish", _set_published(True), methods=["POST"]),
        Route("/api/admin/articles/auto", hand_back, methods=["POST"]),
        Route("/api/admin/articles/pin", pin_article, methods=["POST"]),
        Route("/api/admin/articles/enrich", enrich_article, methods=["POST"]),
        Route("/api/admin/log", admin_log, methods=["GET"]),
    ]
