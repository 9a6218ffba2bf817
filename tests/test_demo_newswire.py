"""The sample newswire: feeds parse, pages and images match the declared data, labels hold.

Provider URLs use host names (``circuitledger.test``) that resolve nowhere: the client here
connects to 127.0.0.1 and sends the name in the Host header, as ``curl --resolve`` does.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html import escape
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import feedparser
import httpx
import pytest
from PIL import Image, UnidentifiedImageError

from everyday.demo import content
from everyday.demo.addresses import NETWORK_DOMAIN
from everyday.demo.content import PROVIDER_BY_SLUG, PROVIDERS, build_articles
from everyday.demo.newswire import Newswire
from everyday.errors import RobotsDisallowed
from everyday.fetch.http import Fetcher
from everyday.settings import FetchSettings

BASE = datetime(2026, 3, 10, 12, tzinfo=UTC)
LOOPBACK = "127.0.0.1"
URL_RE = re.compile(r"https?://[^\s\"'<>)]+")


class LoopbackTransport(httpx.BaseTransport):
    """Send ``http://name:port/path`` to 127.0.0.1:port, keeping ``Host: name:port``.

    Redirects pass through here too, so every hop is pinned. Names outside ``hosts``
    are refused rather than resolved: these tests never leave the machine.
    """

    def __init__(self, hosts: Iterable[str]) -> None:
        self._names = {entry.partition("=")[0] for entry in hosts} | {LOOPBACK}
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host not in self._names:
            raise httpx.ConnectError(f"{request.url.host} is not a newswire host", request=request)
        # The Host header was set from the original URL when the request was built.
        request.url = request.url.copy_with(host=LOOPBACK)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def loopback_client(hosts: Iterable[str]) -> httpx.Client:
    """An httpx client that reaches the newswire's host names on 127.0.0.1."""
    return httpx.Client(transport=LoopbackTransport(hosts), timeout=10)


def fetch_settings(wire: Newswire) -> FetchSettings:
    """Fetch settings with the wire's names pinned to 127.0.0.1 and loopback allowed."""
    return dataclasses.replace(
        FetchSettings(), allow_private=True, hosts=tuple(wire.hosts), retries=0, timeout=5.0
    )


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


@pytest.fixture(scope="module")
def wire():
    with Newswire(base=BASE, broken=False) as w:
        yield w


@pytest.fixture(scope="module")
def broken_wire():
    with Newswire(base=BASE) as w:  # broken=True is the default, as in the demo
        yield w


@pytest.fixture(scope="module")
def client(wire: Newswire) -> Iterator[httpx.Client]:
    with loopback_client(wire.hosts) as c:
        yield c


def _entries(client: httpx.Client, url: str) -> list[dict[str, str]]:
    """Feed items as (link, title) dicts, whatever the format."""
    resp = client.get(url)
    assert resp.status_code == 200
    if url.endswith(".json"):
        data = resp.json()
        assert data["version"] == "https://jsonfeed.org/version/1.1"
        return [{"link": i["url"], "title": i["title"]} for i in data["items"]]
    parsed = feedparser.parse(resp.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [{"link": e.link, "title": e.title} for e in parsed.entries]


def test_network_size_and_text_lengths(wire):
    arts = wire.articles
    assert 6 <= len(PROVIDERS) <= 8
    assert 55 <= len(arts) <= 70
    assert {a.provider for a in arts} == {p.slug for p in PROVIDERS}
    assert all(300 <= a.words <= 900 for a in arts), [(a.id, a.words) for a in arts]
    assert len({a.url for a in arts}) == len(arts)
    for a in arts:
        domain = PROVIDER_BY_SLUG[a.provider].domain
        assert {host_of(a.url), host_of(a.feed_url), host_of(a.image_url)} == {domain}, a.id
        owner = a.provider if a.is_canonical else every_article()[a.canonical_id].provider
        assert host_of(a.canonical_url) == PROVIDER_BY_SLUG[owner].domain, a.id
        assert urlsplit(a.url).port == wire.port
    assert len({a.image_size for a in arts}) >= 6
    assert all(BASE - timedelta(days=11) < a.published < BASE for a in arts)


def every_article() -> dict[str, content.WireArticle]:
    return {a.id: a for a in build_articles(BASE)}


def test_hosts_pin_every_provider_name_to_loopback(wire):
    assert wire.hosts == [f"{p.domain}={LOOPBACK}" for p in PROVIDERS] + [
        f"{NETWORK_DOMAIN}={LOOPBACK}"
    ]
    assert [host_of(u) for u in wire.feed_urls] == [p.domain for p in PROVIDERS]
    assert host_of(wire.opml_url) == NETWORK_DOMAIN
    assert host_of(wire.sitemap_url) == PROVIDER_BY_SLUG["harborhealth"].domain


def test_content_is_deterministic():
    first = build_articles.__wrapped__(BASE)
    again = build_articles.__wrapped__(BASE)
    assert [(a.id, a.text, a.title, a.url) for a in first] == [
        (a.id, a.text, a.title, a.url) for a in again
    ]
    later = build_articles.__wrapped__(BASE + timedelta(days=3))
    assert [a.title for a in later] == [a.title for a in first]  # same year, same titles
    assert later[0].published == first[0].published + timedelta(days=3)


def test_every_feed_parses_and_lists_its_provider_articles(wire, client):
    kinds = set()
    for p in PROVIDERS:
        entries = _entries(client, wire.feed_url(p.slug))
        mine = [a for a in wire.articles if a.provider == p.slug]
        assert len(entries) == len(mine)
        assert {e["link"] for e in entries} == {a.feed_url for a in mine}
        kinds.add(p.feed.split("-")[0])
    assert kinds == {"rss2", "rss1", "atom", "jsonfeed"}


def test_rss_items_carry_media_and_enclosures(wire, client):
    parsed = feedparser.parse(client.get(wire.feed_url("circuitledger")).content)
    by_link = {a.feed_url: a for a in wire.articles}
    for e in parsed.entries:
        art = by_link[e.link]
        assert e.media_content[0]["url"] == art.image_url
        assert (int(e.media_content[0]["width"]), int(e.media_content[0]["height"])) == (
            art.image_size
        )
        assert e.enclosures[0]["href"] == art.image_url
        assert "utm_source=rss" in e.link and "utm_" not in art.canonical_url


def test_conditional_get_answers_304(wire, client):
    url = wire.feed_url("mercervalley")
    first = client.get(url)
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    older = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200
    logged = [h for m, path, h in wire.request_log if url.endswith(path)]
    assert any(h.get("if-none-match") == tag for h in logged)


def test_images_decode_at_declared_sizes(wire, client):
    for a in wire.articles:
        resp = client.get(a.image_url)
        assert resp.status_code == 200
        img = Image.open(io.BytesIO(resp.content))
        assert img.size == a.image_size, a.id
        assert img.format == a.image_format


def test_provider_icons_decode(wire, client):
    for p in PROVIDERS:
        home = wire.home_url(p.slug)
        touch = Image.open(io.BytesIO(client.get(home + "apple-touch-icon.png").content))
        assert touch.size == (180, 180) and touch.format == "PNG"
        ico = Image.open(io.BytesIO(client.get(home + "favicon.ico").content))
        assert ico.format == "ICO"


def test_article_pages_carry_canonical_text_and_metadata(wire, client):
    styles = Counter()
    for a in wire.articles:
        resp = client.get(a.feed_url, follow_redirects=True)
        assert resp.status_code == 200
        html = resp.text
        assert f'<link rel="canonical" href="{escape(a.canonical_url)}">' in html
        for para in a.text.split("\n\n"):
            assert escape(para) in html
        meta = PROVIDER_BY_SLUG[a.provider].meta
        styles[meta] += 1
        name = escape(PROVIDER_BY_SLUG[a.provider].name)
        assert f'<meta property="og:site_name" content="{name}">' in html
        assert ('<meta property="og:title"' in html) == meta.startswith("og")
        blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        assert bool(blocks) == ("jsonld" in meta)
        for block in blocks:
            data = json.loads(block)
            nodes = data.get("@graph", [data])
            news = [n for n in nodes if n["@type"] == "NewsArticle"]
            assert news[0]["headline"] == a.title
            assert news[0]["image"]["width"] == a.image_size[0]
    assert {"og+jsonld", "jsonld-graph", "og", "jsonld", "none"} <= set(styles)


def test_labels_reference_existing_articles():
    every = {a.id: a for a in build_articles(BASE)}
    for story, ids in content.STORIES.items():
        assert 2 <= len(ids) <= 5, story
        assert all(i in every for i in ids)
        assert len({every[i].provider for i in ids}) == len(ids), story
        assert all(every[i].story == story for i in ids)
    multi = [s for s, ids in content.STORIES.items() if len(ids) >= 3]
    assert len(content.STORIES) >= 10 and len(multi) >= 5
    for subject, ids in content.SUBJECTS.items():
        events = {every[i].event for i in ids}
        assert len(events) >= 3, subject
        times = [every[i].published for i in ids]
        assert max(times) - min(times) <= timedelta(days=7), subject
    assert 2 <= len(content.SYNDICATED) <= 3
    for original, copy in content.SYNDICATED:
        a, b = every[original], every[copy]
        assert a.provider != b.provider and b.text.startswith(a.text)
        assert any({original, copy} <= set(ids) for ids in content.STORIES.values())
    roundups = [every[i] for i in content.ROUNDUPS]
    assert len({r.title for r in roundups}) == 1 and len({r.text for r in roundups}) == 3
    assert all("CAGR" in every[i].title or "Market Size" in every[i].title for i in content.SPAM)


def test_publish_more_changes_feed_and_etag(client):
    with Newswire(base=BASE, broken=False) as w:
        url = w.feed_url("synapsedaily")
        before = client.get(url)
        pending = [a.id for a in w.pending]
        fresh = w.publish_more(len(pending))
        assert [a.id for a in fresh] == pending and w.pending == []
        after = client.get(url, headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
        assert parsedate_to_datetime(after.headers["last-modified"]) > parsedate_to_datetime(
            before.headers["last-modified"]
        )
        new_links = {i["url"] for i in after.json()["items"]} - {
            i["url"] for i in before.json()["items"]
        }
        assert new_links == {a.feed_url for a in fresh if a.provider == "synapsedaily"}
        assert client.get(fresh[0].url).status_code == 200


def test_two_servers_in_one_process():
    with Newswire(base=BASE, broken=False) as one, Newswire(base=BASE, broken=False) as two:
        assert one.base_url != two.base_url and one.opml_url != two.opml_url
        with loopback_client(one.hosts) as c:
            assert c.get(one.opml_url).status_code == 200
            assert c.get(two.opml_url).status_code == 200
    with loopback_client(one.hosts) as c, pytest.raises(httpx.ConnectError):
        c.get(one.opml_url, timeout=2)


def test_opml_sitemap_and_robots(wire, client):
    root = ET.fromstring(client.get(wire.opml_url).content)
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert urls == wire.feed_urls
    homes = [o.get("htmlUrl") for o in root.iter("outline") if o.get("htmlUrl")]
    assert homes == [wire.home_url(p.slug) for p in PROVIDERS]
    index = client.get(wire.index_url).text
    assert all(f'href="{home}"' in index for home in homes)
    for p in PROVIDERS:  # every provider host answers its own robots.txt
        robots_txt = client.get(wire.robots_url(p.slug)).text
        assert "Disallow: /private/" in robots_txt
        assert (f"Sitemap: {wire.sitemap_url}" in robots_txt) == (p.slug == "harborhealth")
    assert client.get(wire.robots_url()).status_code == 200  # the network's own host
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    sitemap = ET.fromstring(client.get(wire.sitemap_url).content)
    locs = {e.text for e in sitemap.findall("s:url/s:loc", ns)}
    assert locs == {a.canonical_url for a in wire.articles if a.provider == "harborhealth"}
    assert "news:publication_date" in client.get(wire.sitemap_url).text


def test_router_accepts_host_names_and_path_prefixes(wire, client):
    by_host = client.get(wire.feed_url("circuitledger"))
    assert by_host.status_code == 200
    by_prefix = client.get(wire.base_url + "/circuitledger/feed/")  # Host: 127.0.0.1:PORT
    alias = client.get(wire.base_url + "/feed/", headers={"Host": "circuitledger.localhost"})
    assert by_prefix.content == by_host.content == alias.content
    prefix_on_host = client.get(wire.home_url("circuitledger") + "circuitledger/feed/")
    assert prefix_on_host.content == by_host.content
    home = client.get(wire.base_url + "/", headers={"Host": "gearboxweekly.test"})
    assert "Gearbox Weekly" in home.text
    # a provider's host serves only that provider
    other = urlsplit(wire.feed_url("mercervalley")).path
    assert client.get(wire.home_url("circuitledger") + other.lstrip("/")).status_code == 404
    assert client.get(wire.home_url("circuitledger") + "mercervalley/atom.xml").status_code == 404


def _own_urls(text: str, port: int) -> set[str]:
    """URLs in a body that point at the newswire (any host on its port; not share links)."""
    return {u for u in URL_RE.findall(text) if urlsplit(u).port == port}


def test_documents_link_only_host_names(broken_wire):
    """No feed, page, OPML, sitemap or robots.txt leaks a 127.0.0.1 URL or another's host."""
    w = broken_wire
    every = every_article()
    with loopback_client(w.hosts) as c:
        for p in PROVIDERS:
            domain = p.domain
            feed = c.get(w.feed_url(p.slug)).text.replace("&amp;", "&")
            assert {host_of(u) for u in _own_urls(feed, w.port)} == {domain}, p.slug
            home = c.get(w.home_url(p.slug)).text
            assert {host_of(u) for u in _own_urls(home, w.port)} == {domain}, p.slug
        for a in w.articles:
            page = c.get(a.url).text
            hosts = {host_of(u) for u in _own_urls(page, w.port)}
            domain = PROVIDER_BY_SLUG[a.provider].domain
            if a.is_canonical:
                assert hosts == {domain}, a.id
            else:  # the copy names the original, on the original's host, as canonical
                original = PROVIDER_BY_SLUG[every[a.canonical_id].provider].domain
                assert hosts == {domain, original}, a.id
        for url in (w.opml_url, w.index_url, w.sitemap_url, w.robots_url("harborhealth")):
            text = c.get(url).text
            assert LOOPBACK not in text and _own_urls(text, w.port), url


def test_canonical_label_names_the_original():
    every = every_article()
    assert content.CANONICAL_ELSEWHERE == {"mv-ambient-scribes": "hh-ambient-scribes"}
    for copy_id, original_id in content.CANONICAL_ELSEWHERE.items():
        copy, original = every[copy_id], every[original_id]
        assert (original_id, copy_id) in content.SYNDICATED
        assert copy.canonical_id == original_id and not copy.is_canonical
        assert original.is_canonical and copy.canonical_url == original.url
        assert copy.provider != original.provider
    others = [every[c] for _, c in content.SYNDICATED if c not in content.CANONICAL_ELSEWHERE]
    assert others and all(a.is_canonical and a.canonical_url == a.url for a in others)


def test_everyday_fetcher_reaches_host_names(broken_wire):
    """everyday's own HTTP seam, with ``hosts`` pinned, fetches feeds, pages and robots."""
    w = broken_wire
    items = {b.kind: b for b in w.broken_items}
    article = next(a for a in w.articles if a.provider == "tickerside")

    async def go() -> None:
        async with Fetcher(fetch_settings(w)) as f:
            feed = await f.get(w.feed_url("tickerside"))
            assert feed.status == 200 and feed.content_type == "application/atom+xml"
            assert article.feed_url in feed.content.decode().replace("&amp;", "&")
            page = await f.get(article.feed_url)
            assert page.status == 200
            assert f'<link rel="canonical" href="{escape(article.canonical_url)}">' in (
                page.content.decode()
            )
            moved = await f.get(items["redirect"].url)
            assert host_of(moved.final_url) == PROVIDER_BY_SLUG["mercervalley"].domain
            assert moved.final_url in {a.url for a in w.articles}
            with pytest.raises(RobotsDisallowed):  # tickerside.test's robots.txt
                await f.get(items["private"].url)

    w.request_log.clear()
    asyncio.run(go())
    hosts = {h["host"] for _, _, h in w.request_log}
    assert hosts == {f"{d}:{w.port}" for d in ("tickerside.test", "mercervalleytribune.test")}
    assert ("GET", "/robots.txt") in {(m, path) for m, path, _ in w.request_log}


def test_plain_loopback_urls_without_hostnames():
    with Newswire(base=BASE, broken=True, hostnames=False) as w:
        assert w.hosts == []
        urls = [*w.feed_urls, w.opml_url, w.sitemap_url, *(b.url for b in w.broken_items)]
        urls += [u for a in w.articles for u in (a.url, a.canonical_url, a.image_url)]
        assert all(u.startswith(w.base_url + "/") for u in urls)
        assert w.feed_url("circuitledger") == f"{w.base_url}/circuitledger/feed/"
        with httpx.Client(timeout=10) as c:  # plain 127.0.0.1 URLs need no pinning
            feed = c.get(w.feed_url("circuitledger")).text
            assert _own_urls(feed, w.port) and all(
                host_of(u) == LOOPBACK for u in _own_urls(feed, w.port)
            )
            robots_txt = c.get(w.base_url + "/robots.txt").text
            assert f"Sitemap: {w.sitemap_url}" in robots_txt
            robots = RobotFileParser()
            robots.parse(robots_txt.splitlines())
            private = next(b for b in w.broken_items if b.kind == "private")
            assert not robots.can_fetch("everyday", private.url)
            assert c.get(w.articles[0].url).status_code == 200


def test_broken_items_fail_the_way_they_claim(broken_wire, client):
    items = {b.kind: b for b in broken_wire.broken_items}
    assert all(host_of(b.url) == PROVIDER_BY_SLUG[b.provider].domain for b in items.values())
    assert set(items) == {"gone", "pdf", "bad-image", "private", "redirect", "malformed-feed"}
    assert client.get(items["gone"].url).status_code == 404
    pdf = client.get(items["pdf"].url)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(client.get(items["bad-image"].url).content))
    robots = RobotFileParser()
    robots.parse(client.get(broken_wire.robots_url("tickerside")).text.splitlines())
    assert not robots.can_fetch("everyday", items["private"].url)
    ticker = [a for a in broken_wire.articles if a.provider == "tickerside"]
    assert ticker and all(robots.can_fetch("everyday", a.url) for a in ticker)
    moved = client.get(items["redirect"].url)
    assert moved.status_code == 301
    assert moved.headers["location"] in {a.url for a in broken_wire.articles}
    truncated = feedparser.parse(client.get(items["malformed-feed"].url).content)
    assert truncated.bozo
    readable = {e.get("link") for e in truncated.entries}
    assert {a.feed_url for a in broken_wire.articles if a.provider == "northgate"} <= readable
    feed_links = set()
    for p in PROVIDERS[:6]:
        feed_links |= {e["link"] for e in _entries(client, broken_wire.feed_url(p.slug))}
    for kind in ("gone", "pdf", "private", "redirect"):
        assert items[kind].url in feed_links, kind


def test_clean_mode_has_no_broken_items(wire, client):
    assert wire.broken_items == []
    parsed = feedparser.parse(client.get(wire.feed_url("northgate")).content)
    assert not parsed.bozo and len(parsed.entries) >= 3


def test_respond_without_socket():
    w = Newswire(base=BASE, broken=False)
    w.start()
    try:
        resp = w.respond("GET", "/opml.xml", {})
        assert resp.status == 200 and resp.etag
        assert w.respond("GET", "/opml.xml", {"if-none-match": resp.etag}).status == 304
        assert w.respond("GET", "/nope", {}).status == 404
    finally:
        w.stop()
