"""Parse and serialize news records byte for byte (everyday.records.frontmatter)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from everyday.errors import RecordError
from everyday.models import Image, Provider, Record, Related
from everyday.records.check import is_current_format, legacy_traits
from everyday.records.frontmatter import FieldError, parse_record
from everyday.records.layout import format_datetime, format_record, is_plain_safe, quote
from records_samples import CURRENT, LEGACY, corpus_files


def minimal(**changes: object) -> Record:
    base = Record(
        title="T",
        excerpt="E",
        published=datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC),
        web_url="https://example.com/a",
        provider=Provider(name="Example", domain="example.com"),
        topics=("AI",),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- current format


def test_current_sample_round_trips_byte_for_byte() -> None:
    assert format_record(parse_record(CURRENT)) == CURRENT


def test_current_sample_fields() -> None:
    r = parse_record(CURRENT, path="x.md")
    assert r.title == 'Robots learn to "fold" laundry — finally'
    assert r.excerpt.endswith("tab\there ...") and "\n" in r.excerpt
    assert r.published == datetime(2023, 11, 7, 0, 27, tzinfo=UTC)
    assert r.published.tzinfo is UTC
    assert r.provider.name == "Example News & Co."
    assert r.provider.images[0].width == 50
    assert r.images == (
        Image(
            url="https://cdn.example.com/img/shirt.png?fit=750%2C600&#038;strip=all",
            width=750,
            height=600,
            is_cached=True,
        ),
    )
    assert (r.quality, r.heat, r.is_published) == (67, 77, True)
    assert r.topics == ("AI", "AI in Robotics")
    assert r.related is not None and r.related[0].quality == 19
    assert r.related[0].provider == Provider(name="other", domain="other.example.net")
    assert r.extra == (
        ("featuredContent", '<iframe src="https://video.example.org/embed/1"></iframe>'),
    )


def test_minimal_record_layout() -> None:
    text = format_record(minimal())
    assert text == (
        '---\ncategory: news\ntitle: "T"\nexcerpt: "E"\n'
        'publishedDateTime: 2023-01-02T03:04:05Z\nwebUrl: "https://example.com/a"\n'
        "type: article\n\nprovider:\n  name: Example\n  domain: example.com\n\n"
        "topics:\n  - AI\n---\n\n"
    )
    assert parse_record(text) == minimal()


def test_missing_web_url_is_empty_and_not_written() -> None:
    text = CURRENT.replace('webUrl: "https://example.com/robots/laundry"\n', "")
    r = parse_record(text)
    assert r.web_url == "" and r.original_url == "https://example.com/robots/laundry?utm=1"
    assert format_record(r) == text


def test_every_optional_piece_is_laid_out_exactly() -> None:
    """Byte for byte: the store writes this layout, and the quick reader checks against it."""
    record = Record(
        title='Q: "x" — ü',
        excerpt="a\nb\tc\x07\u2028",
        published=datetime(2024, 2, 3, 4, 5, 6, 120000, tzinfo=UTC),
        web_url="https://e.example/a",
        provider=Provider("Foo: Bar", "e.example", (Image("https://e.example/l.png", 50, 50),)),
        original_url="https://e.example/a?u=1",
        type="2019",
        amp_web_url="https://e.example/amp",
        cdn_amp_web_url="",
        quality=0,
        heat=-3,
        is_published=False,
        topics=("AI", "yes", ""),
        images=(
            Image("https://e.example/i.png", 1, 2, False, "T"),
            Image("https://e.example/j.png"),
        ),
        related=(
            Related(
                "R",
                "r",
                datetime(2024, 1, 1, tzinfo=UTC),
                "https://o.example/r",
                "video",
                Provider("O", "o.example", (Image("https://o.example/l.png", 50, 50, True),)),
                7,
                "https://o.example/amp",
                None,
                (Image("https://o.example/i.png", 3, 4),),
            ),
            Related(
                "S", "s", datetime(2023, 12, 31, 23, 59, 59, 5, tzinfo=UTC), "https://p.example/s"
            ),
        ),
        secured="abc",
        source_url="https://legacy.example/a",
        extra=(
            ("featuredContent", "<b>x</b>"),
            ("meta", {"k": "v", "n": (1, True, None)}),
            ("empty", ()),
        ),
    )
    assert format_record(record) == (
        "---\n"
        "category: news\n"
        'title: "Q: \\"x\\" — ü"\n'
        'excerpt: "a\\nb\\tc\\u0007\\u2028"\n'
        "publishedDateTime: 2024-02-03T04:05:06.12Z\n"
        'originalUrl: "https://e.example/a?u=1"\n'
        'webUrl: "https://e.example/a"\n'
        'sourceUrl: "https://legacy.example/a"\n'
        'ampWebUrl: "https://e.example/amp"\n'
        'cdnAmpWebUrl: ""\n'
        'type: "2019"\n'
        "quality: 0\n"
        "heat: -3\n"
        "published: false\n"
        "\n"
        'featuredContent: "<b>x</b>"\n'
        "meta:\n"
        '  k: "v"\n'
        "  n:\n"
        "    - 1\n"
        "    - true\n"
        "    - null\n"
        "empty: []\n"
        "\n"
        "provider:\n"
        '  name: "Foo: Bar"\n'
        "  domain: e.example\n"
        "  images:\n"
        '    - url: "https://e.example/l.png"\n'
        "      width: 50\n"
        "      height: 50\n"
        "\n"
        "topics:\n"
        "  - AI\n"
        '  - "yes"\n'
        '  - ""\n'
        "\n"
        "images:\n"
        '  - url: "https://e.example/i.png"\n'
        "    width: 1\n"
        "    height: 2\n"
        "    isCached: false\n"
        '    title: "T"\n'
        '  - url: "https://e.example/j.png"\n'
        "\n"
        "related:\n"
        '  - title: "R"\n'
        '    excerpt: "r"\n'
        "    publishedDateTime: 2024-01-01T00:00:00Z\n"
        '    webUrl: "https://o.example/r"\n'
        '    ampWebUrl: "https://o.example/amp"\n'
        "    type: video\n"
        "    provider:\n"
        "      name: O\n"
        "      domain: o.example\n"
        "      images:\n"
        '        - url: "https://o.example/l.png"\n'
        "          width: 50\n"
        "          height: 50\n"
        "          isCached: true\n"
        "    quality: 7\n"
        "    images:\n"
        '      - url: "https://o.example/i.png"\n'
        "        width: 3\n"
        "        height: 4\n"
        '  - title: "S"\n'
        '    excerpt: "s"\n'
        "    publishedDateTime: 2023-12-31T23:59:59.000005Z\n"
        '    webUrl: "https://p.example/s"\n'
        "    type: article\n"
        "\n"
        'secured: "abc"\n'
        "---\n"
        "\n"
    )


def test_datetimes_before_year_1000_are_written_as_strftime_writes_them() -> None:
    when = datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert format_datetime(when) == when.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


# --------------------------------------------------------------------------- YAML pitfalls


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2019", "2019"),
        ("yes", "yes"),
        ("2023-11-07", "2023-11-07"),
        ("1.50", "1.50"),
        ("0x1A", "0x1A"),
        ("https://x.example/a?b=c", "https://x.example/a?b=c"),
    ],
)
def test_unquoted_strings_stay_text(raw: str, expected: str) -> None:
    text = CURRENT.replace('title: "Robots learn to \\"fold\\" laundry — finally"', f"title: {raw}")
    text = text.replace("  - AI in Robotics", f"  - {raw}")
    r = parse_record(text)
    assert r.title == expected
    assert r.topics[1] == expected


def test_offset_datetimes_become_utc() -> None:
    text = CURRENT.replace("2023-11-07T00:27:00Z", "2023-11-06T17:27:00-07:00")
    r = parse_record(text)
    assert r.published == datetime(2023, 11, 7, 0, 27, tzinfo=UTC)
    assert format_record(r) == CURRENT


def test_naive_and_date_only_datetimes_are_utc() -> None:
    r = parse_record(CURRENT.replace("2023-11-07T00:27:00Z", "2023-11-07 00:27:00"))
    assert r.published == datetime(2023, 11, 7, 0, 27, tzinfo=UTC)
    r = parse_record(CURRENT.replace("2023-11-07T00:27:00Z", "2023-11-07"))
    assert r.published == datetime(2023, 11, 7, tzinfo=UTC)


AWKWARD = [
    "<script>alert('x')</script>",
    'He said "no" \\ and left',
    "line one\nline two\r\nthree\ttab",
    "控制 ünïcödé — “curly” ’ 🚀",
    "bell\x07 esc\x1b del\x7f nel\x85 ls\u2028 ps\u2029 bom\ufeff nbsp\xa0 shy\xad",
    "#not a comment: really",
    "   padded   ",
    "",
    "x" * 100_000,
]


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_awkward_strings_survive(value: str) -> None:
    record = minimal(
        title=value or "t",
        excerpt=value,
        provider=Provider(name=value, domain=value),
        topics=(value,),
        images=(Image(url="https://example.com/i.png", width=1, height=2, title=value),),
        extra=(("note", value),),
    )
    text = format_record(record)
    assert parse_record(text) == record
    assert format_record(parse_record(text)) == text
    assert "\x07" not in text and "\u2028" not in text  # escaped, never raw


def test_script_title_is_kept_as_text() -> None:
    r = parse_record(format_record(minimal(title="<script>alert(1)</script>")))
    assert r.title == "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "name",
    ["Foo: Bar", "#1 News", "yes", "2019", "- dash", "!bang", "'quoted'", "a #b", "end:", "~", ""],
)
def test_provider_names_that_need_quotes_are_quoted(name: str) -> None:
    assert not is_plain_safe(name)
    text = format_record(minimal(provider=Provider(name=name, domain="example.com")))
    assert f"  name: {quote(name)}\n" in text
    assert parse_record(text).provider.name == name


@pytest.mark.parametrize("name", ["VentureBeat", "EurekAlert!", "MD&M East", "Becker's Review"])
def test_ordinary_provider_names_are_plain(name: str) -> None:
    assert f"  name: {name}\n" in format_record(minimal(provider=Provider(name, "example.com")))


def test_quote_uses_json_escapes() -> None:
    assert quote('a"b\\c\nd\re\tf\x01') == '"a\\"b\\\\c\\nd\\re\\tf\\u0001"'
    assert quote("é’") == '"é’"'


# --------------------------------------------------------------------------- legacy


def test_legacy_record_parses() -> None:
    r = parse_record(LEGACY)
    assert r.web_url == r.source_url == "https://example.com/2019/12/robots/"
    assert r.original_url is None
    assert r.amp_web_url == "https://example.com/2019/12/robots/amp/"
    assert r.cdn_amp_web_url is not None and r.cdn_amp_web_url.endswith("/robots/amp/")
    assert r.published == datetime(2019, 12, 17, 14, 1, tzinfo=UTC)
    assert r.images[0].title == "Old story: robots" and r.images[0].is_cached is None
    assert r.related is not None
    assert r.related[0].web_url == "https://neighbour.example.org/story/"
    assert r.related[0].amp_web_url == "https://neighbour.example.org/story/amp/"
    assert r.related[0].images[0].is_cached is None


def test_legacy_record_is_rewritten_in_current_format_without_loss() -> None:
    r = parse_record(LEGACY)
    text = format_record(r)
    assert not legacy_traits(text.replace("    title:", "    caption:"))  # only trait: image title
    assert "sourceUrl" not in text and "ampUrl:" not in text
    assert 'webUrl: "https://example.com/2019/12/robots/"' in text
    assert '    title: "Old story: robots"' in text
    again = parse_record(text)
    assert replace(again, source_url=r.source_url) == r  # source_url == web_url, written once
    assert format_record(again) == text


def test_source_url_differing_from_web_url_is_written_back() -> None:
    r = minimal(source_url="https://legacy.example.com/x")
    text = format_record(r)
    assert 'sourceUrl: "https://legacy.example.com/x"' in text
    assert parse_record(text) == r


def test_extras_of_every_shape_round_trip_by_value() -> None:
    extra = (
        ("featuredContent", "<b>x</b>"),
        ("count", 3),
        ("flag", False),
        ("nothing", None),
        ("when", datetime(2020, 1, 1, tzinfo=UTC)),
        ("tags", ("a", "b")),
        ("meta", {"k": "v", "n": {"deep": (1, 2)}, "empty": ()}),
        ("rows", ({"a": "1"}, ("x", "y"))),
    )
    r = minimal(extra=extra)
    assert parse_record(format_record(r)) == r


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "front matter"),
        ("   \n", "front matter"),
        ("title: no fences\n", "front matter"),
        ('---\ntitle: "x"\n', "front matter"),
        ("---\n---\n\n", "front matter"),
        ("---\ntitle: [unclosed\n---\n\n", "front matter"),
        ("---\n- a list\n---\n\n", "front matter"),
        ("---\njust text\n---\n\n", "front matter"),
        ("---\n: : :\n---\n\n", "front matter"),
    ],
)
def test_not_a_record(text: str, field: str) -> None:
    with pytest.raises(RecordError) as err:
        parse_record(text, path="news/x.md")
    assert "news/x.md" in str(err.value)
    assert isinstance(err.value, FieldError) and err.value.field == field


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('title: "Robots learn to \\"fold\\" laundry — finally"\n', "", "title"),
        ('title: "Robots learn to \\"fold\\" laundry — finally"', "title: null", "title"),
        ('title: "Robots learn to \\"fold\\" laundry — finally"', "title:", "title"),
        ("quality: 67", 'quality: "67"', "quality"),
        ("quality: 67", "quality: 6.7", "quality"),
        ("quality: 67", "quality: 0x43", "quality"),
        ("published: true", "published: maybe", "published"),
        ("published: true", 'published: "true"', "published"),
        ("publishedDateTime: 2023-11-07T00:27:00Z", "publishedDateTime: soon", "publishedDateTime"),
        ("topics:\n  - AI\n  - AI in Robotics", "topics: AI", "topics"),
        ("    width: 750", "    width: wide", "images[0].width"),
        ("    isCached: true", "    isCached: true\n    colour: red", "images[0].colour"),
        ("      domain: other.example.net", "      domain: [a]", "related[0].provider.domain"),
        ("    quality: 19", "    quality: 19\n    quality: 20", "related[0].quality"),
        ("provider:\n  name: Example News & Co.\n", "provider:\n", "provider.name"),
        ('title: "Robots', 'title: {a: 1}\nx: "Robots', "title"),
    ],
)
def test_bad_fields_name_path_and_field(old: str, new: str, field: str) -> None:
    assert old in CURRENT
    with pytest.raises(FieldError) as err:
        parse_record(CURRENT.replace(old, new, 1), path="p.md")
    assert err.value.field == field
    assert str(err.value).startswith(f"p.md: {field}: ")


def test_body_is_refused_but_blank_body_and_crlf_are_fine() -> None:
    with pytest.raises(FieldError, match="body"):
        parse_record(CURRENT + "Some markdown\n")
    crlf = CURRENT.replace("\n", "\r\n")
    assert format_record(parse_record("\ufeff" + crlf + "\n \n")) == CURRENT


def test_no_url_at_all_is_refused() -> None:
    text = CURRENT.replace('originalUrl: "https://example.com/robots/laundry?utm=1"\n', "")
    text = text.replace('webUrl: "https://example.com/robots/laundry"\n', "")
    with pytest.raises(FieldError, match="webUrl"):
        parse_record(text)


def test_alias_bomb_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        ref = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([ref] * 5)}]")
    text = CURRENT.replace("type: article\nquality", "\n".join(lines) + "\ntype: article\nquality")
    with pytest.raises(FieldError, match="too many"):
        parse_record(text)


def test_python_tags_are_not_constructed() -> None:
    evil = "evil: !!python/object/apply:os.system ['true']\n"
    text = CURRENT.replace("heat: 77\n", "heat: 77\n" + evil)
    r = parse_record(text)
    assert dict(r.extra)["evil"] == ("true",)  # plain data, nothing ran


# --------------------------------------------------------------------------- corpus


@pytest.mark.corpus
def test_corpus_round_trip() -> None:
    files = corpus_files()
    if not files:
        pytest.skip("../shared/corpus news records not present")
    exact, why = 0, Counter[str]()
    for path in files:
        text = path.read_bytes().decode("utf-8")
        record = parse_record(text, path=str(path))
        out = format_record(record)
        assert parse_record(out) == record or record.source_url is not None, path
        assert format_record(parse_record(out)) == out, path  # canonical form is a fixed point
        if out == text:
            exact += 1
            continue
        assert not is_current_format(text), f"current-format record does not round-trip: {path}"
        why.update(legacy_traits(text))
    legacy = sum(not is_current_format(p.read_bytes().decode("utf-8")) for p in files)
    print(f"round trip: {exact}/{len(files)} exact; differing by trait: {dict(why)}")
    assert len(files) - exact == legacy  # every difference is explained by a legacy trait
    assert exact >= 763


def test_a_record_without_topics_reads_back() -> None:
    """The writer leaves out an empty list: reading the file back gives no topics, not an
    error (a record the store wrote must never be one its reader refuses)."""
    record = replace(minimal(), topics=(), images=())
    text = format_record(record)
    assert "topics" not in text
    assert parse_record(text) == record


def test_lone_surrogates_are_written_as_replacement_characters() -> None:
    """A JSON feed can carry "\\ud800"; no YAML parser reads a lone surrogate back, so the
    writer puts U+FFFD in its place and the file stays readable."""
    record = replace(minimal(), title="a\ud800b", excerpt="\udfff", topics=("x\ud83d",))
    back = parse_record(format_record(record))
    assert back.title == "a\ufffdb" and back.excerpt == "\ufffd" and back.topics == ("x\ufffd",)
    assert quote("ok \U0001f600") == '"ok \U0001f600"'  # a whole astral character is kept
