"""The sample newswire: feeds parse, pages and images match the declared data, labels hold."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html import escape
from urllib.robotparser import RobotFileParser

import feedparser
import httpx
import pytest
from PIL import Image, UnidentifiedImageError

from everyday.demo import content
from everyday.demo.content import PROVIDER_BY_SLUG, PROVIDERS, build_articles
from everyday.demo.newswire import Newswire

BASE = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def wire():
    with Newswire(base=BASE, broken=False) as w:
        yield w


@pytest.fixture(scope="module")
def broken_wire():
    with Newswire(base=BASE) as w:  # broken=True is the default, as in the demo
        yield w


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=10) as c:
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
    assert len({a.image_size for a in arts}) >= 6
    assert all(BASE - timedelta(days=11) < a.published < BASE for a in arts)


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
        assert one.base_url != two.base_url
        assert httpx.get(one.opml_url).status_code == 200
        assert httpx.get(two.opml_url).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(one.opml_url, timeout=2)


def test_opml_sitemap_and_robots(wire, client):
    root = ET.fromstring(client.get(wire.opml_url).content)
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert urls == wire.feed_urls
    robots_txt = client.get(wire.base_url + "/robots.txt").text
    assert f"Sitemap: {wire.sitemap_url}" in robots_txt
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    sitemap = ET.fromstring(client.get(wire.sitemap_url).content)
    locs = {e.text for e in sitemap.findall("s:url/s:loc", ns)}
    assert locs == {a.canonical_url for a in wire.articles if a.provider == "harborhealth"}
    assert "news:publication_date" in client.get(wire.sitemap_url).text


def test_host_name_mode_picks_provider_from_host(wire, client):
    by_path = client.get(wire.feed_url("circuitledger"))
    by_host = client.get(wire.base_url + "/feed/", headers={"Host": "circuitledger.localhost"})
    assert by_host.status_code == 200 and by_host.content == by_path.content
    home = client.get(wire.base_url + "/", headers={"Host": "gearboxweekly.test"})
    assert "Gearbox Weekly" in home.text


def test_broken_items_fail_the_way_they_claim(broken_wire, client):
    items = {b.kind: b for b in broken_wire.broken_items}
    assert set(items) == {"gone", "pdf", "bad-image", "private", "redirect", "malformed-feed"}
    assert client.get(items["gone"].url).status_code == 404
    pdf = client.get(items["pdf"].url)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(client.get(items["bad-image"].url).content))
    robots = RobotFileParser()
    robots.parse(client.get(broken_wire.base_url + "/robots.txt").text.splitlines())
    assert not robots.can_fetch("everyday", items["private"].url)
    assert robots.can_fetch("everyday", broken_wire.articles[0].url)
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
