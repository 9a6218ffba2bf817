"""Feeds out (everyday.publish.feeds): RSS 2.0 + Media RSS, Atom 1.0, JSON Feed 1.1."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from everyday.publish import Output
from everyday.publish.feeds import ATOM, FEED_SIZE, MEDIA, NAMESPACE, build_feeds, clean
from everyday.taxonomy import load_taxonomy
from publish_samples import (
    HOSTILE,
    age_files,
    corpus_entries,
    entry,
    make_record,
    mtimes,
    powerapps_site,
    related,
    run,
)

A = f"{{{ATOM}}}"
E = f"{{{NAMESPACE}}}"
SETS = ("", "topics/drones/", "topics/arms/")


def build(entries: list, root: Path):  # type: ignore[no-untyped-def]
    return run(build_feeds, entries, root)


def parse_ok(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return parsed


def check_rss(path: Path) -> etree._Element:
    """RSS 2.0 required elements: channel title/link/description; item title/link/guid/pubDate."""
    root = etree.fromstring(path.read_bytes())
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for tag in ("title", "link", "description"):
        assert channel.findtext(tag), tag
    for item in channel.findall("item"):
        for tag in ("title", "link", "guid", "pubDate"):
            assert item.findtext(tag), tag
    return root


def check_atom(path: Path) -> etree._Element:
    """Atom (RFC 4287 §4.1.1-2): feed id/title/updated/author; entry id/title/updated/link."""
    root = etree.fromstring(path.read_bytes())
    assert root.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        assert root.findtext(A + tag), tag
    assert root.find(f"{A}author/{A}name") is not None
    for item in root.findall(A + "entry"):
        for tag in ("id", "title", "updated"):
            assert item.findtext(A + tag), tag
        assert item.find(A + "link").get("href")
    return root


def check_json(path: Path) -> dict:
    """JSON Feed 1.1: version, title, items each with id, url, date_published and content."""
    text = path.read_text(encoding="utf-8")
    feed = json.loads(text)
    # Exactly the stdlib's two-space form (the feed is encoded by publish.jsonapi.dumps).
    assert text == json.dumps(feed, indent=2, ensure_ascii=False) + "\n"
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and isinstance(feed["items"], list)
    for item in feed["items"]:
        assert item["id"] and item["url"] and item["date_published"]
        assert "content_text" in item or "content_html" in item
    return feed


def sample() -> list:
    records = [make_record(n, topics=("Robots", "Drones")) for n in range(1, 4)]
    records.append(make_record(4, topics=("Robots", "Robot arms"), related=(related(4),)))
    records.append(make_record(5, is_published=False))
    return [entry(r) for r in records]


def test_every_feed_is_valid_and_complete(tmp_path: Path) -> None:
    build(sample(), tmp_path)
    for prefix in SETS:
        parse_ok(tmp_path / f"{prefix}feed.xml")
        parse_ok(tmp_path / f"{prefix}atom.xml")
        check_rss(tmp_path / f"{prefix}feed.xml")
        check_atom(tmp_path / f"{prefix}atom.xml")
        check_json(tmp_path / f"{prefix}feed.json")
    assert not (tmp_path / "topics/toys").exists()  # topic services list no news
    rss = parse_ok(tmp_path / "feed.xml")
    assert rss.version == "rss20" and parse_ok(tmp_path / "atom.xml").version == "atom10"
    assert [e.title for e in rss.entries] == [f"Robot story number {n}" for n in (4, 3, 2, 1)]
    drones = parse_ok(tmp_path / "topics/drones/atom.xml")
    assert [e.title for e in drones.entries] == [f"Robot story number {n}" for n in (3, 2, 1)]
    assert drones.feed.title == "Robots Every Day: Drones"


def test_items_link_out_and_have_stable_ids(tmp_path: Path) -> None:
    build(sample(), tmp_path)
    first = parse_ok(tmp_path / "feed.xml").entries[0]
    assert first.link == "https://news.example.com/robots/4"
    item_id = "https://hub.example.org/robots/api/news/2024/01/01/robot-story-number-4/index.json"
    assert first.id == item_id
    assert parse_ok(tmp_path / "atom.xml").entries[0].id == item_id
    assert check_json(tmp_path / "feed.json")["items"][0]["id"] == item_id
    assert first.published == "Mon, 01 Jan 2024 12:00:00 GMT"
    assert [t.term for t in first.tags] == ["Robots", "Robot arms"]


def test_media_rss_images(tmp_path: Path) -> None:
    build(sample(), tmp_path)
    media = parse_ok(tmp_path / "feed.xml").entries[0].media_content
    assert media == [
        {"url": "https://news.example.com/img/4.jpg", "medium": "image",
         "width": "800", "height": "600"},
    ]  # fmt: skip
    atom = check_atom(tmp_path / "atom.xml")
    assert atom.find(f"{A}entry/{{{MEDIA}}}content").get("width") == "800"
    assert check_json(tmp_path / "feed.json")["items"][0]["image"].endswith("/4.jpg")


def test_quality_heat_and_related_extensions(tmp_path: Path) -> None:
    build(sample(), tmp_path)
    for name in ("feed.xml", "atom.xml"):
        root = etree.fromstring((tmp_path / name).read_bytes())
        item = root.find("channel/item") if name == "feed.xml" else root.find(A + "entry")
        assert (item.findtext(E + "quality"), item.findtext(E + "heat")) == ("74", "84")
        links = item.findall(f"{E}related/{E}link")
        assert [(x.text, x.get("href")) for x in links] == [
            ("Related take 4", "https://other.example.net/take/4")
        ]
    ext = check_json(tmp_path / "feed.json")["items"][0]["_everyday"]
    assert (ext["quality"], ext["heat"]) == (74, 84)
    assert ext["related"] == [
        {"title": "Related take 4", "url": "https://other.example.net/take/4"}
    ]
    second = check_json(tmp_path / "feed.json")["items"][1]["_everyday"]
    assert second["related"] == []


def test_hostile_text_is_escaped_and_stripped(tmp_path: Path) -> None:
    bad = make_record(
        1,
        title=HOSTILE,
        excerpt=f"{HOSTILE} <img src=x onerror=alert(2)>",
        web_url="javascript:alert(3)",
        original_url="data:text/html,<b>x</b>",
        topics=("Robots", "<b>Drones</b>"),
        provider=replace(make_record(1).provider, name="Evil ]]> & <Co>"),
        images=(make_record(1).images[0], replace(make_record(1).images[0], url="javascript:x")),
    )
    build([entry(bad)], tmp_path)
    expected = clean(HOSTILE)
    assert "\x00" not in expected and "\x07" not in expected and "\ufffe" not in expected
    for name in ("feed.xml", "atom.xml"):
        raw = (tmp_path / name).read_bytes()
        assert b"<script>" not in raw and b"<img" not in raw and b"\x07" not in raw
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in raw
        assert b"javascript:" not in raw and b"data:text" not in raw
        parsed = parse_ok(tmp_path / name)
        assert parsed.entries[0].title == expected
    rss = check_rss(tmp_path / "feed.xml")
    assert rss.findtext("channel/item/title") == expected
    link = rss.findtext("channel/item/link")  # no http(s) URL: the item's own API URL
    assert link.startswith("https://hub.example.org/robots/api/news/2024/01/01/")
    assert rss.findtext(f"channel/item/{E}provider") == "Evil ]]> & <Co>"
    feed = check_json(tmp_path / "feed.json")
    assert feed["items"][0]["title"] == expected
    assert feed["items"][0]["url"].startswith("https://hub.example.org/")


def test_newest_fifty_published(tmp_path: Path) -> None:
    entries = [entry(make_record(n)) for n in range(1, 61)]
    entries.append(entry(make_record(99, is_published=False)))
    build(entries, tmp_path)
    items = check_json(tmp_path / "feed.json")["items"]
    assert len(items) == FEED_SIZE == 50
    assert items[0]["title"] == "Robot story number 60"
    assert items[-1]["title"] == "Robot story number 11"
    assert len(parse_ok(tmp_path / "feed.xml").entries) == 50
    assert len(parse_ok(tmp_path / "atom.xml").entries) == 50


def test_empty_feeds_are_still_valid(tmp_path: Path) -> None:
    build([], tmp_path)
    assert parse_ok(tmp_path / "feed.xml").entries == []
    check_atom(tmp_path / "atom.xml")
    assert check_json(tmp_path / "feed.json")["items"] == []


def test_rebuild_is_byte_stable_and_incremental(tmp_path: Path) -> None:
    entries = sample()
    first = build(entries, tmp_path)
    assert len(first.written) == 3 * len(SETS)
    age_files(tmp_path)
    before = mtimes(tmp_path)
    assert build(entries, tmp_path).written == frozenset()
    assert mtimes(tmp_path) == before
    new = entry(make_record(30, topics=("Robots", "Drones")))
    report = build([*entries, new], tmp_path)
    assert report.written == {f"{p}{n}" for p in ("", "topics/drones/") for n in
                              ("feed.xml", "atom.xml", "feed.json")}  # fmt: skip
    assert mtimes(tmp_path)["topics/arms/feed.xml"] == before["topics/arms/feed.xml"]


@pytest.mark.corpus
def test_powerapps_feeds(corpus: Path, tmp_path: Path) -> None:
    hub = corpus / "powerapps"
    out = Output(tmp_path)
    build_feeds(corpus_entries(hub), load_taxonomy(hub, "Power Apps"), powerapps_site(), out)
    report = out.finish()
    topics = ("ai-builder", "canvas-apps", "common-data-service", "teams-integration")
    assert len(report.written) == 3 * (1 + len(topics))
    assert len(parse_ok(tmp_path / "feed.xml").entries) == 50
    for topic in topics:
        parse_ok(tmp_path / f"topics/{topic}/feed.xml")
        check_atom(tmp_path / f"topics/{topic}/atom.xml")
        check_json(tmp_path / f"topics/{topic}/feed.json")
    newest = check_json(tmp_path / "feed.json")["items"][0]
    assert newest["date_published"] == "2024-04-11T08:00:16Z"
