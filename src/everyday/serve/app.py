"""The ASGI app of ``everyday serve``: live JSON API, admin, docs, and the built site.

    /api/...        read endpoints (everyday.serve.news), same paths as the static API
    /api/admin/...  write endpoints (everyday.serve.admin), API keys with scope admin
    /healthz        liveness + article count;  /openapi.json, /docs
    /unsubscribe    the newsletter's one-click unsubscribe (everyday.serve.unsubscribe)
    /               the static site folder (``_site/``) when it has been built

In front of everything, the fast path (:class:`FastPath`) answers public reads already
built since the last commit. Middleware, outermost first: query-string cap (414), CORS
for GET. API bodies are gzipped once and cached (:class:`~.state.Body`); the site and the
docs page go through Starlette's gzip. Every error is JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import StoreError
from ..settings import Settings, load_settings
from ..taxonomy import Taxonomy, load_taxonomy
from . import admin, news, unsubscribe
from .openapi import docs_page, openapi_document
from .responses import JSON, body_response, error_response, etag_matches
from .state import Body, ServeSettings, ServeState

log = logging.getLogger(__name__)


class QueryStringLimit:
    """414 for a query string over the cap, before routing or parsing spends on it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > self.max_bytes:
            message = f"query string over {self.max_bytes} bytes"
            await error_response(414, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class FastPath:
    """Public API reads already answered once since the last commit: sent straight from
    the raw cache (path + query string), before routing and middleware.

    Only what :func:`everyday.serve.news.cached` put in ``state.raw_cache`` is served
    here: public reads without search (searches are rate limited), never admin or private
    reads. It adds what the middleware would have (CORS, gzip, 304), so answers are the
    same either way; a test compares them. The header lists are built once per body.
    """

    def __init__(self, state: ServeState) -> None:
        self.state = state
        self.any_origin = state.serve.cors_origins == ("*",)
        self.cache_control = (
            f"public, max-age={state.max_age}, stale-while-revalidate={state.max_age}"
        ).encode()

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Send the cached answer and return True, or False to let the app answer."""
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return False
        body = self.state.raw_cache.get(
            self.state.version(), (scope["path"], scope.get("query_string", b""))
        )
        if body is None:
            return False
        inm = None
        gzip_ok = cors = False
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                inm = value.decode("latin-1")
            elif name == b"accept-encoding":
                gzip_ok = b"gzip" in value
            elif name == b"origin":
                cors = True
        if cors and not self.any_origin:
            return False  # the CORS middleware decides
        if inm is not None and etag_matches(inm, body.etag):
            headers = self._headers(body, cors)
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        gzip_ok = gzip_ok and body.gz is not None
        ok = body.headers.get((gzip_ok, cors))
        if ok is None:
            ok = body.headers[gzip_ok, cors] = self._ok_headers(body, gzip_ok, cors)
        # A copy: whatever wraps this app may edit the headers of the message in place.
        await send({"type": "http.response.start", "status": 200, "headers": list(ok)})
        data = body.gz if gzip_ok else body.data
        head = scope["method"] == "HEAD"
        await send({"type": "http.response.body", "body": b"" if head else data})
        return True

    def _headers(self, body: Body, cors: bool) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"etag", body.etag.encode()),
            (b"cache-control", self.cache_control),
            (b"vary", b"Accept-Encoding, Origin"),  # the CORS middleware always adds Origin
        ]
        if cors:
            headers += [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-expose-headers", b"ETag, Retry-After"),
            ]
        return headers

    def _ok_headers(self, body: Body, gzip_ok: bool, cors: bool) -> list[tuple[bytes, bytes]]:
        """The headers of a 200, kept on the body for next time."""
        headers = self._headers(body, cors)
        data = body.gz if gzip_ok else body.data
        assert data is not None
        if gzip_ok:
            headers.append((b"content-encoding", b"gzip"))
        headers += [(b"content-type", JSON.encode()), (b"content-length", b"%d" % len(data))]
        return headers


class ServeApp(Starlette):
    """Starlette, with the fast path in front of its middleware stack (``fast``: None
    when reads are private); everything else takes the usual way."""

    fast: FastPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.fast is not None and await self.fast.answer(scope, send):
            return
        await super().__call__(scope, receive, send)


async def http_error(request: Request, exc: Exception) -> Response:
    """Routing misses, bad methods and our ApiErrors, as JSON."""
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), exc.headers)


async def store_error(request: Request, exc: Exception) -> Response:
    """The database failed: 503, details in the log only."""
    log.error("store error path=%s error=%s", request.url.path, exc)
    return error_response(503, "the index is unavailable; try again shortly", {"Retry-After": "5"})


async def server_error(request: Request, exc: Exception) -> Response:
    """Anything unexpected: 500 without internals (the traceback goes to the log)."""
    log.exception("unhandled error path=%s", request.url.path, exc_info=exc)
    return error_response(500, "internal error")


async def healthz(request: Request) -> Response:
    """Alive, and the index answers."""
    state: ServeState = request.app.state.serve

    articles = await state.read(lambda reader: reader.count_all())
    body = json.dumps({"status": "ok", "articles": articles})
    return Response(body, media_type=JSON, headers={"Cache-Control": "no-store"})


def _version() -> str:
    try:
        return version("everyday")
    except PackageNotFoundError:  # running from a source tree
        return "0"


async def openapi_json(request: Request) -> Response:
    state: ServeState = request.app.state.serve
    document = openapi_document(state.settings.site.title, _version())
    body = Body.of(json.dumps(document, indent=2, ensure_ascii=False))
    return body_response(request, body, "public, max-age=3600")


async def docs(request: Request) -> Response:
    state: ServeState = request.app.state.serve
    return HTMLResponse(docs_page(openapi_document(state.settings.site.title, _version())))


def _gzip(app: ASGIApp) -> ASGIApp:
    """Starlette's gzip, for what is not a cached API body (those carry their own)."""
    return GZipMiddleware(app, minimum_size=500, compresslevel=6)


def create_app(
    settings: Settings,
    serve: ServeSettings | None = None,
    taxonomy: Taxonomy | None = None,
) -> Starlette:
    """The app for one hub; its state is open at once (``app.state.serve``), closed at
    lifespan shutdown or by ``app.state.serve.close()``.

    Raises:
        StoreError: the index cannot be opened or migrated (a server unreachable, say).
        ConfigError: the taxonomy is invalid, or the index backend cannot be used (an
            unknown one, PostgreSQL without psycopg or with a malformed dsn).
    """
    serve = serve or ServeSettings()
    taxonomy = taxonomy or load_taxonomy(settings.hub_dir, settings.site.topic)
    state = ServeState(settings, taxonomy, serve)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()

    routes: list[BaseRoute] = [
        *news.routes(),
        *admin.routes(),
        *unsubscribe.routes(),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/openapi.json", openapi_json, methods=["GET", "HEAD"]),
        Route("/docs", _gzip(request_response(docs)), methods=["GET", "HEAD"]),
    ]
    site = settings.path(serve.site_dir)
    if Path(site).is_dir():
        files = StaticFiles(directory=site, html=True)
        routes.append(Mount("/", app=_gzip(files), name="site"))
    middleware = [
        Middleware(QueryStringLimit, max_bytes=serve.max_query_bytes),
        Middleware(
            CORSMiddleware,
            allow_origins=list(serve.cors_origins),
            allow_methods=["GET", "HEAD"],
            allow_headers=["Authorization", "X-API-Key", "If-None-Match"],
            expose_headers=["ETag", "Retry-After"],
            max_age=86400,
        ),
    ]
    app = ServeApp(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            HTTPException: http_error,
            StoreError: store_error,
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    app.state.serve = state
    if not serve.private_reads:
        app.fast = FastPath(state)  # outermost: before the query-string cap
    log.info(
        "serve app ready hub=%s site=%s", settings.hub_dir, site if Path(site).is_dir() else None
    )
    return app


def app_from_environment() -> Starlette:
    """Factory for ``uvicorn --factory`` and worker processes: the hub in EVERYDAY_HUB."""
    import os

    from .state import load_serve_settings

    hub = Path(os.environ.get("EVERYDAY_HUB", "."))
    settings = load_settings(hub)
    return create_app(settings, load_serve_settings(settings))
