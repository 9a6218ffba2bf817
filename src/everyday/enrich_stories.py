"""Story ids: the ``story:<id>`` tag that files related coverage of one event together."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from .enrich.related import story_clusters
from .enrich_pairs import Bars
from .models import Article

STORY_TAG = "story:"


def stories(
    arts: Mapping[str, Article],
    targets: set[str],
    cosines: Mapping[frozenset[str], float],
    copies: set[frozenset[str]],
    bars: Bars,
) -> dict[str, str]:
    """Story id of each target and of every loaded article whose story id changes.

    Targets join the stories of their story pairs (near-copies, or cosine over the story
    bar); a target that bridges two stories merges them under the older id. A story
    without stored members gets the id of its earliest member.
    """
    pairs: list[tuple[str, str, float]] = []
    for pair in set(cosines) | copies:
        a, b = sorted(pair)
        if pair in copies or cosines[pair] >= bars.story_for(arts[a], arts[b]):
            pairs.append((a, b, 1.0))
    members = targets | {u for a, b, _ in pairs for u in (a, b)}
    current = {u: s for u in arts if u not in targets and (s := story_of(arts[u])) is not None}
    out: dict[str, str] = {}
    for group in story_clusters(members, pairs, 0.0):
        if not targets.intersection(group):
            continue
        kept = sorted({current[u] for u in group if u in current})
        earliest = min(group, key=lambda u: (arts[u].record.published, u))
        story = kept[0] if kept else story_id(earliest)
        out.update((u, story) for u in group)
        out.update((u, story) for u, s in current.items() if s in kept[1:])
    return {u: s for u, s in out.items() if s != current.get(u)}


def story_id(web_url: str) -> str:
    """A stable story id (60-bit integer, as text): the hash of its first article's URL."""
    return str(int(hashlib.sha1(web_url.encode("utf-8")).hexdigest()[:15], 16))


def story_of(article: Article) -> str | None:
    """The story id an article is filed under, if any."""
    return next((t[len(STORY_TAG) :] for t in article.tags if t.startswith(STORY_TAG)), None)


def clusters_of(articles: Iterable[Article]) -> dict[str, str]:
    """Record path -> story id, for the site and newsletter builders."""
    return {a.path: s for a in articles if (s := story_of(a)) is not None}
