"""Record file names: the seed's slug rule (everyday.records.slug)."""

from __future__ import annotations

from datetime import date

import pytest

from everyday.records.frontmatter import parse_record
from everyday.records.slug import record_filename, slugify, truncate_title
from records_samples import corpus_files


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("A.I. is here", "ai-is-here"),
        ("Trolls vs Pirates: Halo/Stryker", "trolls-vs-pirates-halostryker"),
        ("Version 1.0 ships 3,610 fixes", "version-10-ships-3610-fixes"),
        ("Apple’s car isn't 'dead'", "apples-car-isnt-dead"),
        ("Café crème à la IA", "cafe-creme-a-la-ia"),
        ("Gartner® Magic Quadrant™ 2023", "gartner-magic-quadrant-2023"),
        ("  --Spaces   and -- hyphens--  ", "spaces-and-hyphens"),
        ("call:  double  space", "call-double-space"),
        ("<script>alert(1)</script>", "scriptalert1script"),
        ("人工知能", ""),
    ],
)
def test_slugify_examples(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_truncation_cuts_at_first_space_from_max_length() -> None:
    words = "word " * 40  # 200 chars, spaces at 4, 9, 14, ...
    assert truncate_title(words, 140) == words[:144]
    assert truncate_title("x" * 150, 140) == "x" * 150  # no space after the limit: kept whole
    assert truncate_title("a" * 140 + " tail", 140) == "a" * 140
    assert truncate_title("short", 140) == "short"
    assert slugify("a" * 139 + " bb cc") == "a" * 139 + "-bb"


def test_record_filename() -> None:
    assert record_filename(date(2023, 11, 7), "Hello, World!") == "2023-11-07-hello-world.md"


def test_record_filename_without_ascii_uses_a_stable_hash() -> None:
    a = record_filename(date(2023, 1, 1), "人工知能")
    b = record_filename(date(2023, 1, 1), "機械学習")
    assert a.startswith("2023-01-01-news-") and a.endswith(".md")
    assert a != b and a == record_filename(date(2023, 1, 1), "人工知能")


@pytest.mark.corpus
def test_corpus_filenames_follow_the_rule() -> None:
    files = corpus_files()
    if not files:
        pytest.skip("../shared/corpus news records not present")
    mismatched = []
    for path in files:
        title = parse_record(path.read_text(encoding="utf-8"), path=str(path)).title
        if record_filename(date.fromisoformat(path.name[:10]), title) != path.name:
            mismatched.append(path.name)
    # Pinned floor: every one of the 767 corpus names is reproduced (NFD, cut at space >= 140).
    assert mismatched == []
    assert len(files) >= 767
