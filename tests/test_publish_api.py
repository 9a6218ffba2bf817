"""The static JSON API (everyday.publish.api) and the build output writer."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from everyday.errors import ConfigError
from everyday.models import Image, Provider, Related
from everyday.publish import Entry, Output, PublishError
from everyday.publish.api import build_api, parse_newsletter, read_newsletters
from everyday.publish.entries import item_api_path
from everyday.publish.jsonapi import (
    VALUE_INDENT,
    dumps,
    full_item,
    full_item_text,
    item_text,
    item_texts,
    news_item,
)
from everyday.taxonomy import load_taxonomy
from publish_samples import (
    SITE,
    age_files,
    corpus_entries,
    entry,
    make_record,
    mtimes,
    powerapps_site,
    related,
    run,
)

ITEM_KEYS = [
    "path", "title", "excerpt", "sourceUrl", "webUrl", "originalUrl", "featuredContent",
    "highlight", "heat", "tags", "images", "content", "type", "ampWebUrl", "cdnAmpWebUrl",
    "publishedDateTime", "updatedDateTime", "provider", "locale", "categories", "topics",
]  # fmt: skip


def load(root: Path, path: str) -> dict:
    return json.loads((root / path).read_text(encoding="utf-8"))


def build(entries: list, root: Path, site=SITE):  # type: ignore[no-untyped-def]
    return run(build_api, entries, root, site)


# --------------------------------------------------------------------------- corpus


@pytest.mark.corpus
def test_powerapps_pages_equal_the_real_pages(corpus: Path, tmp_path: Path) -> None:
    """All 674 powerapps records built into the API reproduce the hub's 38 real news pages.

    The 27 pages of the current generator (``api/news/index.json``, ``page/1..18`` and
    ``<topic>/index.json`` + ``<topic>/page/1`` of the four topics with a news service) must be
    byte-identical: no field needs normalising. The 11 legacy ``pageN`` files are stale output
    of an older generator, from an earlier snapshot with fewer records, so their page
    boundaries cannot match; each of their 155 items must equal our item for the same record
    after normalising only what that generator wrote differently and we cannot know:
    ``content`` (``"\\r\\n"``, or absent in ``model-driven-apps/page1``, vs ``""``) and the
    ``publishedDateTime`` offset (``-07:00``/``-08:00`` local time vs the same instant in
    ``Z``). ``model-driven-apps`` has no current pages because its topic file lists services
    without ``news``.
    """
    hub = corpus / "powerapps"
    entries = corpus_entries(hub)
    assert len(entries) == 674
    taxonomy = load_taxonomy(hub, "Power Apps")
    out = Output(tmp_path)
    build_api(entries, taxonomy, powerapps_site(), out)
    out.finish()

    real_pages = sorted(p.relative_to(hub).as_posix() for p in (hub / "api/news").rglob("*.json"))
    assert len(real_pages) == 38
    current = [p for p in real_pages if "/page" not in p or "/page/" in p]
    legacy = [p for p in real_pages if p not in current]
    assert (len(current), len(legacy)) == (27, 11)
    identical = [p for p in current if (tmp_path / p).read_bytes() == (hub / p).read_bytes()]
    assert identical == current

    pages = [load(tmp_path, f"api/news/page/{n}/index.json") for n in range(1, 19)]
    ours = {item["path"]: item for page in pages for item in page["value"]}
    assert len(ours) == 428
    order = list(ours)
    compared = 0
    for page in legacy:
        items = load(hub, page)["value"]
        for item in items:
            assert _normalised(item) == _normalised(ours[item["path"]]), (page, item["path"])
            compared += 1
        positions = [order.index(i["path"]) for i in items]
        assert positions == sorted(positions), page
    assert compared == 155


def _normalised(item: dict) -> list:
    moment = datetime.fromisoformat(item["publishedDateTime"]).astimezone(UTC)
    fields = {**item, "publishedDateTime": moment.isoformat()}
    fields.pop("content", None)
    return list(fields.items())


@pytest.mark.corpus
def test_powerapps_newsletters_endpoint(corpus: Path, tmp_path: Path) -> None:
    issues = read_newsletters(corpus / "powerapps")
    assert len(issues) == 8
    out = Output(tmp_path)
    build_api([], load_taxonomy(corpus / "powerapps", "Power Apps"), powerapps_site(), out, issues)
    out.finish()
    value = load(tmp_path, "api/newsletters/index.json")["value"]
    assert [v["publishedDateTime"] for v in value] == sorted(
        (v["publishedDateTime"] for v in value), reverse=True
    )
    assert value[0]["path"].startswith("_newsletters/power-apps-every-day-")
    assert value[0]["webUrl"].startswith("https://everyday.cc/powerapps/newsletter/")


# --------------------------------------------------------------------------- pages


def test_pages_envelope_order_and_membership(tmp_path: Path) -> None:
    records = [make_record(n) for n in range(1, 8)]
    records += [make_record(20, is_published=False), make_record(21, is_published=None)]
    build([entry(r) for r in records], tmp_path)
    pages = [load(tmp_path, f"api/news/page/{n}/index.json") for n in (1, 2, 3)]
    assert [(p["page"], p["nextPage"], len(p["value"])) for p in pages] == [
        (1, 2, 3), (2, 3, 3), (3, None, 1),
    ]  # fmt: skip
    titles = [i["title"] for p in pages for i in p["value"]]
    assert titles == [f"Robot story number {n}" for n in range(7, 0, -1)]
    assert not (tmp_path / "api/news/page/4").exists()
    index = (tmp_path / "api/news/index.json").read_bytes()
    assert index == (tmp_path / "api/news/page/1/index.json").read_bytes()
    assert list(json.loads(index)) == ["page", "value", "nextPage"]


def test_equal_times_are_ordered_by_path(tmp_path: Path) -> None:
    same = make_record(1).published
    records = [make_record(1, title="B second"), make_record(2, title="A first", published=same)]
    build([entry(r) for r in records], tmp_path)
    value = load(tmp_path, "api/news/index.json")["value"]
    assert [v["title"] for v in value] == ["A first", "B second"]


def test_item_keys_nulls_and_mapping(tmp_path: Path) -> None:
    record = make_record(
        1, web_url="", images=(Image("https://x.example/a.png", 10, 20, True, "legacy"),)
    )
    build([entry(record)], tmp_path)
    item = load(tmp_path, "api/news/index.json")["value"][0]
    assert list(item) == ITEM_KEYS
    assert item["path"] == "_news/2024-01-01-robot-story-number-1.md"
    assert item["webUrl"] is None and item["sourceUrl"] is None and item["tags"] is None
    assert item["content"] == "" and item["updatedDateTime"] is None
    assert item["publishedDateTime"] == "2024-01-01T09:00:00Z"
    assert item["images"] == [
        {"url": "https://x.example/a.png", "width": 10, "height": 20, "title": "legacy",
         "attribution": None, "isCached": True},
    ]  # fmt: skip
    provider = item["provider"]
    assert list(provider) == ["name", "domain", "images", "publishers", "authors"]
    assert list(provider["images"][0]) == [
        "url", "width", "height", "title", "attribution", "isCached",
    ]  # fmt: skip
    assert provider["images"][0]["isCached"] is False
    assert (item["locale"], item["categories"], item["topics"]) == ("en-us", ["news"], ["Robots"])
    assert "quality" not in item and "related" not in item


def test_bytes_are_the_seed_formatting(tmp_path: Path) -> None:
    record = make_record(1, title="Café “robots” </script> \x07")
    build([entry(record)], tmp_path)
    raw = (tmp_path / "api/news/index.json").read_bytes()
    assert raw.startswith(b'{\n  "page": 1,\n  "value": [\n    {\n      "path": ')
    assert not raw.endswith(b"\n")
    assert "Café “robots” </script> \\u0007".encode() in raw
    assert b'"https://news.example.com/robots/1"' in raw  # "/" is not escaped
    assert json.loads(raw)["value"][0]["title"] == record.title


def test_empty_hub_has_one_empty_page(tmp_path: Path) -> None:
    build([entry(make_record(1, is_published=False))], tmp_path)
    assert load(tmp_path, "api/news/index.json") == {"page": 1, "value": [], "nextPage": None}
    assert load(tmp_path, "api/news/drones/page/1/index.json")["value"] == []


def test_page_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        build([], tmp_path, replace(SITE, page_size=0))


# --------------------------------------------------------------------------- items, topics


def test_per_item_json_carries_the_full_record(tmp_path: Path) -> None:
    record = make_record(1, related=(related(1), related(2)))
    build([entry(record)], tmp_path)
    path = "api/news/2024/01/01/robot-story-number-1/index.json"
    item = load(tmp_path, path)
    assert list(item) == [*ITEM_KEYS, "quality", "published", "related"]
    assert item["sourceUrl"] == f"https://hub.example.org/robots/{path}"
    assert (item["quality"], item["heat"], item["published"]) == (71, 81, True)
    assert [r["title"] for r in item["related"]] == ["Related take 1", "Related take 2"]
    assert item["related"][0]["provider"]["domain"] == "other.example.net"
    assert item["related"][0]["publishedDateTime"] == "2024-01-01T09:05:00Z"


def test_item_path_falls_back_to_the_title_for_odd_file_names() -> None:
    odd = replace(entry(make_record(1)), path="_news/Weird Name.md")
    assert item_api_path(odd) == "api/news/2024/01/01/robot-story-number-1/index.json"
    sneaky = replace(entry(make_record(1)), path="_news/2024-01-01-..%2f.md")
    assert ".." not in item_api_path(sneaky)


def test_topic_pages_follow_the_topic_services(tmp_path: Path) -> None:
    records = [make_record(n, topics=("Robots", "Drones")) for n in range(1, 5)]
    records.append(make_record(9, topics=("Robots", "Robot arms", "Toys")))
    build([entry(r) for r in records], tmp_path)
    drones = [load(tmp_path, f"api/news/drones/page/{n}/index.json") for n in (1, 2)]
    assert [len(p["value"]) for p in drones] == [3, 1] and drones[1]["nextPage"] is None
    assert load(tmp_path, "api/news/drones/index.json") == drones[0]
    assert len(load(tmp_path, "api/news/arms/index.json")["value"]) == 1
    assert not (tmp_path / "api/news/toys").exists()  # services without "news"
    assert not (tmp_path / "api/news/robots").exists()  # the root is api/news itself


def test_topics_and_providers_endpoints(tmp_path: Path) -> None:
    records = [make_record(1, topics=("Robots", "Drones")), make_record(2)]
    other = replace(records[1].provider, name="Other", domain="other.example.net", images=())
    records.append(make_record(3, provider=other, is_published=True))
    build([entry(r) for r in records], tmp_path)
    first, second = (load(tmp_path, f"api/topics/page/{n}/index.json") for n in (1, 2))
    topics = first["value"] + second["value"]
    assert (first["nextPage"], second["nextPage"]) == (2, None)
    assert [(t["id"], t["count"]) for t in topics] == [
        ("robots", 3), ("drones", 1), ("arms", 0), ("toys", 0),
    ]  # fmt: skip
    urls = {t["id"]: t["newsUrl"] for t in topics}
    assert urls["drones"] == "https://hub.example.org/robots/api/news/drones/"
    assert urls["toys"] is None
    assert urls["robots"] == "https://hub.example.org/robots/api/news/"
    providers = load(tmp_path, "api/providers/index.json")["value"]
    assert [(p["domain"], p["count"]) for p in providers] == [
        ("example.com", 2), ("other.example.net", 1),
    ]  # fmt: skip
    assert providers[0]["latestPublishedDateTime"] == "2024-01-01T10:00:00Z"
    assert providers[0]["images"][0]["isCached"] is False and providers[1]["images"] is None


def test_newsletter_front_matter(tmp_path: Path) -> None:
    text = (
        '---\ntitle: "Robots Every Day (2024-01-02)"\nexcerpt: "A / B"\n'
        "publishedDateTime: 2024-01-02T18:00:00Z\n"
        'webUrl: "https://www.example.org/robots/newsletter/robots-every-day-2024-01-02/"\n'
        "type: article\n\ntopics:\n  - Robots\n---\n<html><body>hi</body></html>\n"
    )
    folder = tmp_path / "_newsletters"
    folder.mkdir()
    (folder / "robots-every-day-2024-01-02.html").write_text(text, encoding="utf-8")
    (folder / "broken.html").write_text("no front matter", encoding="utf-8")
    issues = read_newsletters(tmp_path)
    assert issues == [parse_newsletter(text, "robots-every-day-2024-01-02.html")]
    assert issues[0].excerpt == "A / B" and issues[0].topics == ("Robots",)


# --------------------------------------------------------------------------- incremental


def test_second_build_writes_nothing(tmp_path: Path) -> None:
    entries = [entry(make_record(n, related=(related(n),))) for n in range(1, 8)]
    first = build(entries, tmp_path)
    assert first.written and not first.unchanged
    age_files(tmp_path)
    before = mtimes(tmp_path)
    second = build(entries, tmp_path)
    assert second.written == frozenset() and second.removed == frozenset()
    assert second.unchanged == first.written
    assert mtimes(tmp_path) == before


def test_new_record_rewrites_only_what_it_must(tmp_path: Path) -> None:
    entries = [entry(make_record(n, topics=("Robots", "Robot arms"))) for n in range(1, 7)]
    build(entries, tmp_path)
    age_files(tmp_path)
    before = mtimes(tmp_path)
    new = entry(make_record(50, topics=("Robots", "Drones")))
    report = build([*entries, new], tmp_path)
    pages = {f"api/news/page/{n}/index.json" for n in (1, 2, 3)}
    assert report.written == {
        "api/news/index.json", *pages, item_api_path(new),
        "api/news/drones/index.json", "api/news/drones/page/1/index.json",
        "api/topics/index.json", "api/topics/page/1/index.json",
        "api/providers/index.json", "api/providers/page/1/index.json",
    }  # fmt: skip
    after = mtimes(tmp_path)
    unchanged = set(before) - report.written - {".everyday-build.json"}
    assert {p for p in unchanged if after[p] != before[p]} == set()
    assert "api/news/arms/index.json" in unchanged


def test_unpublished_record_files_are_removed(tmp_path: Path) -> None:
    entries = [entry(make_record(n)) for n in range(1, 5)]
    build(entries, tmp_path)
    (tmp_path / "CNAME").write_text("hub.example.org\n")
    gone = entries[0]
    flipped = replace(gone, record=replace(gone.record, is_published=False))
    report = build([flipped, *entries[1:]], tmp_path)
    assert report.removed == {item_api_path(gone), "api/news/page/2/index.json"}
    assert not (tmp_path / item_api_path(gone)).exists()
    assert not (tmp_path / item_api_path(gone)).parent.exists()  # emptied folder pruned
    assert (tmp_path / item_api_path(entries[1])).exists()
    assert (tmp_path / "CNAME").exists()  # never written by a build, never removed


# --------------------------------------------------------------------------- output


@pytest.mark.parametrize(
    "path", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b", "nul\x00", "a/"]
)
def test_output_refuses_unsafe_paths(tmp_path: Path, path: str) -> None:
    with pytest.raises(PublishError):
        Output(tmp_path).write(path, "x")


def test_output_refuses_a_path_twice(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.write("a.json", "1")
    with pytest.raises(PublishError):
        out.write("a.json", "2")


def test_output_survives_a_broken_or_hostile_manifest(tmp_path: Path) -> None:
    (tmp_path / ".everyday-build.json").write_text('{"../../outside": [1, "x"], "a.json": 5}')
    outside = tmp_path.parent / "outside"
    outside.write_text("keep")
    out = Output(tmp_path)
    assert out.write("a.json", "1") is True
    assert out.finish().removed == frozenset()
    assert outside.read_text() == "keep"
    (tmp_path / ".everyday-build.json").write_text("not json")
    out = Output(tmp_path)
    assert out.write("a.json", "1") is False  # compared on disk instead
    out.finish()


def test_output_rewrites_a_file_changed_behind_its_back(tmp_path: Path) -> None:
    out = Output(tmp_path)
    out.write("a.json", "12345")
    out.finish()
    (tmp_path / "a.json").write_text("123")
    out = Output(tmp_path)
    assert out.write("a.json", "12345") is True
    assert (tmp_path / "a.json").read_text() == "12345"


# --------------------------------------------------------------------------- encoder


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, {"b": None, "c": True, "d": False}], "e": [], "f": {}, "g": -3},
        ['é “x” \u2028 \x00 \x1f \\ " / </script>', 1.5, 10**20, [[]], [{}]],
        {"": "", "k\n": "v\r\n\t"},
        {1: "int key"},
        "plain",
        None,
    ],
)
def test_fast_encoder_matches_json_dumps(value: object) -> None:
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_per_item_text_is_the_per_item_value_encoded() -> None:
    e = entry(make_record(1, title='Quote " and \\ and é', related=(related(1),)))
    item = news_item(e, SITE)
    url = "https://hub.example.org/robots/x/index.json"
    expected = json.dumps(full_item(item, e, url), indent=2, ensure_ascii=False)
    assert full_item_text(dumps(item, VALUE_INDENT), e, url) == expected


# The fast item writers must give the bytes of the stdlib encoding of the item values.
WEIRD = 'Quote " backslash \\ slash / </script> \x00\x07\x1f\x7f \u2028\u2029 é 𝄞 \ufeff'
LOGO = Image("https://hub.example.org/robots/logo-50x50.jpg", 50, 50)
TWO_HOURS = timedelta(hours=2)
FLOAT_LOGO = replace(LOGO, width=50.0)  # type: ignore[arg-type]
INT_CACHED_LOGO = replace(LOGO, is_cached=1)  # type: ignore[arg-type]


def expected_texts(e: Entry, url: str) -> tuple[str, str]:
    """The page text and per-item file as json.dumps writes the item values."""
    item = news_item(e, SITE)
    page = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", "\n" + VALUE_INDENT)
    full = json.dumps(full_item(item, e, url), indent=2, ensure_ascii=False)
    return page, full


def odd_related(**changes: object) -> Related:
    return replace(related(1), **changes)  # type: ignore[arg-type]


HOSTILE_RECORDS: dict[str, dict[str, Any]] = {
    "plain": {},
    "weird text everywhere": dict(
        title=WEIRD, excerpt=WEIRD + "\n\r\t", web_url=WEIRD, original_url=WEIRD,
        amp_web_url=WEIRD, cdn_amp_web_url="", category=WEIRD, type=WEIRD,
        topics=(WEIRD, "", "Robots"),
        provider=Provider(WEIRD, WEIRD, (Image(WEIRD, None, None, None, WEIRD),)),
        images=(Image(WEIRD, 1, 2, False, WEIRD), Image("b", None, None, None, None)),
        related=(odd_related(title=WEIRD, excerpt=WEIRD, web_url=WEIRD, type=WEIRD),),
    ),
    "nulls and empties": dict(
        web_url="", original_url=None, quality=None, heat=None, is_published=None,
        topics=(), images=(), related=None, provider=Provider("", ""),
    ),
    "empty related": dict(related=()),
    "huge and odd numbers": dict(
        heat=10**40, quality=-(10**30), images=(Image("u", 10**25, 0, True),),
        provider=Provider("n", "d", (Image("u", 50.0, True, 1, None),)),  # type: ignore
    ),
    "bool and float leaves": dict(heat=True, quality=1.5, is_published=False),
    "legacy extras": dict(
        extra=(("featuredContent", {"a": [1, None, WEIRD], 2: datetime(2020, 1, 1)}),
               ("highlight", (WEIRD, True, date(2021, 2, 3)))),
    ),
    "one legacy extra": dict(extra=(("highlight", "yes"),)),
    "times": dict(
        published=datetime(2024, 5, 6, 7, 8, 9, 120000, tzinfo=UTC),
        related=(
            odd_related(published=datetime(2024, 5, 6, 7, 8, 9)),  # naive
            odd_related(published=datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(TWO_HOURS))),
            odd_related(published=datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)),
            odd_related(provider=None, images=(LOGO, LOGO), quality=None),
        ),
    ),
    "old year": dict(published=datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    "related with odd providers": dict(
        related=(
            odd_related(provider=Provider("P", "p.example", (LOGO,))),
            odd_related(provider=Provider("P", "p.example", (FLOAT_LOGO,))),
            odd_related(provider=Provider("P", "p.example", (INT_CACHED_LOGO,))),
            odd_related(provider=Provider("P", "p.example", [LOGO])),  # type: ignore[arg-type]
            odd_related(provider=Provider("P", "p.example", (LOGO, LOGO))),
        ),
    ),
    "odd types in text fields": dict(
        title=7, excerpt=None, topics=("a", 3, None, ["b"]), category=["news", {"k": None}],
        type=None, provider=Provider(1, None),  # type: ignore[arg-type]
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE_RECORDS))
def test_item_writers_give_the_bytes_of_the_item_values(name: str) -> None:
    e = Entry(f"_news/2024-01-01-{name}{WEIRD}.md", make_record(1, **HOSTILE_RECORDS[name]))
    url = "https://hub.example.org/robots/api/news/x/index.json"
    page, full = expected_texts(e, url)
    assert item_text(e, SITE) == page == dumps(news_item(e, SITE), VALUE_INDENT)
    assert item_texts(e, SITE, url) == (page, full)
    assert full_item_text(page, e, url) == full


def test_outlets_share_a_text_only_when_their_leaves_are_alike() -> None:
    """Equal values of odd types (50.0 == 50, 1 == True) must not reuse another text."""
    url = "https://hub.example.org/robots/api/news/x/index.json"
    logos = [LOGO, FLOAT_LOGO, replace(LOGO, is_cached=True), INT_CACHED_LOGO]
    for logo in logos * 2:  # the second round finds the first round's texts
        e = entry(make_record(1, provider=Provider("Example", "example.com", (logo,))))
        assert item_texts(e, SITE, url) == expected_texts(e, url)


def test_item_writers_fail_like_the_encoder() -> None:
    """An int past the str conversion limit fails the same way on both paths."""
    e = entry(make_record(1, heat=10**5000))
    with pytest.raises(ValueError):
        dumps(news_item(e, SITE), VALUE_INDENT)
    with pytest.raises(ValueError):
        item_text(e, SITE)
