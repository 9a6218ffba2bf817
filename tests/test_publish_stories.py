"""Story grouping and top stories: the fast paths agree with the plain definitions."""

from __future__ import annotations

import random

import pytest

from everyday.publish.catalog import Catalog
from everyday.publish.site import Story, group_stories, top_stories
from test_publish_catalog import brief, loader


def plain_groups(listed, cluster_of):  # type: ignore[no-untyped-def]
    """The definition: a cluster is one story where its newest member is; hottest leads."""
    seen: dict[str, list] = {}
    order: list = []
    for item in listed:
        cid = cluster_of.get(item.path)
        if cid is None:
            order.append([item])
        elif cid in seen:
            seen[cid].append(item)
        else:
            seen[cid] = [item]
            order.append(seen[cid])
    stories = []
    for members in order:
        best = max(range(len(members)), key=lambda i: ((members[i].heat or 0), -i))
        stories.append((members[best].path, tuple(m.path for m in members)))
    return stories


def plain_top(stories, limit):  # type: ignore[no-untyped-def]
    """The definition: the hottest stories within two days of the newest, over all."""
    newest = max(s.members[0].stamp for s in stories)
    start = newest - 2 * 86_400 * 10**6
    recent = [s for s in stories if s.members[0].stamp >= start]
    return sorted(recent, key=lambda s: -max((m.heat or 0) for m in s.members))[:limit]


@pytest.mark.parametrize("seed", range(20))
def test_grouping_and_top_stories_with_pins(seed: int) -> None:
    rng = random.Random(seed)
    briefs = {
        b.path: b
        for b in (brief(n, rng, stamp=rng.randrange(6 * 86_400) * 10**6) for n in range(150))
    }
    paths = sorted(briefs)
    pins = {p: f"2023-01-0{rng.randrange(1, 9)}T00:00:00Z" for p in rng.sample(paths, seed % 4)}
    catalog = Catalog(briefs, loader, pins)
    clusters = {p: f"c{rng.randrange(30)}" for p in paths if rng.random() < 0.5}
    stories = group_stories(catalog.unique, clusters)
    assert [(s.lead.path, tuple(m.path for m in s.members)) for s in stories] == plain_groups(
        catalog.unique, clusters
    )
    for limit in (5, 50):
        expected = plain_top(stories, limit)
        assert top_stories(stories, pinned=len(pins), limit=limit) == expected
        assert top_stories(stories, limit=limit) == expected


def test_entries_stand_alone_as_stories() -> None:
    """Entries (not briefs) still come back as Story tuples."""

    class Item:
        def __init__(self, path: str) -> None:
            self.path = path

    items = [Item("a"), Item("b")]
    assert group_stories(items, {}) == [Story(items[0], (items[0],)), Story(items[1], (items[1],))]
