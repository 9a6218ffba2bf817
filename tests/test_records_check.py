"""Record validation and canonical re-layout (everyday.records.check)."""

from __future__ import annotations

from pathlib import Path

import pytest

from everyday.records.check import (
    Problem,
    check_record_text,
    check_tree,
    fmt_tree,
    is_current_format,
    legacy_traits,
)
from everyday.records.frontmatter import parse_record
from everyday.records.layout import format_record
from records_samples import CORPUS, CURRENT, LEGACY, NEWS_DIRS, corpus_files


def fields(text: str) -> list[str]:
    return [p.field for p in check_record_text(text, "r.md")]


def test_valid_samples_have_no_problems() -> None:
    assert check_record_text(CURRENT, "r.md") == []
    assert fields(LEGACY) == ["publishedDateTime"]  # -07:00 offset; fmt writes it as Z
    assert check_record_text(format_record(parse_record(LEGACY)), "r.md") == []


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("category: news", "category: blog", "category"),
        ('webUrl: "https://example.com/robots/laundry"', 'webUrl: "javascript:alert(1)"', "webUrl"),
        ('originalUrl: "https://example.com/robots', 'originalUrl: "/robots', "originalUrl"),
        ('ampWebUrl: "https://example.com/robots/laundry/amp"\n', "", "cdnAmpWebUrl"),
        ("quality: 67", "quality: -3", "quality"),
        ("heat: 77", "heat: -2", "heat"),
        ("  domain: example.com", "  domain: not a domain", "provider.domain"),
        ("topics:\n  - AI\n  - AI in Robotics", "topics: []", "topics"),
        ("  - AI in Robotics", '  - ""', "topics[1]"),
        ("    width: 750\n", "", "images[0].width"),
        ("    height: 600", "    height: 0", "images[0].height"),
        ('  - url: "https://cdn.example.com', '  - url: "ftp://cdn.example.com', "images[0].url"),
        ('    webUrl: "https://other.example.net/', '    webUrl: "other/', "related[0].webUrl"),
        ("    provider:\n      name: other\n      domain: other.example.net\n", "",
         "related[0].provider"),
        ("publishedDateTime: 2023-11-07T00:27:00Z", "publishedDateTime: 2023-11-07T00:27:00+01:00",
         "publishedDateTime"),
        ("publishedDateTime: 2023-11-09T19:00:00Z", "publishedDateTime: 2023-11-09 19:00:00",
         "related.publishedDateTime"),
        ("quality: 67", "quality: many", "quality"),
    ],
)  # fmt: skip
def test_each_rule(old: str, new: str, field: str) -> None:
    assert old in CURRENT
    assert field in fields(CURRENT.replace(old, new, 1))


@pytest.mark.parametrize(
    ("secured", "why"),
    [
        ("nosemicolon", "'<base64>;<base64>'"),
        ("QUJD;AAAA;AAAA", "'<base64>;<base64>'"),
        ("QUJDREVGR0hJSktMTU5PUA==;AAAA", "IV part decodes to 3 bytes"),
        ("QUJD;AAAAAAAAAAAAAAAAAAAAAA==", "multiple of 16"),
        ("QUJ$;AAAAAAAAAAAAAAAAAAAAAA==", "'<base64>;<base64>'"),
        ("QUJDR;AAAAAAAAAAAAAAAAAAAAAA==", "not valid base64"),
    ],
)
def test_secured_shape(secured: str, why: str) -> None:
    text = CURRENT.replace(
        'secured: "QUJDREVGR0hJSktMTU5PUA==;AAAAAAAAAAAAAAAAAAAAAA=="', f'secured: "{secured}"'
    )
    problems = check_record_text(text, "r.md")
    assert [p.field for p in problems] == ["secured"]
    assert why in problems[0].message


def test_unparsable_text_is_one_problem() -> None:
    assert check_record_text("not a record", "x.md") == [
        Problem("x.md", "front matter", "file does not start with a '---' line")
    ]
    assert fields(CURRENT.replace("quality: 67", "quality: 67\nquality: 68")) == ["quality"]
    assert str(Problem("x.md", "title", "is empty")) == "x.md: title: is empty"


def test_legacy_traits() -> None:
    assert legacy_traits(CURRENT) == []
    assert is_current_format(CURRENT)
    traits = legacy_traits(LEGACY)
    expected = {"unquoted URL", "legacy key name", "image title", "datetime not in UTC 'Z' form"}
    assert expected <= set(traits)
    assert "CRLF line ends" in legacy_traits(CURRENT.replace("\n", "\r\n"))
    assert "no '---' + blank line trailer" in legacy_traits(CURRENT.rstrip("\n"))
    assert "unquoted text" in legacy_traits(CURRENT.replace('title: "Robots', "title: Robots"))


def make_tree(root: Path) -> Path:
    root.mkdir()
    (root / "2023-11-07-robots.md").write_text(CURRENT, encoding="utf-8")
    (root / "2019-12-17-old-story-robots.md").write_text(LEGACY, encoding="utf-8")
    (root / "Bad Name.md").write_text(CURRENT, encoding="utf-8")
    (root / "2023-13-01-bad-date.md").write_text(CURRENT, encoding="utf-8")
    (root / "2023-11-08-broken.md").write_text("---\ntitle: [\n---\n\n", encoding="utf-8")
    (root / "2023-11-09-latin1.md").write_bytes(b'---\ntitle: "caf\xe9"\n---\n\n')
    (root / ".tmp-2023-11-10-x.md.abcd.tmp").write_text("half", encoding="utf-8")
    return root


def test_check_tree(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "_news")
    got = {(Path(p.path).name, p.field) for p in check_tree(root)}
    assert got == {
        (".tmp-2023-11-10-x.md.abcd.tmp", ""),
        ("Bad Name.md", "filename"),
        ("2019-12-17-old-story-robots.md", "publishedDateTime"),
        ("2023-13-01-bad-date.md", "filename"),
        ("2023-11-08-broken.md", "front matter"),
        ("2023-11-09-latin1.md", ""),
    }


def test_fmt_tree_check_only_then_rewrite(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "_news")
    legacy = root / "2019-12-17-old-story-robots.md"
    crlf = root / "2023-11-11-crlf.md"
    crlf.write_bytes(CURRENT.replace("\n", "\r\n").encode())
    before = {p: p.read_bytes() for p in root.iterdir()}

    assert fmt_tree(root, check_only=True) == [legacy, crlf]
    assert {p: p.read_bytes() for p in root.iterdir()} == before  # nothing written

    assert fmt_tree(root) == [legacy, crlf]
    assert crlf.read_text(encoding="utf-8") == CURRENT
    assert parse_record(legacy.read_text(encoding="utf-8")).amp_web_url == (
        "https://example.com/2019/12/robots/amp/"
    )
    assert (root / "2023-11-08-broken.md").read_bytes() == before[root / "2023-11-08-broken.md"]
    assert fmt_tree(root) == []  # canonical now: a second run changes nothing


@pytest.mark.corpus
def test_corpus_is_valid_and_only_legacy_files_need_fmt() -> None:
    files = corpus_files()
    if not files:
        pytest.skip("../shared/corpus news records not present")
    dirs = [CORPUS / d for d in NEWS_DIRS if (CORPUS / d).is_dir()]
    assert [p for d in dirs for p in check_tree(d)] == []
    needs_fmt = [p for d in dirs for p in fmt_tree(d, check_only=True)]
    legacy = [p for p in files if not is_current_format(p.read_text(encoding="utf-8"))]
    assert sorted(needs_fmt) == sorted(legacy)
    assert len(needs_fmt) == 4  # the 2013-2019 archive files with unquoted URLs
