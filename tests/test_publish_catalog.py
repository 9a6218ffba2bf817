"""A warm build's catalog, patched from the previous one, equals a catalog sorted afresh."""

from __future__ import annotations

import random

import pytest

from everyday.publish.catalog import Brief, Catalog

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
        related=(),
        day=f"2023/01/{(day if day is not None else rng.randrange(1, 4)):02d}",
        slug=f"slug-{n % 40}",  # shared slugs: twins on one page path
        cached=(),
    )


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
    paths = [*sorted(b.briefs)[::3], "_news/none.md"]
    assert a.pick(paths) == [x for x in b.unique if x.path in paths]


@pytest.mark.parametrize("seed", range(25))
def test_patched_catalog_equals_a_fresh_one(seed: int) -> None:
    rng = random.Random(seed)
    briefs = {b.path: b for b in (brief(n, rng) for n in range(200))}
    pins = {"_news/00003.md": "2023-01-05T00:00:00Z"} if seed % 5 == 0 else {}
    before = Catalog(dict(briefs), loader, pins)
    if seed % 2:
        before.by_domain()
    for name in TOPICS[: 1 + seed % 4]:  # lists an earlier build asked for
        before.topic(name)
        before.topic(name, unique=True)
    for _step in range(4):
        now = dict(before.briefs)
        changed: set[str] = set()
        for _ in range(rng.randrange(1, 6)):
            kind = rng.random()
            if kind < 0.4:  # a new record, sometimes on an existing page path
                n = 200 + rng.randrange(10_000)
                new = brief(n, rng)
                now[new.path] = new
                changed.add(new.path)
            elif kind < 0.7 and now:  # an edit: new time, topics, publication
                path = rng.choice(sorted(now))
                n = int(path[6:11])
                now[path] = brief(n, rng)
                changed.add(path)
            elif now:  # a deletion
                path = rng.choice(sorted(now))
                del now[path]
                changed.add(path)
        patched = Catalog(now, loader, pins, before, changed)
        fresh = Catalog(dict(now), loader, pins)
        same(patched, fresh)
        before = patched


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
