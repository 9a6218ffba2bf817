"""The enrich stage on a hub: decisions written to records and index, incremental and batch."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import loopback_settings
from enrich_hub import NOW, add_article, body, open_test_hub, stored
from everyday import editorial
from everyday.app import open_hub
from everyday.demo.content import STORIES, SYNDICATED
from everyday.demo.newswire import Newswire
from everyday.enrich.heat import decide
from everyday.enrich.secured import decrypt_secured
from everyday.enrich_stories import story_of
from everyday.enrichment import enrich_new, enrich_pending, recompute
from everyday.keyring import KeyRing, describe_missing_key, generate_key
from everyday.models import FeedEntry
from everyday.pipeline import run_pass
from everyday.records.check import check_tree
from everyday.records.files import iter_record_files, read_record
from everyday.saving import save_article
from everyday.settings import Settings
from everyday.summary import RunSummary


def mtimes(hub_dir: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in iter_record_files(hub_dir / "_news")}


def test_a_stronger_newcomer_demotes_the_old_leader_and_only_touches_its_story(
    tmp_path: Path,
) -> None:
    with open_test_hub(tmp_path / "hub") as hub:
        old = add_article(hub, "Halvorsen H7 chip ships", body("chip", 1), hours=30)
        taxi = add_article(hub, "Brightway robotaxi crash", body("robotaxi", 2), hours=20)
        rain = add_article(hub, "Storm forecast for the coast", body("weather", 3), hours=10)
        first = enrich_new(
            hub, [old.record.web_url, taxi.path, rain.record.web_url], NOW, keyring=None
        )
        assert first.targets == 3
        leader = stored(hub, old.record.web_url)
        assert leader.related == () and leader.heat == leader.quality
        assert leader.is_published is True  # 400 words, image: above the bar alone
        before = mtimes(hub.settings.hub_dir)

        long_text = body("chip", 1) + "\n\n" + body("chip", 4, words=1000)  # a longer take
        new = add_article(hub, "Inside Halvorsen's H7 racks", long_text, hours=5)
        report = enrich_new(hub, [new.record.web_url], NOW, keyring=None)

        demoted, winner = stored(hub, old.record.web_url), stored(hub, new.record.web_url)
        assert winner.quality > demoted.quality
        assert [r.web_url for r in winner.related] == [old.record.web_url]
        assert [r.web_url for r in demoted.related] == [new.record.web_url]
        assert (demoted.heat, demoted.is_published) == (-1, False)
        assert winner.heat == winner.quality + 10 and winner.is_published
        assert report.demoted == (old.record.web_url,)
        assert set(report.rewritten) == {old.path, new.path}
        after = mtimes(hub.settings.hub_dir)
        for article in (taxi, rain):
            path = hub.settings.hub_dir / article.path
            assert after[path] == before[path]
        assert read_record(hub.settings.hub_dir / old.path) == demoted  # file == index
        story = story_of(hub.store.get_article(new.record.web_url))  # type: ignore[arg-type]
        assert story is not None
        assert story == story_of(hub.store.get_article(old.record.web_url))  # type: ignore[arg-type]
        assert story != story_of(hub.store.get_article(taxi.record.web_url))  # type: ignore[arg-type]
        db = hub.settings.path(hub.settings.storage.database)
    with sqlite3.connect(db) as conn:
        clusters = dict(conn.execute("SELECT url, cluster_id FROM articles").fetchall())
    assert clusters[old.record.web_url] == clusters[new.record.web_url] == int(story)
    assert clusters[taxi.record.web_url] != int(story)


def test_a_near_copy_is_related_loses_points_and_is_never_published(tmp_path: Path) -> None:
    with open_test_hub(tmp_path / "hub") as hub:
        text = body("scanner", 7, words=700)
        original = add_article(hub, "AI matches double reading", text, hours=8, domain="aster.test")
        copy_text = text.replace("hospital", "clinic", 3) + "\n\nSyndicated from Aster News."
        copy = add_article(hub, "AI matches double reading", copy_text, hours=2, domain="copy.test")
        enrich_new(hub, [original.record.web_url, copy.record.web_url], NOW, keyring=None)
        a, b = stored(hub, original.record.web_url), stored(hub, copy.record.web_url)
    assert [r.web_url for r in b.related] == [a.web_url]
    assert b.quality == a.quality - 10  # the "duplicate" part
    assert (a.is_published, b.is_published, b.heat) == (True, False, -1)


def test_secured_is_sealed_with_the_key_and_omitted_once_without_one(tmp_path: Path) -> None:
    with open_test_hub(tmp_path / "hub") as hub:
        one = add_article(hub, "Halvorsen H7 chip ships", body("chip", 1), hours=3)
        two = add_article(hub, "Storm forecast", body("weather", 2), hours=2)
        report = enrich_new(hub, [one.record.web_url, two.record.web_url], NOW, keyring=None)
        assert report.secured_missing == describe_missing_key()
        assert stored(hub, one.record.web_url).secured is None
        ring = KeyRing((generate_key("k1"),))
        three = add_article(hub, "Another storm forecast", body("weather", 5), hours=1)
        enrich_new(hub, [three.record.web_url], NOW, keyring=ring)
        sealed = stored(hub, three.record.web_url).secured
    assert sealed is not None
    assert decrypt_secured(sealed, ring)["text"] == three.text


def test_bad_input_gets_sensible_decisions_without_a_crash(tmp_path: Path) -> None:
    with open_test_hub(tmp_path / "hub") as hub:
        articles = [
            add_article(hub, "Weekly roundup", "", hours=1, slug="empty", image_width=None),
            add_article(hub, "Huge", body("chip", 9, words=60_000), hours=2, slug="huge"),
            add_article(
                hub,
                "Ein Bericht über Chips",
                "Der Chip ist schnell und die " * 40,
                hours=3,
                slug="german",
            ),
            add_article(hub, "Future", body("robotaxi", 4), hours=-24 * 400, slug="future"),
            add_article(hub, "Epoch", body("robotaxi", 5), hours=24 * 365 * 54, slug="epoch"),
            add_article(hub, "Unknown site", body("weather", 6), hours=4, domain="nobody.test"),
        ]
        report = enrich_new(hub, [a.record.web_url for a in articles], NOW, keyring=None)
        records = {a.path: stored(hub, a.record.web_url) for a in articles}
    assert report.targets == len(articles)
    for record in records.values():
        assert record.quality is not None and record.quality >= 0
        assert record.heat is not None and record.is_published is not None
    german = records[articles[2].path]
    assert german.quality is not None and german.quality < records[articles[1].path].quality  # type: ignore[operator]
    assert check_tree(tmp_path / "hub" / "_news") == []


def test_recompute_decides_like_the_incremental_stage(tmp_path: Path) -> None:
    subjects = ["chip", "robotaxi", "chip", "weather", "scanner", "chip", "robotaxi", "scanner"]
    with open_test_hub(tmp_path / "hub") as hub:
        urls = []
        for n, subject in enumerate(subjects):
            hours = 100 - 10 * n
            a = add_article(
                hub, f"{subject} news {n}", body(subject, n, 300 + 150 * n), hours=hours
            )
            enrich_new(hub, [a.record.web_url], NOW, keyring=None)
            urls.append(a.record.web_url)
        incremental = {u: stored(hub, u) for u in urls}
        report = recompute(hub, NOW, keyring=None)
        batch = {u: stored(hub, u) for u in urls}
    assert report.targets == len(urls)
    for url in urls:
        old, new = incremental[url], batch[url]
        assert [r.web_url for r in old.related or ()] == [r.web_url for r in new.related or ()]
        assert (old.quality, old.heat, old.is_published) == (
            new.quality,
            new.heat,
            new.is_published,
        )
    assert report.rewritten == ()  # nothing to change: the same code decided
    chips = [batch[u] for u, s in zip(urls, subjects, strict=True) if s == "chip"]
    assert all(len(r.related or ()) == 2 for r in chips)


def test_recompute_since_leaves_older_records_alone(tmp_path: Path) -> None:
    with open_test_hub(tmp_path / "hub") as hub:
        early = add_article(hub, "Old chip news", body("chip", 1), hours=24 * 30)
        late = add_article(hub, "New chip news", body("chip", 2), hours=1)
        report = recompute(hub, NOW, since=NOW - timedelta(days=2), keyring=None)
        assert report.targets == 1
        assert stored(hub, early.record.web_url).quality is None
        assert stored(hub, late.record.web_url).quality is not None


# --------------------------------------------------------------------- end to end (newswire)


def _pass(hub_dir: Path, settings: Settings):  # type: ignore[no-untyped-def]
    with open_hub(hub_dir, settings) as hub:
        return asyncio.run(run_pass(hub, datetime.now(UTC), all_sources=True))


def test_a_pass_enriches_and_a_later_pass_rewrites_only_what_changed(
    hub_dir: Path, newswire: Newswire
) -> None:
    settings = loopback_settings(hub_dir, newswire)
    summary = _pass(hub_dir, settings)
    records = {read_record(p).web_url: read_record(p) for p in iter_record_files(hub_dir / "_news")}
    assert len(summary.rewritten) == len(summary.new)
    assert any(describe_missing_key() == w for w in summary.warnings)
    by_id = {a.id: a.canonical_url for a in newswire.articles}
    for record in records.values():
        assert record.quality is not None and record.heat is not None  # no related: no key
        check = decide(record.quality, [r.quality for r in record.related or ()], 60)
        assert (record.heat, record.is_published) == (check.heat, check.published)
        assert all(r.web_url != record.web_url for r in record.related or ())
    for original, copy in SYNDICATED:
        a, b = records.get(by_id[original]), records.get(by_id[copy])
        if a is None or b is None or a is b:
            continue  # filed under one URL (canonical), or not collected
        assert b.web_url in {r.web_url for r in a.related}
        assert not (a.is_published and b.is_published)
    linked = total = 0
    for members in STORIES.values():
        urls = [by_id[m] for m in members if by_id.get(m) in records]
        for n, url in enumerate(urls):
            for other in urls[n + 1 :]:
                total += 1
                linked += other in {r.web_url for r in records[url].related or ()}
    assert total and linked / total >= 0.9
    assert check_tree(hub_dir / "_news") == []

    before = mtimes(hub_dir)
    newswire.publish_more(20)
    second = _pass(hub_dir, settings)
    after = mtimes(hub_dir)
    touched = {p for p in before if after[p] != before[p]}
    assert touched  # the new articles joined older stories
    assert {str(p.relative_to(hub_dir)) for p in touched} <= set(second.rewritten)
    unchanged = [p for p in before if p not in touched]
    assert unchanged  # records the newcomers do not relate to keep their bytes and mtime
    new_urls = set(second.new)
    for path in touched:
        record = read_record(path)
        assert new_urls & {r.web_url for r in record.related or ()}, path
    for path in unchanged:
        assert not new_urls & {r.web_url for r in read_record(path).related or ()}
    assert second.demoted  # the wire's later articles outrank some earlier leaders
    now_records = {read_record(p).web_url: read_record(p) for p in after}
    for url in second.demoted:
        demoted = now_records[url]
        assert (demoted.heat, demoted.is_published) == (-1, False)
        assert records[url].is_published


def test_enrich_pending_decides_only_what_was_never_decided(tmp_path: Path) -> None:
    with open_test_hub(tmp_path / "hub") as hub:
        done = add_article(hub, "Storm forecast", body("weather", 1), hours=50)
        enrich_new(hub, [done.record.web_url], NOW, keyring=None)
        decided = hub.store.get_article(done.record.web_url)
        left = add_article(hub, "Robotaxi crash", body("robotaxi", 2), hours=3)
        report = enrich_pending(hub, NOW, keyring=None)
        assert report.targets == 1 and report.rewritten == (left.path,)
        assert stored(hub, left.record.web_url).quality is not None
        assert hub.store.get_article(done.record.web_url) == decided
        assert enrich_pending(hub, NOW, keyring=None).targets == 0


def test_an_editors_decision_survives_newcomers_and_recollection(tmp_path: Path) -> None:
    with open_test_hub(tmp_path / "hub") as hub:
        old = add_article(hub, "Halvorsen H7 chip ships", body("chip", 1), hours=30)
        enrich_new(hub, [old.record.web_url], NOW, keyring=None)
        assert stored(hub, old.record.web_url).is_published is True
        # The editor publishes it by hand (already published: only the tag is new).
        outcome = editorial.decide(hub, old.path, True)
        assert outcome.rewritten is False and "editor:published" in outcome.article.tags
        long_text = body("chip", 1) + "\n\n" + body("chip", 4, words=1000)
        new = add_article(hub, "Inside Halvorsen's H7 racks", long_text, hours=5)
        report = enrich_new(hub, [new.record.web_url], NOW, keyring=None)
        kept = stored(hub, old.record.web_url)
        # A stronger take on the story demotes it (heat -1, as without an editor) ...
        assert kept.heat == -1 and [r.web_url for r in kept.related] == [new.record.web_url]
        # ... but it stays published, as the editor decided.
        assert kept.is_published is True and report.demoted == ()
        assert read_record(hub.settings.hub_dir / old.path) == kept

        # Collected again (its page changed): the record is updated, the decision kept.
        entry = FeedEntry(url=old.record.web_url, source_url="https://feed.test/", tags=("x",))
        update = replace(old.record, title="Halvorsen H7 chip ships to first customers")
        save_article(hub, update, entry, old.text, (), now=NOW, summary=RunSummary(), refresh=True)
        again = hub.store.get_article(old.record.web_url)
        assert again is not None and again.record.title.endswith("first customers")
        assert again.tags[:1] == ("x",) and "editor:published" in again.tags
        enrich_new(hub, [old.record.web_url], NOW, keyring=None)
        assert stored(hub, old.record.web_url).is_published is True

        # Handed back: the hub decides at once, and demotes it.
        back = editorial.hand_back(hub, old.record.web_url, NOW)
        assert back.article.record.is_published is False and back.rewritten
        assert editorial.editor_decision(back.article.tags) is None
