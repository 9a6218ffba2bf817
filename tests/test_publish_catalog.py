"""A warm build's catalog, patched from the previous one, equals a catalog sorted afresh."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from everyday.models import Image, Provider, Record, Related
from everyday.publish.catalog import FEW_URLS, Brief, Catalog, brief_of
from everyday.publish.entries import Entry

TOPICS = ("AI", "Robots", "Chips", "Law")


def brief(n: int, rng: random.Random, *, stamp: int | None = None, day: int | None = None) -> Brief:
    topics = tuple(rng.sample(TOPICS, rng.randrange(3)))
    if n % 7 == 0:
        topics += topics[:1]  # a topic named twice
    return Brief.make(
        path=f"_news/{n:05d}.md",
        version=rng.randrange(1 << 30),
        stamp=stamp if stamp is not None else rng.randrange(50) * 1_000_000,
        listed=rng.random() < 0.85,
        title=f"Story {n}",
        topics=topics,
        domain=f"outlet{n % 5}.example",
        provider=f"Outlet {n % 5}",
        logos=(),
        web_url=f"https://outlet{n % 5}.example/{n}",
        heat=rng.randrange(100),
        related=tuple(
            f"https://cited.example/{k}" for k in rng.sample(range(30), rng.randrange(3))
        ),
        day=f"2023/01/{(day if day is not None else rng.randrange(1, 4)):02d}",
        slug=f"slug-{n % 40}",  # shared slugs: twins on one page path
        cached=(),
    )


def lone_brief(n: int, rng: random.Random) -> Brief:
    """A brief on a page path of its own (few twins), except one in fifty."""
    made = tuple(brief(n, rng))
    return Brief.of_row((*made[:13], f"slug-{n}" if n % 50 else "shared", *made[14:]))


def change_some(now: dict[str, Brief], rng: random.Random, make) -> tuple[set[str], list[str]]:  # type: ignore[no-untyped-def]
    """1-5 random changes to ``now`` in place: new records (sometimes on an existing page
    path), edits (new time, topics, publication) and deletions. Returns the changed paths
    and the new ones."""
    changed: set[str] = set()
    added: list[str] = []
    for _ in range(rng.randrange(1, 6)):
        kind = rng.random()
        if kind < 0.4:
            new = make(200 + rng.randrange(10_000), rng)
            now[new.path] = new
            changed.add(new.path)
            added.append(new.path)
        elif kind < 0.7 and now:
            path = rng.choice(sorted(now))
            now[path] = make(int(path[6:11]), rng)
            changed.add(path)
        elif now:
            path = rng.choice(sorted(now))
            del now[path]
            changed.add(path)
    return changed, added


def loader(path: str):  # type: ignore[no-untyped-def]
    raise LookupError(path)


def same(a: Catalog, b: Catalog) -> None:
    assert a.listed == b.listed and a.unique == b.unique
    assert a.winners == b.winners and a.twins == b.twins
    for name in ("", *TOPICS):
        assert a.topic(name) == b.topic(name) == [x for x in b.listed if name in x.topics]
        assert a.topic(name, unique=True) == b.topic(name, unique=True)
        assert b.topic(name, unique=True) == [x for x in b.unique if name in x.topics]
    domains: dict[str, list[Brief]] = {}
    for x in b.listed:
        domains.setdefault(x.domain.lower(), []).append(x)
    assert a.by_domain() == b.by_domain() == domains
    many = {f"https://cited.example/{k}" for k in range(FEW_URLS + 1)}  # by the index
    for urls in (
        {"https://cited.example/1"},
        {f"https://cited.example/{k}" for k in range(9)},
        many,
    ):
        assert (
            a.citing(urls) == b.citing(urls) == {x.path for x in b.unique if urls & set(x.related)}
        )
    paths = [*sorted(b.briefs)[::3], "_news/none.md"]
    assert a.pick(paths) == [x for x in b.unique if x.path in paths]


@pytest.mark.parametrize("seed", range(25))
def test_patched_catalog_equals_a_fresh_one(seed: int) -> None:
    rng = random.Random(seed)
    make = brief if seed % 3 else lone_brief  # a third of the runs: few twins, many patches
    briefs = {b.path: b for b in (make(n, rng) for n in range(200))}
    pins = {"_news/00003.md": "2023-01-05T00:00:00Z"} if seed % 5 == 0 else {}
    before = Catalog(dict(briefs), loader, pins)
    if seed % 2:
        before.by_domain()
        before.citing({f"https://nowhere.example/{k}" for k in range(FEW_URLS + 1)})  # indexed
        assert before._cited is not None
    for name in TOPICS[: 1 + seed % 4]:  # lists an earlier build asked for
        before.topic(name)
        before.topic(name, unique=True)
    patches = 0
    for _step in range(4):
        now = dict(before.briefs)
        changed, _ = change_some(now, rng, make)
        patched = Catalog(now, loader, pins, before, changed)
        fresh = Catalog(dict(now), loader, pins)
        same(patched, fresh)
        patches += patched.delta is not None
        before = patched
    assert patches or seed % 3 or pins  # runs with few twins and no pins do patch


def test_a_brief_missing_from_the_old_lists_sorts_afresh() -> None:
    """A ``before`` that does not match what changed is not trusted."""
    rng = random.Random(1)
    briefs = {b.path: b for b in (brief(n, rng) for n in range(50))}
    before = Catalog(dict(briefs), loader)
    stranger = brief(999, rng)
    stranger = Brief.of_row((*tuple(stranger)[:3], True, *tuple(stranger)[4:]))
    lying = dict(before.briefs)
    lying[stranger.path] = stranger
    before.briefs[stranger.path] = stranger  # claims to have listed it, but never did
    now = dict(lying)
    del now[stranger.path]
    patched = Catalog(now, loader, {}, before, {stranger.path})
    same(patched, Catalog(dict(now), loader))


def index_view(index):  # type: ignore[no-untyped-def]
    """What an index answers, in a comparable form (orders included)."""
    return (
        index.clusters,
        index.sizes,
        index.stories,
        index.by_web_url,
        list(index.by_provider().items()),
        index.topic_links(),
        {name: index._counts[name] for name in TOPICS},
    )


@pytest.mark.parametrize("seed", range(25))
def test_patched_index_equals_a_fresh_one(seed: int, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A warm build's site index, patched from the previous one, answers as a fresh one."""
    from build_samples import make_hub
    from everyday.publish.views import Index

    settings, taxonomy = make_hub(tmp_path / "hub", page_size=4, paging="stable")
    rng = random.Random(seed)

    def duplicating(n: int, rng: random.Random) -> Brief:  # a third share another's URL
        made = tuple(lone_brief(n, rng))
        if rng.random() < 0.3:
            return Brief.of_row((*made[:9], f"https://dup.example/{rng.randrange(7)}", *made[10:]))
        return Brief.of_row(made)

    briefs = {b.path: b for b in (lone_brief(n, rng) for n in range(200))}
    for n, path in enumerate(sorted(briefs)[:40]):  # shared URLs: the newest one wins
        briefs[path] = Brief.of_row(
            (*tuple(briefs[path])[:9], f"https://dup.example/{n % 7}", *tuple(briefs[path])[10:])
        )
    clusters = {p: f"c{rng.randrange(25)}" for p in sorted(briefs) if rng.random() < 0.5}
    catalog = Catalog(dict(briefs), loader)
    index = Index.of(catalog.unique, taxonomy, settings.site, clusters)
    index.by_provider(), index.topic_links()
    patches = 0
    for _step in range(4):
        now = dict(catalog.briefs)
        changed, added = change_some(now, rng, duplicating)
        for path in added:
            if rng.random() < 0.5:
                clusters = {**clusters, path: f"c{rng.randrange(25)}"}
        catalog = Catalog(now, loader, {}, catalog, changed)
        if rng.random() < 0.5:  # records already listed move between stories
            for path in rng.sample(sorted(now), 3):
                clusters = {**clusters, path: f"c{rng.randrange(25)}"}
            clusters.pop(rng.choice(sorted(clusters)), None)
        patches += catalog.delta is not None
        patched = Index.of(
            catalog.unique,
            taxonomy,
            settings.site,
            clusters,
            before=index,
            delta=catalog.delta,
            briefs=catalog.briefs,
        )
        assert patched._paths == {b.path for b in catalog.unique}
        fresh = Index.of(catalog.unique, taxonomy, settings.site, clusters)
        assert index_view(patched) == index_view(fresh)
        index = patched
    assert patches >= 2  # most steps move no twin, so the index is patched, not remade


def test_brief_of_names_each_field_of_the_record() -> None:
    """brief_of builds the tuple positionally: each named field must hold its own value."""
    when = datetime(2024, 3, 5, 6, 7, 8, 123456, tzinfo=UTC)
    logo = Image("https://o.example/logo.png", 20, 20, True, None)
    record = Record(
        title="A title",
        excerpt="An excerpt",
        published=when,
        web_url="https://o.example/a",
        provider=Provider("Outlet", "o.example", (logo,)),
        topics=("AI", "Robots"),
        heat=42,
        is_published=True,
        images=(Image("https://i.example/1.jpg", 1, 1, True), Image("https://i.example/2.jpg")),
        related=(Related(title="R", excerpt="", published=when, web_url="https://r.example/1"),),
    )
    b = brief_of(Entry("_news/2024-03-05-a-title.md", record), 7)
    assert (b.path, b.version, b.listed, b.title) == (
        "_news/2024-03-05-a-title.md",
        7,
        True,
        "A title",
    )
    assert b.published == when
    assert (b.topics, b.domain, b.provider, b.heat) == (("AI", "Robots"), "o.example", "Outlet", 42)
    assert b.logos == (("https://o.example/logo.png", 20, 20, True, None),)
    assert (b.web_url, b.related) == ("https://o.example/a", ("https://r.example/1",))
    assert (b.day, b.slug, b.cached) == ("2024/03/05", "a-title", ("https://i.example/1.jpg",))
