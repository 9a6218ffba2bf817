"""MinHash/LSH near-copies and TF-IDF neighbours, incremental and batch."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from enrich_samples import CARS, CHIP, CHIP_REWRITE, FACES, edited
from everyday.enrich.similarity import (
    MinHasher,
    SimilarityIndex,
    SimilaritySettings,
    band_keys,
    document_text,
    jaccard,
    shingle_hashes,
    words,
)

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def index_of(docs: dict[str, tuple[str, datetime]]) -> SimilarityIndex:
    index = SimilarityIndex()
    for doc_id, (text, when) in docs.items():
        index.add(doc_id, text, when)
    return index


def test_words_fold_case_and_width_and_cap_length() -> None:
    assert words("Ｎｖｉｄｉａ’s GPU, A.I.") == ["nvidia's", "gpu", "a", "i"]
    assert len(words("word " * 50_000)) == SimilaritySettings().max_words


def test_document_text_does_not_repeat_the_excerpt() -> None:
    text = document_text(
        "Title", "The opening sentence of the body.", "The opening sentence of the body. More."
    )
    assert text.count("opening") == 1


def test_shingles_of_short_and_empty_texts() -> None:
    assert shingle_hashes([]).size == 0
    assert shingle_hashes([1, 2]).size == 1
    assert shingle_hashes([1, 2, 3, 4, 5]).size == 3
    assert shingle_hashes(list(range(10_000)), cap=100).size == 100


def test_minhash_estimates_jaccard_and_is_deterministic() -> None:
    a = np.arange(0, 1000, dtype=np.uint64) * np.uint64(2654435761)
    b = np.arange(500, 1500, dtype=np.uint64) * np.uint64(2654435761)  # true Jaccard 1/3
    first, second = MinHasher(seed=1), MinHasher(seed=1)
    sig_a, sig_b = first.signature(a), first.signature(b)
    assert np.array_equal(sig_a, second.signature(a))
    assert abs(jaccard(sig_a, sig_b) - 1 / 3) < 0.1
    assert jaccard(sig_a, sig_a) == 1.0


def test_band_keys_agree_only_where_bands_agree() -> None:
    sig = np.arange(128, dtype=np.uint32)
    other = sig.copy()
    other[:4] += 1  # first band differs
    keys = band_keys(np.stack([sig, other]), bands=32)
    assert keys.shape == (2, 32)
    assert keys[0, 0] != keys[1, 0]
    assert np.array_equal(keys[0, 1:], keys[1, 1:])


def test_syndicated_copy_is_a_near_duplicate_and_a_rewrite_is_not() -> None:
    index = index_of(
        {
            "orig": (CHIP, T0),
            "copy": (edited(CHIP, 3), T0 + timedelta(hours=5)),
            "rewrite": (CHIP_REWRITE, T0 + timedelta(hours=8)),
            "cars": (CARS, T0),
        }
    )
    dupes = index.duplicates("orig")
    assert [d for d, _ in dupes] == ["copy"]
    assert dupes[0][1] >= 0.6
    assert index.duplicate_pairs() == [("orig", "copy", dupes[0][1])]


def test_neighbours_rank_by_subject_and_exclude_self() -> None:
    index = index_of(
        {
            "orig": (CHIP, T0),
            "rewrite": (CHIP_REWRITE, T0 + timedelta(hours=8)),
            "cars": (CARS, T0 + timedelta(days=1)),
            "faces": (FACES, T0 + timedelta(days=2)),
        }
    )
    found = index.neighbours("orig")
    assert found[0][0] == "rewrite"
    assert found[0][1] > 0.3
    assert "orig" not in dict(found)
    assert all(score < 0.1 for doc, score in found if doc != "rewrite")
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_window_limits_neighbours_both_ways() -> None:
    index = index_of(
        {
            "now": (CHIP, T0),
            "later": (edited(CHIP, 2), T0 + timedelta(days=30)),
            "earlier": (edited(CHIP, 4), T0 - timedelta(days=6)),
        }
    )
    assert {d for d, _ in index.neighbours("now")} == {"earlier"}
    assert {d for d, _ in index.duplicates("now")} == {"earlier"}
    assert {d for d, _ in index.neighbours("now", timedelta(days=31))} == {"earlier", "later"}


def test_query_by_text_without_adding_it() -> None:
    index = index_of({"orig": (CHIP, T0), "cars": (CARS, T0)})
    found = index.neighbours(CHIP_REWRITE, published=T0 + timedelta(days=1))
    assert found[0][0] == "orig"
    assert len(index) == 2
    assert index.duplicates(edited(CHIP, 2), published=T0)[0][0] == "orig"


def test_empty_huge_and_foreign_texts_do_not_crash_or_match() -> None:
    huge = " ".join(f"token{n % 5000}" for n in range(300_000))
    index = index_of(
        {
            "empty": ("", T0),
            "empty2": ("", T0),
            "huge": (huge, T0),
            "chinese": ("人工智能公司今天发布了新的大型语言模型", T0),
            "german": ("Die Regierung hat ein neues Gesetz zur künstlichen Intelligenz", T0),
            "chip": (CHIP, T0),
        }
    )
    assert index.neighbours("empty") == []
    assert index.duplicates("empty") == []
    assert index.duplicate_pairs() == []
    assert all(doc not in ("empty", "empty2") for doc, _ in index.neighbours("chip"))
    assert index.neighbours("chinese") == []


def test_dates_far_apart_in_time_are_accepted() -> None:
    index = index_of(
        {
            "1970": (CHIP, datetime(1970, 1, 1, tzinfo=UTC)),
            "future": (CHIP, T0 + timedelta(days=3650)),
        }
    )
    assert index.neighbours("1970") == []
    assert index.neighbours("1970", timedelta(days=100_000))[0][0] == "future"


def test_re_adding_replaces_the_article() -> None:
    index = index_of({"a": (CHIP, T0), "b": (CHIP_REWRITE, T0), "c": (CARS, T0)})
    index.add("a", CARS, T0)
    assert len(index) == 3
    assert index.neighbours("a")[0][0] == "c"
    assert "a" not in {d for d, _ in index.neighbours("b", min_score=0.2)}


def corpus_of_variants(count: int) -> dict[str, tuple[str, datetime]]:
    rng = random.Random(5)
    bases = (CHIP, CHIP_REWRITE, CARS, FACES)
    return {
        f"d{n}": (edited(bases[n % 4], rng.randint(2, 20), seed=n), T0 + timedelta(hours=7 * n))
        for n in range(count)
    }


def test_batch_pairs_agree_with_incremental_queries() -> None:
    docs = corpus_of_variants(40)
    index = index_of(docs)
    index.refit()
    batch = {frozenset((a, b)): s for a, b, s in index.similar_pairs(min_score=0.3)}
    single = {
        frozenset((doc, other)): s
        for doc in docs
        for other, s in index.neighbours(doc, min_score=0.3)
    }
    assert batch.keys() == single.keys()
    assert all(abs(batch[k] - single[k]) < 1e-3 for k in batch)
    dupes = {frozenset((a, b)) for a, b, _ in index.duplicate_pairs()}
    single_dupes = {frozenset((d, o)) for d in docs for o, _ in index.duplicates(d)}
    assert dupes == single_dupes


def test_incremental_weights_stay_close_to_a_full_refit() -> None:
    docs = corpus_of_variants(60)
    incremental = index_of(docs)  # refits only every 20% of growth
    fresh = index_of(docs)
    fresh.refit()
    last = "d59"
    a = dict(incremental.neighbours(last))
    b = dict(fresh.neighbours(last))
    assert a.keys() == b.keys()
    assert max(abs(a[k] - b[k]) for k in a) < 0.05


@pytest.mark.parametrize("text", ["", "   ", "!!! ??? ...", "a"])
def test_degenerate_texts(text: str) -> None:
    index = index_of({"x": (text, T0), "chip": (CHIP, T0)})
    assert index.neighbours("x") == []
    assert index.duplicates("x") == []
