"""A local news network on 127.0.0.1: the ``everyday demo`` source and the test fixture.

One stdlib HTTP server in a daemon thread serves eight invented providers, each with its
own feed format, page style, icons and ``/robots.txt``, plus an index page, ``/opml.xml``
and a Google News sitemap. Each provider has its own host name (``circuitledger.test``);
every link the network emits uses it, and the server tells providers apart by the Host
header (see :mod:`everyday.demo.addresses`). Clients pin those names to 127.0.0.1 with
:attr:`Newswire.hosts`. ``hostnames=False`` gives plain ``http://127.0.0.1:PORT/<slug>/``
URLs instead. Every response has an ETag and ``Last-Modified``; conditional requests get
``304 Not Modified``.

With ``broken=True`` (the default, as in the demo) the network also contains the defects a
collector must survive: a feed item that 404s, one that is a PDF, one whose image is not an
image, one behind a redirect, one under a robots-disallowed path, and a truncated feed.

Example::

    with Newswire(broken=False) as wire:
        settings = replace(FetchSettings(), allow_private=True, hosts=tuple(wire.hosts))
        async with Fetcher(settings) as fetcher:
            await fetcher.get(wire.feed_urls[0])
        wire.publish_more(2)  # feeds change, ETags change

Run standalone with ``python -m everyday.demo.newswire --port 8765``.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

from . import feeds, media, render
from .addresses import Addresses, server_path
from .content import (
    PROVIDER_BY_SLUG,
    PROVIDERS,
    ProviderSpec,
    WireArticle,
    broken_article,
    build_articles,
    default_base,
)
from .defects import (
    GONE_PATH,
    PDF_PATH,
    PRIVATE_PATH,
    REDIRECT_PATH,
    BrokenItem,
    broken_extras,
)
from .server import Handler, Response, Route, conditional, text_response

log = logging.getLogger(__name__)

SITEMAP_PROVIDER = "harborhealth"
MAX_FEED_ITEMS = 50


class Newswire:
    """The sample newswire server; see the module docstring."""

    def __init__(
        self,
        *,
        base: datetime | None = None,
        port: int = 0,
        broken: bool = True,
        hostnames: bool = True,
    ) -> None:
        """Prepare the network; ``base`` anchors article dates (default: now, to the hour).

        ``hostnames=False`` makes every URL ``http://127.0.0.1:PORT/<slug>/...``.
        """
        self.base = base.astimezone(UTC) if base else default_base()
        self.port = port
        self.broken = broken
        self.hostnames = hostnames
        self.addresses = Addresses(port, hostnames)
        self.request_log: list[tuple[str, str, dict[str, str]]] = []
        self._all = build_articles(self.base)
        self._published = {a.id for a in self._all if a.stage == 0}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes: dict[str, Route] = {}
        self.base_url = ""

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Bind 127.0.0.1 (port 0 = any free port) and serve in a daemon thread."""
        started = time.perf_counter()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._server.wire = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self.addresses = Addresses(self.port, self.hostnames)
        self.base_url = self.addresses.base_url
        self._rebuild()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        log.info(
            "newswire started url=%s hostnames=%s articles=%d broken=%s seconds=%.3f",
            self.base_url,
            self.hostnames,
            len(self._published),
            self.broken,
            time.perf_counter() - started,
        )

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Newswire:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests and the demo read ----------------------------------------------------

    @property
    def articles(self) -> list[WireArticle]:
        """Published articles with absolute URLs, oldest first (excludes broken items)."""
        return [self._abs(a) for a in self._all if a.id in self._published]

    @property
    def pending(self) -> list[WireArticle]:
        """Articles held back for :meth:`publish_more`, in the order they will appear."""
        return [self._abs(a) for a in self._all if a.id not in self._published]

    @property
    def hosts(self) -> list[str]:
        """``name=127.0.0.1`` entries for ``FetchSettings.hosts`` (empty without host names)."""
        return self.addresses.hosts

    @property
    def feed_urls(self) -> list[str]:
        """One feed per provider, in provider order (the order of the OPML file)."""
        return [self.feed_url(p.slug) for p in PROVIDERS]

    @property
    def index_url(self) -> str:
        """The network's index page, linking every provider."""
        return self.url("/")

    @property
    def opml_url(self) -> str:
        """The OPML file listing every provider feed."""
        return self.url("/opml.xml")

    @property
    def sitemap_url(self) -> str:
        """The Google News sitemap (one provider publishes one)."""
        return self.url(f"/{SITEMAP_PROVIDER}/news-sitemap.xml")

    def robots_url(self, slug: str | None = None) -> str:
        """The robots.txt of a provider's host (``None``: of the network's own host)."""
        return self.addresses.origin(slug) + "/robots.txt" if slug else self.url("/robots.txt")

    def feed_url(self, slug: str) -> str:
        """The feed URL of one provider."""
        return self.url(f"/{slug}/{PROVIDER_BY_SLUG[slug].feed_path}")

    def home_url(self, slug: str) -> str:
        """The front page of one provider."""
        return self.url(f"/{slug}/")

    def url(self, path: str) -> str:
        """The absolute URL of a server path (``/<slug>/...`` or shared), in this mode."""
        return self.addresses.url(path)

    @property
    def broken_items(self) -> list[BrokenItem]:
        """The deliberate defects (empty when ``broken=False``)."""
        if not self.broken:
            return []
        u = self.url
        moved = u(self._redirect_article().url)
        rows = [
            ("gone", "circuitledger", u(GONE_PATH), "skip: HTTP 404"),
            ("pdf", "harborhealth", u(PDF_PATH), "skip: not an HTML page"),
            ("bad-image", "synapsedaily", u(self._bad().image_url), "keep article, drop image"),
            ("private", "tickerside", u(PRIVATE_PATH), "skip: robots.txt disallows /private/"),
            ("redirect", "mercervalley", u(REDIRECT_PATH), f"follow 301 to {moved}"),
            ("malformed-feed", "northgate", self.feed_url("northgate"), "record a parse error"),
        ]
        return [BrokenItem(*row) for row in rows]

    def publish_more(self, n: int = 1) -> list[WireArticle]:
        """Publish the next ``n`` held-back articles; feeds (and their ETags) change."""
        with self._lock:
            fresh = [a for a in self._all if a.id not in self._published][:n]
            self._published |= {a.id for a in fresh}
        if self._server is not None:
            self._rebuild()
        log.info("newswire published n=%d left=%d", len(fresh), len(self.pending))
        return [self._abs(a) for a in fresh]

    # --- serving -------------------------------------------------------------------------

    def respond(self, method: str, target: str, headers: dict[str, str]) -> Response:
        """Answer one request (also usable without the socket, e.g. from a unit test).

        ``headers`` has lowercase names; ``host`` picks the provider for host-name URLs.
        """
        path = server_path(headers.get("host", ""), urlsplit(target).path)
        route = self._routes.get(path)
        resp = route() if route else Response(404, render.not_found_page().encode())
        return conditional(resp, headers)

    def _abs(self, a: WireArticle) -> WireArticle:
        return a.absolute(self.url)

    def _rebuild(self) -> None:
        """Recompute the route table (after start and after every publish)."""
        # Host-name mode serves the sitemap from its provider's host, so only that host's
        # robots.txt names it; without host names everything shares one robots.txt.
        robots = feeds.robots_txt([] if self.hostnames else [self.sitemap_url])
        opml = feeds.opml(self._opml_rows(), "Newswire demo")
        icon = media.render_icon("n", "N", (60, 60, 60), 32, "ICO")
        routes: dict[str, Route] = {
            "/": self._index,
            "/robots.txt": lambda: text_response(robots, "text/plain"),
            "/opml.xml": lambda: text_response(opml, "text/x-opml"),
            "/favicon.ico": lambda: Response(200, icon, "image/x-icon"),
        }
        for p in PROVIDERS:
            routes.update(self._provider_routes(p))
        for a in self._visible():
            routes[urlsplit(a.url).path] = self._page_route(a)
            routes[a.image_url] = self._image_route(a)
        if self.broken:
            routes.update(self._broken_routes())
        self._routes = routes

    def _visible(self) -> list[WireArticle]:
        items = [a for a in self._all if a.id in self._published]
        return items + ([self._bad()] if self.broken else [])

    def _provider_routes(self, p: ProviderSpec) -> dict[str, Route]:
        root = f"/{p.slug}/"

        def icon(size: int, fmt: str) -> Route:
            mime = "image/x-icon" if fmt == "ICO" else "image/png"
            data = media.render_icon(p.slug, p.name[0], p.color, size, fmt)
            return lambda: Response(200, data, mime)

        sitemaps = [self.sitemap_url] if p.slug == SITEMAP_PROVIDER else []
        robots = feeds.robots_txt(sitemaps)
        routes: dict[str, Route] = {
            root: lambda: self._home(p),
            root + "robots.txt": lambda: text_response(robots, "text/plain"),
            root + p.feed_path: lambda: self._feed(p),
            root + "favicon.ico": icon(32, "ICO"),
            root + "apple-touch-icon.png": icon(180, "PNG"),
            root + "icon-192.png": icon(192, "PNG"),
        }
        if p.slug == SITEMAP_PROVIDER:
            routes[root + "news-sitemap.xml"] = lambda: self._sitemap(p)
        return routes

    def _page_route(self, a: WireArticle) -> Route:
        def page() -> Response:
            p = PROVIDER_BY_SLUG[a.provider]
            others = [self._abs(o) for o in self._provider_items(p) if o.id != a.id][:5]
            html = render.article_page(
                self._abs(a), p, self.home_url(p.slug), self.feed_url(p.slug), others
            )
            return Response(200, html.encode(), last_modified=a.published)

        return page

    def _image_route(self, a: WireArticle) -> Route:
        p = PROVIDER_BY_SLUG[a.provider]
        mime = "image/png" if a.image_format == "PNG" else "image/jpeg"
        seed = a.syndicates or a.id  # syndicated copies reuse the original's picture

        def image() -> Response:
            data = media.render_image(seed, a.image_size, a.image_format, p.color, p.accent)
            return Response(200, data, mime, last_modified=a.published)

        return image

    def _provider_items(self, p: ProviderSpec) -> list[WireArticle]:
        """Published articles of one provider, newest first."""
        mine = [a for a in self._all if a.provider == p.slug and a.id in self._published]
        return sorted(mine, key=lambda a: a.published, reverse=True)

    def _feed_items(self, p: ProviderSpec) -> list[WireArticle]:
        items = [self._feed_view(a) for a in self._provider_items(p)]
        if self.broken:
            items += [x for x in self._broken_extras() if x.provider == p.slug]
        items.sort(key=lambda a: a.published, reverse=True)
        return [self._abs(a) for a in items[:MAX_FEED_ITEMS]]

    def _feed(self, p: ProviderSpec) -> Response:
        items = self._feed_items(p)
        body = feeds.FEED_RENDERERS[p.feed](p, items, self.home_url(p.slug), self.feed_url(p.slug))
        if self.broken and p.slug == "northgate":
            # A transfer cut off inside the last (extra) item: not well-formed XML, but
            # lenient parsers still recover the items before the cut.
            body = body[: body.rindex("<item>") + 40]
        ctype = feeds.FEED_TYPES[p.feed] + "; charset=utf-8"
        newest = items[0].published if items else self.base
        return Response(200, body.encode(), ctype, last_modified=newest)

    def _home(self, p: ProviderSpec) -> Response:
        items = [
            (a.url, a.title, f"{a.published:%Y-%m-%d}")
            for a in map(self._abs, self._provider_items(p))
        ]
        html = render.listing_page(p.name, p, self.home_url(p.slug), self.feed_url(p.slug), items)
        return Response(200, html.encode(), last_modified=self._newest())

    def _index(self) -> Response:
        rows = [(self.home_url(p.slug), p.name, p.tagline) for p in PROVIDERS]
        first = PROVIDERS[0]
        html = render.listing_page(
            "Newswire demo network", first, self.index_url, self.opml_url, rows
        )
        return Response(200, html.encode(), last_modified=self._newest())

    def _sitemap(self, p: ProviderSpec) -> Response:
        items = [self._abs(a) for a in self._provider_items(p)]
        return text_response(feeds.news_sitemap(p, items), "application/xml", self._newest())

    def _opml_rows(self) -> list[tuple[ProviderSpec, str, str]]:
        return [(p, self.feed_url(p.slug), self.home_url(p.slug)) for p in PROVIDERS]

    def _newest(self) -> datetime:
        return max(a.published for a in self._all if a.id in self._published)

    # --- deliberate defects --------------------------------------------------------------

    def _bad(self) -> WireArticle:
        return broken_article(self.base)

    def _redirect_article(self) -> WireArticle:
        return next(a for a in self._all if a.id == "mv-council-face-ban")

    def _feed_view(self, a: WireArticle) -> WireArticle:
        """The article as its feed announces it (one goes through a redirect when broken)."""
        if self.broken and a.id == "mv-council-face-ban":
            return replace(a, feed_url=REDIRECT_PATH)
        return a

    def _broken_extras(self) -> list[WireArticle]:
        return broken_extras(self._bad(), self.base)

    def _broken_routes(self) -> dict[str, Route]:
        redirect = self._redirect_article()
        private = next(x for x in self._broken_extras() if x.id == "ts-private")
        pdf = media.pdf_bytes("Clinical AI readiness")
        return {
            self._bad().image_url: lambda: Response(
                200, b"<html><body>Image temporarily unavailable</body></html>", "image/jpeg"
            ),
            PDF_PATH: lambda: Response(200, pdf, "application/pdf"),
            PRIVATE_PATH: self._page_route(private),
            REDIRECT_PATH: lambda: Response(301, location=self._abs(redirect).url),
        }


def main(argv: list[str] | None = None) -> None:
    """Serve the newswire until interrupted and print the feed URLs (CLI layer)."""
    parser = argparse.ArgumentParser(description="Serve the everyday sample newswire.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--clean", action="store_true", help="leave out the broken items")
    parser.add_argument("--more", type=int, default=0, help="publish N held-back articles")
    parser.add_argument(
        "--no-hostnames", action="store_true", help="use http://127.0.0.1:PORT/<slug>/ URLs"
    )
    args = parser.parse_args(argv)
    wire = Newswire(port=args.port, broken=not args.clean, hostnames=not args.no_hostnames)
    wire.start()
    wire.publish_more(args.more) if args.more else None
    print(f"Newswire at {wire.base_url}  ({len(wire.articles)} articles)")
    print(f"OPML: {wire.opml_url}")
    for url in wire.feed_urls:
        print(f"  {url}")
    if wire.hosts:
        names = [h.partition("=")[0] for h in wire.hosts]
        print("Host names resolve nowhere; pin them to 127.0.0.1, e.g.")
        print(f"  curl --resolve {names[0]}:{wire.port}:127.0.0.1 {wire.feed_urls[0]}")
        print(
            "or in everyday.toml: [fetch] hosts = [" + ", ".join(f'"{h}"' for h in wire.hosts) + "]"
        )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        wire.stop()


if __name__ == "__main__":
    main()
