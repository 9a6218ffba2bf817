"""Heat and the published decision, exactly as the seed decided them (pure).

``SCHEMA.md`` §vi.5-6, verified on every scored record of ``../shared/corpus``:

* an article whose related list holds a strictly higher-quality article is a follower
  (a duplicate or a weaker take on the story): ``heat = -1``;
* otherwise it leads its story: ``heat = quality + 10 × len(related)``;
* ``published = heat >= threshold`` (60 on the AI hub, 70 on Power Apps), so followers are
  never published and a weak leader of a big story can be.

The seed's heat sometimes runs 0-2 above that formula (the upstream score was rounded
differently); we do not reproduce that noise. :func:`decide_all` recomputes the decisions
of the records a change touched, which is how an old leader gets demoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

FOLLOWER_HEAT = -1
RELATED_BONUS = 10


@dataclass(frozen=True)
class Decision:
    """Heat, published and why, for one article."""

    heat: int
    published: bool
    leader: bool
    reason: str


def decide(
    quality: int,
    related_qualities: Sequence[int | None],
    threshold: int,
    bonus: int = RELATED_BONUS,
) -> Decision:
    """Decide one article's heat and published flag from its quality and its related list.

    Args:
        quality: the article's quality score.
        related_qualities: quality of each related article (``None`` counts as 0).
        threshold: the hub's ``publish_threshold``.
        bonus: heat added per related article.

    Returns:
        The :class:`Decision`, with a one-line reason for ``everyday explain``.
    """
    others = [q or 0 for q in related_qualities]
    stronger = [q for q in others if q > quality]
    if stronger:
        return Decision(
            heat=FOLLOWER_HEAT,
            published=False,
            leader=False,
            reason=f"follower: a related article has quality {max(stronger)} > {quality}",
        )
    heat = quality + bonus * len(others)
    published = heat >= threshold
    verb = "published" if published else "not published"
    return Decision(
        heat=heat,
        published=published,
        leader=True,
        reason=(
            f"leader: heat {heat} = quality {quality} + {bonus} × {len(others)} related; "
            f"{verb} ({heat} {'>=' if published else '<'} threshold {threshold})"
        ),
    )


def decide_all(
    ids: Iterable[str],
    quality: Mapping[str, int],
    related: Mapping[str, Sequence[str]],
    threshold: int,
) -> dict[str, Decision]:
    """Decisions for ``ids`` given every article's quality and related ids (missing = 0)."""
    return {
        doc: decide(
            quality.get(doc, 0),
            [quality.get(other, 0) for other in related.get(doc, ())],
            threshold,
        )
        for doc in ids
    }


def heat_drift(recorded_heat: int, decision: Decision) -> int | None:
    """How far the seed's heat is above ours; ``None`` when leader/follower disagree."""
    if (recorded_heat == FOLLOWER_HEAT) != (decision.heat == FOLLOWER_HEAT):
        return None
    return recorded_heat - decision.heat
