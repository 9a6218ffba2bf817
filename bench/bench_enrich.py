"""Benchmark the enrich decisions: from-scratch run, one new article, memory.

Targets (issue 3): enrich 10,000 articles from scratch in < 60 s on 2 cores; add one
article to a 100,000-article hub (related + heat for every affected article) in < 1 s;
peak memory < 2 GB at 100,000 articles.

    .venv/bin/python bench/bench_enrich.py            # 10k from scratch + 100k incremental
    .venv/bin/python bench/bench_enrich.py --small    # 10k only

The synthetic articles have a 30,000-word vocabulary drawn Zipf-like, 600 subjects with
their own words, 300-900 words each, 5% near-copies of an earlier article (a few words
changed), spread over 60 days. Numbers are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from everyday.enrich.heat import decide_all
from everyday.enrich.quality import quality_score, signals_for
from everyday.enrich.related import (
    Item,
    RelatedRules,
    link_all,
    link_new,
    scored_neighbours,
    story_clusters,
)
from everyday.enrich.similarity import SimilarityIndex, document_text

START = datetime(2024, 1, 1, tzinfo=UTC)
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    """Distinct pseudo-words of 2-4 syllables."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def synthetic(count: int, seed: int = 7) -> Iterator[tuple[Item, str, str]]:
    """(item, title, text) for ``count`` articles over 60 days, some near-copies."""
    rng = random.Random(seed)
    vocab = vocabulary(30_000, rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    subjects = [rng.sample(vocab[2000:], 40) for _ in range(600)]
    out: deque[tuple[Item, str, str]] = deque(maxlen=500)  # recent ones, to copy from
    for n in range(count):
        when = START + timedelta(seconds=rng.uniform(0, 60 * 86400))
        if out and rng.random() < 0.05:
            item, title, text = rng.choice(out)
            when = item.published + timedelta(hours=rng.uniform(0, 48))  # syndication lag
            tokens = text.split()
            for _ in range(max(1, len(tokens) // 40)):
                tokens[rng.randrange(len(tokens))] = rng.choice(vocab)
            text = " ".join(tokens)
        else:
            subject = rng.choice(subjects)
            length = rng.randint(300, 900)
            common = rng.choices(vocab, weights=weights, k=length * 2 // 3)
            own = rng.choices(subject, k=length - len(common))
            tokens = common + own
            rng.shuffle(tokens)
            title = " ".join(rng.sample(subject, 4) + rng.sample(vocab[:500], 3)).capitalize()
            text = ". ".join(" ".join(tokens[i : i + 15]) for i in range(0, len(tokens), 15))
        article = (Item(f"a{n}", when, rng.randint(0, 150)), title, text)
        out.append(article)
        yield article


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def from_scratch(articles: list[tuple[Item, str, str]], rules: RelatedRules) -> dict[str, float]:
    """Index, relate, cluster, score and decide every article; seconds per step."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    index = SimilarityIndex()
    for item, title, text in articles:
        index.add(item.id, document_text(title, "", text), item.published)
    index.refit()
    timings["index"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    items = {item.id: item for item, _, _ in articles}
    pairs = index.similar_pairs(rules.window, rules.min_score)
    copies = index.duplicate_pairs(rules.window, rules.duplicate_jaccard)
    related = link_all(items, pairs + [(a, b, rules.min_score) for a, b, _ in copies], rules)
    timings["related"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    story = [p for p in pairs if p[2] >= rules.story_score] + [(a, b, 1.0) for a, b, _ in copies]
    clusters = story_clusters(items, story, 0.0)
    timings["clusters"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    scores = {
        item.id: quality_score(signals_for(title, "", text, provider_tier=3)).value
        for item, title, text in articles
    }
    decisions = decide_all(items, scores, related, threshold=60)
    timings["quality+heat"] = time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0
    stories = sum(1 for c in clusters if len(c) > 1)
    linked = sum(1 for r in related.values() if r)
    published = sum(d.published for d in decisions.values())
    print(f"  {len(pairs)} related pairs, {len(copies)} near-copy pairs, {stories} stories")
    print(f"  {linked} articles with related lists, {published} published")
    return timings


def add_one(index: SimilarityIndex, items: dict[str, Item], related: dict, title: str, text: str):
    """Add one article and recompute related + heat for everything it touches."""
    new = Item("new", START + timedelta(days=30), 90)
    items["new"] = new
    index.add(new.id, document_text(title, "", text), new.published)
    update = link_new(new, scored_neighbours(index, new.id), related, items)
    related.update(update.related)
    quality = {
        doc: items[doc].quality
        for doc in update.affected | {o for r in update.related.values() for o in r}
    }
    return update, decide_all(update.affected, quality, related, threshold=60)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="skip the 100k run")
    args = parser.parse_args(argv)
    rules = RelatedRules()
    articles = list(synthetic(10_000))
    print("from scratch, 10,000 articles:")
    for step, seconds in from_scratch(articles, rules).items():
        print(f"  {step:<14} {seconds:7.2f} s")
    print(f"  peak RSS {peak_rss_mb():.0f} MB")
    if args.small:
        return
    del articles
    print("incremental, 100,000-article index (texts generated on the fly, not kept):")
    t0 = time.perf_counter()
    index = SimilarityIndex()
    items: dict[str, Item] = {}
    sample = ("", "")
    indexing = 0.0
    for item, title, text in synthetic(100_000, seed=11):
        started = time.perf_counter()
        index.add(item.id, document_text(title, "", text), item.published)
        indexing += time.perf_counter() - started
        items[item.id] = item
        if len(items) == 50_000:
            sample = (title, text)  # a mid-window article: the new one copies it
    total = time.perf_counter() - t0
    print(f"  built index: {indexing:.1f} s adding ({total:.1f} s with generation), {len(index)}")
    print(f"  index arrays {index.nbytes / 2**20:.0f} MB, peak RSS {peak_rss_mb():.0f} MB")
    related: dict[str, tuple[str, ...]] = {}
    times = []
    for attempt in range(5):
        t1 = time.perf_counter()
        update, decisions = add_one(index, items, related, sample[0], sample[1] + f" x{attempt}")
        times.append(time.perf_counter() - t1)
    print(f"  add one: {min(times) * 1000:.0f} ms best, {max(times) * 1000:.0f} ms worst of 5")
    published = sum(d.published for d in decisions.values())
    print(f"  affected {len(update.affected)} records, {published} of them published")
    print(f"  peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
