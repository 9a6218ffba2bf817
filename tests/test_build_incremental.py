"""Incremental ``everyday build``: after any change, the site equals a build from scratch.

Each scenario changes a hub (new, old-dated, edited, deleted, unpublished records, twins on
one page path, story clusters, related links, cached images, broken files), rebuilds the
site folder incrementally, and compares it byte for byte with a fresh full build of the
same hub; both paging modes. Speed is measured in ``bench/bench_build.py``, not here.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from build_samples import (
    cache_images,
    clusters_of,
    fill,
    make_hub,
    make_record,
    record_path,
    spy,
    write_records,
)
from everyday import build as build_module
from everyday.build import WARM_STATES, build_hub, config_digest, state_database
from everyday.errors import ConfigError, PublishError
from everyday.publish import Output
from everyday.publish import cache as cache_module
from everyday.publish import search as search_module
from everyday.publish import watch as watch_module
from everyday.publish.cache import BuildState
from everyday.publish.catalog import stamp_of
from everyday.publish.manifest import check_relative
from everyday.publish.quickread import quick_record
from everyday.publish.sitemaps import SitemapUrl, urlset
from everyday.publish.urlsets import urlset_bytes
from everyday.records.frontmatter import format_record, parse_record
from everyday.settings import Settings, with_overrides
from everyday.taxonomy import Taxonomy

NOW = datetime(2023, 1, 3, tzinfo=UTC)
TOKEN = ".everyday-build.json"
COUNT = 72


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != TOKEN
    }


def mtimes(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and p.name != TOKEN
    }


class Hub:
    """A generated hub, its incrementally built site, and a from-scratch reference."""

    def __init__(self, root: Path, paging: str, cold: bool = False) -> None:
        self.cold = cold  # read the state back from the database every build (a new process)
        self.settings, self.taxonomy = make_hub(root / "hub", page_size=4, paging=paging)
        self.records = fill(self.settings, self.taxonomy, COUNT)
        cache_images(self.settings, self.records[:40])
        self.clusters = clusters_of(self.records)
        self.site = root / "hub" / "_site"
        self.reference = root / "reference"
        self.pins: dict[str, str] = {}

    @property
    def news(self) -> Path:
        return self.settings.hub_dir / "_news"

    def build(self, **options: object):  # type: ignore[no-untyped-def]
        if self.cold:
            WARM_STATES.clear()
        report, problems = build_hub(
            self.settings, self.taxonomy, NOW, clusters=self.clusters, pins=self.pins, **options
        )
        return report, problems

    def check(self) -> None:
        """The incremental site equals a full build into an empty folder."""
        shutil.rmtree(self.reference, ignore_errors=True)
        build_hub(
            self.settings,
            self.taxonomy,
            NOW,
            clusters=self.clusters,
            pins=self.pins,
            out_dir=self.reference,
        )
        ours, fresh = tree(self.site), tree(self.reference)
        assert sorted(set(ours) ^ set(fresh)) == []
        assert [p for p in fresh if ours[p] != fresh[p]] == []

    def rewrite(self, index: int, record: object) -> None:
        """Replace record ``index`` in place (same file name, new content)."""
        path = self.news / record_path(self.records[index])
        path.write_text(format_record(record), encoding="utf-8")  # type: ignore[arg-type]


@pytest.fixture(params=["seed", "stable", "stable-cold", "stable-watch"])
def hub(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Hub:
    paging, _, mode = request.param.partition("-")
    if mode == "watch":  # warm builds learn the changed files from inotify, not a scan
        monkeypatch.setattr(watch_module, "WATCH_MIN", 1)
    hub = Hub(tmp_path, paging, cold=mode == "cold")
    hub.build()
    return hub


def test_warm_builds_with_a_watch_stat_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a watch is kept, a build stats no record folder: edits in place, new, deleted,
    renamed and touched files all come through it, and the site equals a full build."""
    monkeypatch.setattr(watch_module, "WATCH_MIN", 1)
    hub = Hub(tmp_path, "stable")
    hub.build()
    hub.build()  # the state now holds the records: this build starts the watch
    scans = spy(monkeypatch, cache_module, "scan_records")

    def build_without_scan() -> None:
        scans.clear()
        hub.build()
        assert scans == []  # (the full reference build of check() scans, of course)
        hub.check()

    write_records(hub.settings, [make_record(COUNT + 1, hub.taxonomy, is_published=True)])
    build_without_scan()
    edited = hub.news / record_path(hub.records[3])
    with edited.open("a", encoding="utf-8") as f:  # in place, no rename
        f.write("\n")
    build_without_scan()
    (hub.news / record_path(hub.records[4])).unlink()
    first = hub.news / record_path(hub.records[6])
    first.rename(first.with_name("2020-01-01-renamed.md"))
    os.utime(hub.news / record_path(hub.records[7]), ns=(10**18, 10**18))
    build_without_scan()
    shutil.rmtree(hub.news)  # the folder itself goes: the watch gives up, the build scans
    hub.news.mkdir()
    write_records(hub.settings, hub.records[:10])
    scans.clear()
    hub.build()
    assert scans
    hub.check()


def test_no_change_writes_nothing_and_keeps_mtimes(hub: Hub) -> None:
    before = mtimes(hub.site)
    report, _ = hub.build()
    assert report.written == frozenset() and report.removed == frozenset()
    assert mtimes(hub.site) == before
    hub.check()


def test_new_newest_record(hub: Hub) -> None:
    before = mtimes(hub.site)
    new = make_record(COUNT + 1, hub.taxonomy, is_published=True)
    write_records(hub.settings, [new])
    report, _ = hub.build()
    hub.check()
    after = mtimes(hub.site)
    assert [p for p in before if p not in report.written and after[p] != before[p]] == []
    name = record_path(new)
    assert f"{name[:10].replace('-', '/')}/{name[11:-3]}/index.html" in report.written


def test_new_record_in_stable_paging_touches_only_the_newest_pages(tmp_path: Path) -> None:
    hub = Hub(tmp_path, "stable")
    hub.build()
    write_records(hub.settings, [make_record(COUNT + 1, hub.taxonomy, is_published=True)])
    report, _ = hub.build()
    hub.check()
    # News and story lists: the newest page of each list the record is on (hub, two topics,
    # its provider; API and site). api/topics and api/providers show counts, so they change.
    pages = {
        p
        for p in report.written
        if "/page/" in p and not p.startswith(("api/providers", "api/topics"))
    }
    assert len(pages) <= 8, sorted(pages)
    assert len(report.written) < 60, sorted(report.written)


def test_seed_paging_shifts_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("everyday.build.SEED_PAGING_ADVICE", 50)  # "big" for this test
    hub = Hub(tmp_path, "seed")
    hub.build()
    write_records(hub.settings, [make_record(COUNT + 1, hub.taxonomy, is_published=True)])
    with caplog.at_level("WARNING", logger="everyday.build"):
        report, _ = hub.build()
    assert "api/news/page/15/index.json" in report.written  # the seed's layout: all shift
    assert 'paging = "stable"' in caplog.text  # big hubs are told about stable paging


def test_lists_carried_over_stay_right_through_later_changes(hub: Hub) -> None:
    """A list an incremental build carries over (no record of it changed) is walked again,
    correctly, when a later build changes one of its records."""
    for number, when in ((COUNT + 2, None), (COUNT + 3, 11), (COUNT + 4, 30)):
        record = make_record(number, hub.taxonomy, is_published=True)
        if when is not None:  # back-dated: lands inside the lists, not on top
            record = replace(record, published=hub.records[when].published + timedelta(hours=1))
        write_records(hub.settings, [record])
        hub.build()
        hub.check()
    hub.rewrite(5, replace(hub.records[5], topics=[hub.taxonomy.root], is_published=True))
    hub.build()
    hub.check()


def test_big_sitemaps_are_cut_and_kept_by_part(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the per-file limit the sitemap is an index of parts (articles, oldest first,
    then list pages); a new article rewrites only the parts whose URLs changed."""
    monkeypatch.setattr("everyday.publish.urlsets.MAX_URLS", 16)
    hub.build(full=True)
    hub.check()
    index = (hub.site / "sitemap.xml").read_text(encoding="utf-8")
    parts = sorted(p.name for p in hub.site.glob("sitemap-*.xml"))
    assert "<sitemapindex" in index and len(parts) > 4
    assert all(f"/{name}</loc>" in index for name in parts)
    web = hub.settings.site.web_url.rstrip("/")
    articles = {
        f"{web}/{p.parent.relative_to(hub.site).as_posix()}/"
        for p in hub.site.glob("[0-9]*/*/*/*/index.html")
    }
    locs = [loc for name in parts for loc in _locs((hub.site / name).read_text("utf-8"))]
    assert articles and articles <= set(locs) and len(locs) == len(set(locs))
    write_records(hub.settings, [make_record(COUNT + 1, hub.taxonomy, is_published=True)])
    report, _ = hub.build()
    hub.check()
    rewritten = {p for p in report.written if p.startswith("sitemap-")}
    assert 0 < len(rewritten) < len(parts) - 2, sorted(rewritten)


def _locs(xml: str) -> list[str]:
    return [part.split("</loc>")[0] for part in xml.split("<loc>")[1:]]


def test_pins_lead_the_lists_not_the_feeds(hub: Hub) -> None:
    """Pinned records (admin, in the store) lead the API's and the site's lists as in the
    live API; feeds stay in date order. Pinning and unpinning rebuild incrementally."""
    old = next(
        r
        for r in hub.records[5:20]
        if r.is_published and f"_news/{record_path(r)}" not in hub.clusters
    )  # a story of its own, so its card shows its title
    path = f"_news/{record_path(old)}"
    hub.pins = {path: "2023-01-02T10:00:00Z"}
    hub.build()
    hub.check()
    first = json.loads((hub.site / "api/news/index.json").read_text("utf-8"))["value"][0]
    assert first["webUrl"] == old.web_url
    latest = (hub.site / "index.html").read_text("utf-8").split('id="list-title"')[1]
    lead = latest.split("</article>")[0]
    assert old.title in lead and '<p class="pinned">Pinned</p>' in lead  # says why it leads
    assert latest.count('class="pinned"') == 1
    feed = (hub.site / "feed.json").read_text("utf-8")
    assert old.web_url not in json.loads(feed)["items"][0].values()
    hub.pins = {}
    hub.build()
    hub.check()  # (the incremental build equals a full one: no card kept its mark)
    first = json.loads((hub.site / "api/news/index.json").read_text("utf-8"))["value"][0]
    assert first["webUrl"] != old.web_url
    assert 'class="pinned"' not in (hub.site / "index.html").read_text("utf-8")


def test_seed_paging_reuses_texts_instead_of_parsing_every_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every list page shifts, but unchanged records' API texts and cards come from the
    previous build: a new article parses a handful of records, not the hub."""
    monkeypatch.setattr("everyday.publish.feeds.FEED_SIZE", 3)  # feeds parse their items
    hub = Hub(tmp_path, "seed")
    hub.build()
    write_records(hub.settings, [make_record(COUNT + 1, hub.taxonomy, is_published=True)])
    hub.build()  # the first incremental build after a full one makes and keeps the texts
    parsed = spy(monkeypatch, cache_module, "parse_text")
    write_records(hub.settings, [make_record(COUNT + 2, hub.taxonomy, is_published=True)])
    report, _ = hub.build()
    count = len(parsed)
    hub.check()
    assert "api/news/page/15/index.json" in report.written  # every page shifted...
    assert 0 < count <= 12, parsed[:count]  # ...from kept texts (not ~65 listed records)
    gone = hub.records[30]
    (hub.news / record_path(gone)).unlink()
    hub.build()
    hub.check()
    database = sqlite3.connect(state_database(hub.settings, hub.site))
    kept = {p for (p,) in database.execute("SELECT path FROM texts")}
    database.close()
    assert kept and f"_news/{record_path(gone)}" not in kept  # a deleted record's texts go


@pytest.mark.parametrize("cold", [True, False])
def test_search_index_rows_of_unchanged_records_are_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cold: bool
) -> None:
    """A new article re-renders its own search row only: the others come from the previous
    file (a new process) or from memory (a warm build), and the file equals a full build."""
    hub = Hub(tmp_path, "stable", cold=cold)
    hub.build()
    made = spy(monkeypatch, search_module, "search_row")
    new = make_record(COUNT + 1, hub.taxonomy, is_published=True)
    write_records(hub.settings, [new])
    hub.build()
    assert len(made) == 1 and record_path(new)[11:-3] in made[0][0].href
    hub.check()


def test_a_new_record_rewrites_only_its_month_of_the_search_index(hub: Hub) -> None:
    new = make_record(COUNT + 1, hub.taxonomy, is_published=True)
    write_records(hub.settings, [new])
    report, _ = hub.build()
    month = f"search/{record_path(new)[:7]}.json"
    assert {p for p in report.written if p.startswith("search/")} == {"search/index.json", month}
    hub.check()


def test_search_index_of_another_shape_is_rendered_again(tmp_path: Path) -> None:
    """A previous file that does not split into rows (edited by hand) is not trusted."""
    hub = Hub(tmp_path, "stable", cold=True)
    hub.build()
    newest = json.loads((hub.site / "search/index.json").read_text())["parts"][0]
    part = hub.site / "search" / newest  # the month the new record lands in
    part.write_bytes(part.read_bytes().replace(b'"url":', b'"link":'))
    write_records(hub.settings, [make_record(COUNT + 1, hub.taxonomy, is_published=True)])
    hub.build()
    hub.check()


def test_state_parts_are_rewritten_only_when_they_change(hub: Hub) -> None:
    """An incremental build stores the parts of the state that changed, and drops the page
    keys of lists that are gone; reading it back gives the same state."""
    database = state_database(hub.settings, hub.site)

    def blobs() -> dict[str, bytes]:
        conn = sqlite3.connect(database)
        try:
            return {k: bytes(v) for k, v in conn.execute("SELECT key, value FROM meta")}
        finally:
            conn.close()

    before = blobs()
    victim = hub.records[5]
    (hub.news / record_path(victim)).unlink()
    hub.build()
    after = blobs()
    changed = {k for k in after if before.get(k) != after[k]}
    assert "state.clusters" not in changed and "state.stems" not in changed
    assert any(k.startswith("state.keys:") for k in changed)
    assert any(k.startswith("state:") for k in changed)  # the record's shard
    assert len([k for k in changed if k.startswith("state:")]) == 1
    hub.check()
    WARM_STATES.clear()
    config = config_digest(hub.settings, hub.taxonomy)
    state = BuildState.load(after, config)
    assert state.config == config and f"_news/{record_path(victim)}" not in state.files
    assert len(state.files) == COUNT - 1 and state.keys and state.clusters
    gone = dict(after)
    del gone[next(k for k in after if k.startswith("state.keys:"))]
    assert BuildState.load(gone, config).config == ""  # a part missing: build everything


def test_old_dated_record_edit_and_delete(hub: Hub) -> None:
    write_records(hub.settings, [make_record(7, hub.taxonomy, title="An old story found late")])
    hub.build()
    hub.check()
    hub.rewrite(20, replace(hub.records[20], title="A corrected title", heat=99))
    hub.build()
    hub.check()
    (hub.news / record_path(hub.records[33])).unlink()
    report, _ = hub.build()
    hub.check()
    assert report.removed


def test_unpublish_and_republish(hub: Hub) -> None:
    hub.rewrite(41, replace(hub.records[41], is_published=False))
    report, _ = hub.build()
    hub.check()
    assert any(p.endswith("index.html") for p in report.removed)
    hub.rewrite(41, hub.records[41])
    hub.build()
    hub.check()


def test_twin_records_on_one_page_path(hub: Hub) -> None:
    """A file name Jekyll cannot use falls back to date + title slug, colliding with a twin."""
    twin = hub.records[50]
    odd = hub.news / f"{twin.published:%Y-%m-%d}-Not_A_Slug.md"
    odd.write_text(format_record(replace(twin, web_url="https://twin.example/x")), "utf-8")
    hub.build()
    hub.check()
    (hub.news / record_path(twin)).unlink()  # the twin now owns the page path alone
    hub.build()
    hub.check()


def test_clusters_related_and_cached_images(hub: Hub) -> None:
    paths = [f"_news/{record_path(r)}" for r in hub.records]
    hub.clusters = {**hub.clusters, paths[60]: "big", paths[61]: "big", paths[66]: "big"}
    hub.build()
    hub.check()
    assert hub.records[70].related  # a record arrives whose URL record 70 lists as related
    related_to = hub.records[70].related[0].web_url
    number = int(related_to.rsplit("/", 1)[1]) + 1000
    arrival = make_record(number, hub.taxonomy, web_url=related_to, is_published=True)
    write_records(hub.settings, [arrival])
    report, _ = hub.build()
    hub.check()
    name = record_path(hub.records[70])  # YYYY-MM-DD-slug.md: its page now links ours
    assert f"{name[:10].replace('-', '/')}/{name[11:-3]}/index.html" in report.written
    cache_images(hub.settings, hub.records[40:80])
    hub.build()
    hub.check()
    # A record stops listing its image as cached (the file stays): its pages link out again.
    index = next(i for i in range(40, 80) if any(im.is_cached for im in hub.records[i].images))
    record = hub.records[index]
    images = [replace(im, is_cached=False) for im in record.images]
    hub.rewrite(index, replace(record, images=images))
    report, _ = hub.build()
    hub.check()
    assert report.written


def test_an_image_cache_folder_unchanged_for_a_while_is_not_listed_again(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cached images arrive by rename, which moves the folder's mtime: an old mtime that
    did not move means the same files (no listing); a new one, or a "racy" recent one,
    means a listing, and new images show up."""
    folder = hub.settings.path(hub.settings.storage.assets_dir) / "cache"
    old = time.time_ns() - 3600 * 10**9
    os.utime(folder, ns=(old, old))
    hub.build()  # records the folder's key
    listed = spy(monkeypatch, build_module, "_file_names")
    write_records(hub.settings, [make_record(COUNT + 1, hub.taxonomy, is_published=True)])
    hub.build()
    assert (folder,) not in listed
    hub.check()
    assert cache_images(hub.settings, hub.records[40:80])  # new files: the mtime moves
    os.utime(folder, ns=(old + 10**9, old + 10**9))  # ...and is old again by the next build
    report, _ = hub.build()
    assert (folder,) in listed
    hub.check()
    prefix = hub.settings.storage.assets_dir.strip("/") + "/cache/"
    assert any(p.startswith(prefix) for p in report.written)


def test_provider_pages_go_when_their_last_record_goes(hub: Hub) -> None:
    lonely = make_record(COUNT + 5, hub.taxonomy, is_published=True)
    lonely = replace(lonely, provider=replace(lonely.provider, domain="lonely.example"))
    write_records(hub.settings, [lonely])
    hub.build()
    assert (hub.site / "providers/lonely.example/index.html").is_file()
    (hub.news / record_path(lonely)).unlink()
    hub.build()
    hub.check()
    assert not (hub.site / "providers/lonely.example").exists()


def test_broken_record_is_reported_every_build_until_fixed(hub: Hub) -> None:
    broken = hub.news / "2023-01-01-broken.md"
    broken.write_text("---\ntitle: [\n---\n", encoding="utf-8")
    for _ in range(2):
        _, problems = hub.build()
        assert len(problems) == 1 and "2023-01-01-broken.md" in problems[0]
    broken.write_text(format_record(make_record(3000, hub.taxonomy)), encoding="utf-8")
    _, problems = hub.build()
    assert problems == []
    hub.check()


def test_deleted_site_folder_is_rebuilt_whole(hub: Hub) -> None:
    shutil.rmtree(hub.site)
    report, _ = hub.build()
    assert "index.html" in report.written
    hub.check()


def test_settings_change_rebuilds_everything(hub: Hub) -> None:
    hub.settings = with_overrides(hub.settings, "site", title="Renamed Every Day")
    report, _ = hub.build()
    assert "index.html" in report.written and len(report.written) > COUNT
    hub.check()


def test_full_flag_renders_all_but_rewrites_nothing(hub: Hub) -> None:
    before = mtimes(hub.site)
    report, _ = hub.build(full=True)
    assert report.written == frozenset()
    assert mtimes(hub.site) == before


def test_unknown_paging_is_a_config_error(hub: Hub) -> None:
    bad: Settings = with_overrides(hub.settings, "publish", paging="sideways")
    with pytest.raises(ConfigError):
        build_hub(bad, hub.taxonomy, NOW)


def test_taxonomy_change_rebuilds_everything(hub: Hub) -> None:
    topic = hub.taxonomy.topics[3]
    changed = replace(topic, description="A new description.")
    hub.taxonomy = Taxonomy(
        topics=tuple(changed if t is topic else t for t in hub.taxonomy.topics),
        organizations=hub.taxonomy.organizations,
        root=hub.taxonomy.root,
    )
    report, _ = hub.build()
    assert f"topics/{topic.id}/index.html" in report.written
    hub.check()


def test_news_sitemap_follows_now(hub: Hub) -> None:
    report, _ = build_hub(
        hub.settings, hub.taxonomy, NOW + timedelta(days=30), clusters=hub.clusters
    )
    assert "news-sitemap.xml" in report.written


# --------------------------------------------------------------------------- quick reader


def test_quick_reader_agrees_with_the_yaml_parser(tmp_path: Path) -> None:
    _, taxonomy = make_hub(tmp_path / "hub")
    for n in range(1, 60):
        text = format_record(make_record(n, taxonomy))
        quick = quick_record(text)
        assert quick is not None and quick == parse_record(text)


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("quality: ", 'quality: "', 1).replace("\nheat", '"\nheat', 1),
        lambda t: t.replace("published: true", "published: yes"),
        lambda t: t.replace("category: news", "category: news\nlegacyKey: 1"),
        lambda t: t.replace("\n---\n", "\n---\nbody text\n"),
        lambda t: t.replace("  - ", "    - ", 1),
        lambda t: "\ufeff" + t,
    ],
)
def test_quick_reader_leaves_anything_unusual_to_the_yaml_parser(tmp_path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    _, taxonomy = make_hub(tmp_path / "hub")
    assert quick_record(edit(format_record(make_record(4, taxonomy)))) is None


@pytest.mark.corpus
def test_quick_reader_on_real_records(corpus: Path) -> None:
    files = sorted(corpus.glob("*/_news/*.md"))
    accepted = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        quick = quick_record(text)
        if quick is not None:
            accepted += 1
            assert quick == parse_record(text), path
    assert accepted > len(files) * 0.9


# --------------------------------------------------------------------------- sitemap, output


def test_fast_urlset_bytes_equal_lxml() -> None:
    when = datetime(2024, 5, 6, 7, 8, 9, 120000, tzinfo=UTC)
    pages = [
        ("https://hub.example/a?b=1&c=<x>\"'\r\t\nü\x07", when),
        ("https://hub.example/", None),
        ("https://hub.example/z/", datetime(2024, 1, 1, tzinfo=UTC)),
    ]
    stamps = [(loc, None if m is None else stamp_of(m)) for loc, m in pages]
    assert urlset_bytes(stamps) == urlset([SitemapUrl(loc, m) for loc, m in pages])
    assert urlset_bytes([]) == urlset([])


def test_manifest_token_ties_the_database_to_the_folder(tmp_path: Path) -> None:
    db = tmp_path / "state" / "site.db"
    out = Output(tmp_path / "site", database=db, sweep=False)
    out.write("a.json", "1")
    out.finish({"state": b"x"})
    assert Output(tmp_path / "site", database=db, sweep=False).meta("state") == b"x"
    (tmp_path / "site" / TOKEN).write_text('{"build": "someone else"}')
    again = Output(tmp_path / "site", database=db, sweep=False)
    assert again.meta("state") is None and not again.is_known("a.json")


def test_damaged_manifest_database_is_started_afresh(tmp_path: Path) -> None:
    db = tmp_path / "site.db"
    db.write_bytes(b"not a database at all" * 100)
    out = Output(tmp_path / "site", database=db, sweep=False)
    assert out.write("a.json", "1") is True
    out.finish()


def test_incremental_output_removes_only_dropped_paths(tmp_path: Path) -> None:
    db = tmp_path / "site.db"
    out = Output(tmp_path / "site", database=db)
    for name in ("a.json", "b.json", "c.json"):
        out.write(name, name)
    out.finish()
    out = Output(tmp_path / "site", database=db, sweep=False)
    out.write("a.json", "changed")
    out.drop("b.json")
    out.drop("a.json")  # produced again: kept
    report = out.finish()
    assert report.written == {"a.json"} and report.removed == {"b.json"}
    assert report.unchanged == {"c.json"}
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [TOKEN, "a.json", "c.json"]


def _digests(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT path, digest FROM files"))


@pytest.mark.parametrize("database", [True, False])
def test_a_created_file_is_compared_on_disk_until_its_digest_is_known(
    tmp_path: Path, database: bool
) -> None:
    db = tmp_path / "site.db" if database else None
    site = tmp_path / "site"
    out = Output(site, database=db)
    for name in ("a.html", "b.html"):
        out.write(name, f"<p>{name}</p>")
    out.finish()
    if db is not None:
        assert _digests(db) == {"a.html": "", "b.html": ""}  # created: nothing hashed
    (site / "a.html").write_text("<p>A.html</p>")  # same size, other bytes, by hand
    os.utime(site / "b.html", (1_000_000, 1_000_000))
    out = Output(site, database=db)
    for name in ("a.html", "b.html"):
        out.write(name, f"<p>{name}</p>")
    report = out.finish()
    assert report.written == {"a.html"}  # found on disk: the digest could not have told
    assert (site / "a.html").read_text() == "<p>a.html</p>"
    assert (site / "b.html").stat().st_mtime == 1_000_000  # equal bytes: not rewritten
    if db is not None:  # learned: the next build compares digests, not files
        assert _digests(db)["b.html"] == hashlib.sha256(b"<p>b.html</p>").hexdigest()
    else:  # the JSON manifest in the site folder is not rewritten just to learn them
        assert json.loads((site / TOKEN).read_text()) == {"a.html": [13, ""], "b.html": [13, ""]}


@pytest.mark.parametrize(
    "path", ["a", "a/b/index.html", ".well-known/x", "a..b/c", "x/é.html", "a/.b"]
)
def test_plain_site_paths_are_accepted(path: str) -> None:
    assert check_relative(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/a",
        "a/",
        "a//b",
        ".",
        "..",
        "a/./b",
        "a/../b",
        "../a",
        "a/..",
        "./a",
        "a\\b",
        "a\x00b",
    ],
)
def test_unsafe_site_paths_are_refused(path: str) -> None:
    with pytest.raises(PublishError):
        check_relative(path)


def kept_texts(tmp_path: Path, count: int) -> Output:
    """A site whose previous build kept ``count`` card texts (version n for card n)."""
    db = tmp_path / "site.db"
    out = Output(tmp_path / "site", database=db, sweep=False)
    for n in range(count):
        out.texts[("card", f"_news/{n}.md")] = (n, f"<article>{n}</article>")
    out.write("a.json", "1")
    out.finish()
    return Output(tmp_path / "site", database=db, sweep=False)


def test_kept_texts_are_looked_up_one_by_one_then_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build after one new article asks for a few texts: reading all 100,000 kept ones
    cost 0.6 s. After POINT_LOOKUPS questions, all are read at once."""
    from everyday.publish import output as output_module

    monkeypatch.setattr(output_module, "POINT_LOOKUPS", 3)
    out = kept_texts(tmp_path, 6)
    whole = spy(monkeypatch, out.manifest, "texts")
    cache = output_module.TextCache(out, "card", reuse=True, keep=True)
    assert cache.get("_news/1.md", 1) == "<article>1</article>"
    assert cache.get("_news/2.md", 7) is None  # another version of the record
    assert cache.get("_news/9.md", 9) is None  # never kept
    assert whole == []  # three point lookups so far
    assert cache.get("_news/4.md", 4) == "<article>4</article>"
    assert cache.get("_news/5.md", 5) == "<article>5</article>"
    assert len(whole) == 1  # then one read of them all, and no more queries
    out.manifest.close()


def test_a_forked_worker_reads_kept_texts_on_its_own_connection(tmp_path: Path) -> None:
    out = kept_texts(tmp_path, 2)
    assert out.manifest.text("card", "_news/0.md") == (0, "<article>0</article>")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: SQLite forbids using the parent's connection here
        try:
            found = out.manifest.text("card", "_news/1.md")
            os.write(write, json.dumps(found).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        answer = json.loads(pipe.read())
    os.waitpid(pid, 0)
    assert answer == [1, "<article>1</article>"]
    assert out.manifest.text("card", "_news/1.md") == (1, "<article>1</article>")
    assert out.manifest._forked is None  # the parent kept using its own connection
    out.manifest.close()
