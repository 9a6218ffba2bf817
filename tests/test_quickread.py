"""The quick record reader returns the YAML parser's record, or None (everyday.publish.quickread)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from build_samples import make_hub, make_record
from everyday.errors import RecordError
from everyday.models import Image, Provider, Record, Related
from everyday.publish.quickread import quick_record
from everyday.records.frontmatter import parse_record
from everyday.records.layout import format_record
from everyday.taxonomy import Taxonomy
from records_samples import CURRENT, LEGACY, corpus_files


def agreed(text: str) -> Record | None:
    """quick_record(text), after checking it is None or exactly the YAML parser's record.

    An accepted text is also exactly what format_record writes: the quick reader checks
    each value's spelling instead of writing the record back, and this is the proof.
    """
    quick = quick_record(text)
    if quick is not None:
        try:
            slow = parse_record(text)
        except RecordError as e:
            pytest.fail(f"quick reader accepted a text the YAML parser refuses: {e}\n{text!r}")
        assert quick == slow, text
        assert format_record(quick) == text
    return quick


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory: pytest.TempPathFactory) -> Taxonomy:
    return make_hub(tmp_path_factory.mktemp("hub") / "hub")[1]


WHEN = datetime(2023, 11, 7, 0, 27, tzinfo=UTC)
LOGO = Image("https://example.com/logo-50x50.png", 50, 50)


def base(**changes: object) -> Record:
    record = Record(
        title="T",
        excerpt="E",
        published=WHEN,
        web_url="https://example.com/a",
        provider=Provider("Example", "example.com", (LOGO,)),
        original_url="https://example.com/a?utm=1",
        quality=50,
        heat=60,
        is_published=True,
        topics=("AI", "AI in Robotics"),
        images=(Image("https://example.com/i.jpg", 1200, 675, True),),
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def related(n: int, **changes: object) -> Related:
    entry = Related(
        title=f"Related {n}",
        excerpt=f"About {n}.",
        published=WHEN - timedelta(hours=n),
        web_url=f"https://other{n}.example.net/{n}",
        provider=Provider(f"Other {n}", f"other{n}.example.net"),
        quality=10 + n,
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


ODD = '控制 ünïcödé — “curly” ’ 🚀 "quoted" back\\slash key: value #hash\ttab\nnewline'
# Records the quick reader must accept, each with the odd value in one place.
ACCEPTED: dict[str, Record] = {
    "plain": base(),
    "unicode and quotes everywhere": base(
        title=ODD,
        excerpt=ODD,
        provider=Provider(ODD, ODD, (replace(LOGO, title=ODD),)),
        topics=(ODD, "yes", "2019", "null", "- dash", ""),
        secured=ODD,
        category=ODD,
        type=ODD,
    ),
    "names that need quotes": base(provider=Provider("Foo: Bar", "#1 News"), topics=("~",)),
    "colons and hashes in plain names": base(provider=Provider("a:b", "c#d"), topics=("x: y",)),
    "control and unrepresentable characters": base(
        title="bell\x07 del\x7f nel\x85 ls\u2028 bom\ufeff \ufffe nul\x00", excerpt="\r\n\t\x0b"
    ),
    "long text": base(excerpt="word " * 20_000, title="x" * 5000),
    "empty strings": base(title="", excerpt="", original_url="", secured="", amp_web_url=""),
    "empty lists and nulls": base(
        provider=Provider("P", "p.example"),
        topics=("",),
        images=(),
        related=None,
        quality=None,
        heat=None,
        is_published=None,
        original_url=None,
    ),
    "only originalUrl": base(web_url="", original_url="https://example.com/only"),
    "amp urls": base(amp_web_url="https://a.example/amp", cdn_amp_web_url="https://cdn/amp"),
    "numbers": base(quality=0, heat=-1, images=(Image("u", 0, 10**30, False, ""),)),
    "fractions and odd years": base(
        published=datetime(1000, 1, 1, 0, 0, 0, 120000, tzinfo=UTC),
        related=(related(1, published=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),),
    ),
    "related with and without provider": base(
        related=(related(1), related(2, provider=None, quality=None), related(3))
    ),
    "related with every key": base(
        related=(
            related(
                4,
                amp_web_url="https://x/amp",
                cdn_amp_web_url="",
                type="video",
                provider=Provider("Q: q", "q.example", (LOGO, replace(LOGO, is_cached=False))),
                images=(Image("https://x/i.png", title="t"), Image("https://x/j.png", 1, 2, True)),
                web_url="",
                title="",
                excerpt=ODD,
            ),
        )
    ),
    "image titles without isCached": base(images=(Image("https://x/a.png", 10, 20, title="T"),)),
}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_odd_records_are_read_quickly_and_exactly(name: str) -> None:
    record = ACCEPTED[name]
    text = format_record(record)
    assert agreed(text) == record


def test_generated_hub_records_are_read_quickly(taxonomy: Taxonomy) -> None:
    for n in range(1, 120):
        record = make_record(n, taxonomy)
        assert agreed(format_record(record)) == record


@pytest.mark.parametrize(
    ("name", "record"),
    [
        ("extra keys", base(extra=(("featuredContent", "<b>x</b>"),))),
        ("sourceUrl", base(source_url="https://legacy.example.com/x")),
        ("no topics", base(topics=())),  # the YAML parser refuses it
        # The YAML parser reads these empty values as their defaults ("news", "article").
        ("empty category", base(category="")),
        ("empty type", base(type="")),
        ("empty related type", base(related=(related(1, type=""),))),
        ("no url at all", base(web_url="", original_url="")),
        ("year before 1000", base(published=datetime(999, 1, 1, tzinfo=UTC))),
    ],
)
def test_records_the_layout_cannot_carry_exactly_are_left_to_yaml(
    name: str, record: Record
) -> None:
    assert agreed(format_record(record)) is None


@pytest.mark.parametrize("title", ["lone\ud800", "\ud83d\ude00"])
def test_surrogates_are_written_as_replacement_characters_and_read_quickly(title: str) -> None:
    """libyaml refuses escaped surrogates, so the writer never writes one (U+FFFD instead)."""
    text = format_record(base(title=title))
    assert "\\ud8" not in text and "\ufffd" in text
    assert agreed(text) == parse_record(text)


def test_an_empty_related_list_is_read_as_absent_like_yaml_does() -> None:
    assert agreed(format_record(base(related=()))) == base(related=None)


def test_legacy_and_sample_texts_are_left_to_yaml() -> None:
    assert agreed(LEGACY) is None
    assert agreed(CURRENT) is None  # it has an extra key (featuredContent)
    extra = 'featuredContent: "<iframe src=\\"https://video.example.org/embed/1\\"></iframe>"\n\n'
    assert extra in CURRENT
    assert agreed(CURRENT.replace(extra, "")) is not None


# --------------------------------------------------------------------------- hand edits

RICH = format_record(ACCEPTED["related with every key"])

EDITS: dict[str, Callable[[str], str]] = {
    "reordered keys": lambda t: t.replace("quality: 50\nheat: 60", "heat: 60\nquality: 50"),
    "reordered groups": lambda t: t.replace("topics:\n  - AI\n  - AI in Robotics\n\n", "").replace(
        "---\n\n", "\ntopics:\n  - AI\n---\n\n"
    ),
    "comment line": lambda t: t.replace("type: article\n", "type: article\n# a note\n"),
    "trailing comment": lambda t: t.replace("quality: 50", "quality: 50 # good"),
    "single-quoted title": lambda t: t.replace('title: "T"', "title: 'T'"),
    "plain title": lambda t: t.replace('title: "T"', "title: T"),
    "plain url": lambda t: t.replace(
        'webUrl: "https://example.com/a"', "webUrl: https://example.com/a"
    ),
    "quoted category": lambda t: t.replace("category: news", 'category: "news"'),
    "quoted provider": lambda t: t.replace("name: Example", 'name: "Example"'),
    "quoted topic": lambda t: t.replace("  - AI\n", '  - "AI"\n'),
    "quoted number": lambda t: t.replace("quality: 50", 'quality: "50"'),
    "escaped slash": lambda t: t.replace('"https://example.com/a"', '"https:\\/\\/example.com/a"'),
    "unicode escape": lambda t: t.replace('title: "T"', 'title: "\\u0054"'),
    "yaml-only escape": lambda t: t.replace('title: "T"', 'title: "\\x54"'),
    "surrogate pair escape": lambda t: t.replace('title: "T"', 'title: "\\ud83d\\ude00"'),
    "trailing space": lambda t: t.replace("type: article\n", "type: article \n"),
    "trailing space in quotes": lambda t: t.replace('title: "T"\n', 'title: "T" \n'),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "bom": lambda t: "\ufeff" + t,
    "tab indent": lambda t: t.replace("  name: Example", "\tname: Example"),
    "deeper list indent": lambda t: t.replace("  - AI\n", "    - AI\n"),
    "missing closing fence": lambda t: t.removesuffix("---\n\n"),
    "no blank line at end": lambda t: t.removesuffix("\n"),
    "extra blank line at end": lambda t: t + "\n",
    "blank line inside a group": lambda t: t.replace("heat: 60\n", "heat: 60\n\n"),
    "no blank line between groups": lambda t: t.replace("\n\nprovider:", "\nprovider:"),
    "body": lambda t: t + "Some text\n",
    "fence with spaces": lambda t: t.removesuffix("---\n\n") + "--- \n\n",
    "empty category": lambda t: t.replace("category: news", 'category: ""'),
    "empty type": lambda t: t.replace("type: article", 'type: ""'),
    "empty related type": lambda t: t.replace("    type: video", '    type: ""'),
    "no webUrl, empty originalUrl": lambda t: t.replace(
        'webUrl: "https://example.com/a"\n', ""
    ).replace('originalUrl: "https://example.com/a?utm=1"', 'originalUrl: ""'),
    "empty webUrl": lambda t: t.replace('webUrl: "https://example.com/a"', 'webUrl: ""'),
    "octal-looking number": lambda t: t.replace("quality: 50", "quality: 050"),
    "plus sign": lambda t: t.replace("quality: 50", "quality: +50"),
    "minus zero": lambda t: t.replace("quality: 50", "quality: -0"),
    "underscore number": lambda t: t.replace("quality: 50", "quality: 5_0"),
    "capital boolean": lambda t: t.replace("published: true", "published: True"),
    "yes boolean": lambda t: t.replace("published: true", "published: yes"),
    "null value": lambda t: t.replace("quality: 50", "quality: null"),
    "tilde value": lambda t: t.replace("quality: 50", "quality: ~"),
    "space-separated datetime": lambda t: t.replace("2023-11-07T00:27:00Z", "2023-11-07 00:27:00Z"),
    "offset datetime": lambda t: t.replace("2023-11-07T00:27:00Z", "2023-11-07T00:27:00+00:00"),
    "zero fraction": lambda t: t.replace("2023-11-07T00:27:00Z", "2023-11-07T00:27:00.500000Z"),
    "lowercase t": lambda t: t.replace("2023-11-07T00:27:00Z", "2023-11-07t00:27:00Z"),
    "padded year": lambda t: t.replace("2023-11-07T00:27:00Z", "0999-11-07T00:27:00Z"),
    "flow list": lambda t: t.replace(
        "topics:\n  - AI\n  - AI in Robotics", "topics: [AI, AI in Robotics]"
    ),
    "empty flow list": lambda t: t.replace(
        'images:\n  - url: "https://example.com/i.jpg"\n    width: 1200\n    height: 675\n'
        "    isCached: true\n",
        "images: []\n",
    ),
    "duplicate key": lambda t: t.replace("heat: 60\n", "heat: 60\nheat: 61\n"),
    "anchor and alias": lambda t: t.replace("name: Example", "name: &n Example").replace(
        "domain: example.com", "domain: *n"
    ),
    "unknown key": lambda t: t.replace("heat: 60\n", "heat: 60\nmood: calm\n"),
    "unknown nested key": lambda t: t.replace(
        "    isCached: true\n", "    isCached: true\n    x: 1\n"
    ),
    "legacy key": lambda t: t.replace("ampWebUrl:", "ampUrl:", 1),
    "block scalar": lambda t: t.replace('title: "T"', "title: |\n  T"),
    "folded quoted title": lambda t: t.replace('title: "T"', 'title: "T\n  U"'),
}


def test_every_hand_edit_applies() -> None:
    unchanged = [name for name, edit in EDITS.items() if edit(RICH) == RICH]
    assert not unchanged
    assert agreed(RICH) is not None


@pytest.mark.parametrize("name", list(EDITS))
def test_hand_edits_are_left_to_yaml(name: str) -> None:
    assert agreed(EDITS[name](RICH)) is None


def test_random_mutations_agree_with_yaml() -> None:
    """Single edits anywhere in a canonical file: the quick reader is refused or agrees."""
    rng = random.Random(7)
    texts = [RICH, format_record(ACCEPTED["unicode and quotes everywhere"])]
    pieces = [*'"\\ :#-\n\t\r\x85\u2028é0129aZ', "\n  ", ": ", "  - ", "null", "true", "\\u0041"]
    accepted = 0
    for _ in range(1500):
        text = rng.choice(texts)
        lines = text.split("\n")
        kind = rng.randrange(4)
        if kind == 0:  # insert
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(pieces) + text[at:]
        elif kind == 1:  # delete
            at = rng.randrange(len(text))
            text = text[:at] + text[at + rng.randrange(1, 4) :]
        elif kind == 2:  # swap two lines
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        else:  # duplicate a line
            i = rng.randrange(len(lines))
            text = "\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
        accepted += agreed(text) is not None
    assert accepted > 50  # some edits stay canonical (e.g. a changed letter in a title)


def test_random_records_agree_with_yaml() -> None:
    rng = random.Random(11)
    alphabet = [*"aZ :#-'\"\\\n\t\x00\x7f\x85\u2028\ufeffé🚀~!&*|>%@`?,[]{}", "true", "null", "1"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(4)))

    for _ in range(300):
        record = base(
            title=text(), excerpt=text(), category=text() or "news", type=text() or "article",
            provider=Provider(text(), text()), topics=tuple(text() for _ in range(2)),
            related=(related(1, title=text(), type=text() or "x", provider=Provider(text(), text())),),
            published=WHEN + timedelta(microseconds=rng.choice([0, 1, 10, 500000])),
        )  # fmt: skip
        assert agreed(format_record(record)) == record


@pytest.mark.corpus
def test_real_records_agree_with_yaml() -> None:
    files = corpus_files()
    if not files:
        pytest.skip("../shared/corpus news records not present")
    accepted = sum(agreed(Path(p).read_bytes().decode("utf-8")) is not None for p in files)
    assert accepted >= 750  # every current-layout file without extra keys (767 files in all)
