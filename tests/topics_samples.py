"""A small labelled hub for the topic classifier tests: what keywords miss, and what they get wrong.

* ``Robotics`` has no keywords at all: only a trained model can find it;
* ``chip`` is an ``AI Hardware`` keyword, but the bakery stories are labelled without it;
* ``AI in Autos`` has a single example: too few to learn, so its keywords decide;
* ``TensorFlow`` implies its parent ``Google AI``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import cycle

from everyday.models import Provider, Record
from everyday.taxonomy import Taxonomy, Topic

TAXONOMY = Taxonomy(
    topics=(
        Topic(id="ai", name="AI", keywords=("artificial intelligence", "ai")),
        Topic(id="hardware", name="AI Hardware", parent="AI", keywords=("chip", "gpu")),
        Topic(id="autos", name="AI in Autos", parent="AI", keywords=("driverless", "waymo")),
        Topic(id="google", name="Google AI", parent="AI", keywords=("google", "deepmind")),
        Topic(id="tensorflow", name="TensorFlow", parent="Google AI", keywords=("tensorflow",)),
        Topic(id="robotics", name="Robotics", parent="AI"),
    ),
    root="AI",
)

_COMPANIES = ("Nvidia", "AMD", "Intel", "Cerebras", "Graphcore", "Qualcomm")
_PLACES = ("a warehouse", "a hospital", "a factory", "Tokyo", "a farm", "the lab")

STORIES: tuple[tuple[tuple[str, ...], tuple[str, str]], ...] = tuple(
    [
        (
            ("AI", "AI Hardware"),
            (f"{c} unveils a faster {p} for training", f"The {p} doubles speed."),
        )
        for c, p in zip(_COMPANIES * 2, cycle(("chip", "GPU", "accelerator chip")), strict=False)
    ]
    + [
        (("AI",), (f"Bakery wins prize for chocolate chip cookie no. {n}", "A sweet recipe."))
        for n in range(10)
    ]
    + [
        (("AI", "Robotics"), (f"Humanoid robot learns to walk in {p}", "Its legs adapt."))
        for p in _PLACES * 2
    ]
    + [
        (("AI", "Google AI", "TensorFlow"), (f"TensorFlow {n}.0 release adds faster training", ""))
        for n in range(2, 10)
    ]
    + [(("AI", "AI in Autos"), ("Waymo opens driverless taxis in Austin", "Riders can book."))]
    + [
        (("AI",), (f"Weekly roundup {n}: startups raise funding", "News of the week."))
        for n in range(15)
    ]
)


def record(title: str, excerpt: str, topics: tuple[str, ...], day: int) -> Record:
    """A record with just the fields the classifier reads."""
    return Record(
        title=title,
        excerpt=excerpt,
        published=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=day),
        web_url=f"https://example.org/news/{day}",
        provider=Provider(name="Example", domain="example.org"),
        topics=topics,
    )


def labelled_records() -> list[Record]:
    """The stories, interleaved so every kind is in both the older and the newer part."""
    kinds: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for topics, story in STORIES:
        kinds.setdefault(topics, []).append(story)
    order: list[tuple[tuple[str, ...], tuple[str, str]]] = []
    while any(kinds.values()):
        for topics, stories in kinds.items():
            if stories:
                order.append((topics, stories.pop(0)))
    return [
        record(title, excerpt, topics, day) for day, (topics, (title, excerpt)) in enumerate(order)
    ]
