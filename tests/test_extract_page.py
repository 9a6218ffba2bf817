"""extract_page: golden article pages, hostile and odd input, canonical sanity rules."""

from __future__ import annotations

import codecs

import pytest

from everyday.domains import registrable_domain
from everyday.errors import ParseError
from everyday.extract import page as page_module
from everyday.extract.page import (
    choose_canonical,
    decode_html,
    extract_page,
    is_sensible_canonical,
)
from extract_golden import differences, golden_pages

GOLDEN = golden_pages()
ARTICLE = "".join(
    f"<p>Paragraph {i} of a perfectly ordinary article about harbour cranes, long enough to "
    f"count as prose for the extractor, with a few more words to be sure.</p>"
    for i in range(8)
)


def test_golden_set_covers_the_required_cases() -> None:
    names = {g.name for g in GOLDEN}
    assert len(GOLDEN) >= 8
    assert {"graph-yoast", "opengraph-only", "no-metadata", "broken-jsonld"} <= names
    assert {"script-in-title", "latin1", "amp-link", "relative-canonical"} <= names


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda g: g.name)
def test_golden_page(golden) -> None:
    page = extract_page(golden.markup, golden.url)
    assert differences(page, golden.expected) == []
    assert page.url == golden.url
    assert page.published is None or page.published.utcoffset().total_seconds() == 0


def test_latin1_page_as_text_decoded_wrongly_would_show_mojibake() -> None:
    golden = next(g for g in GOLDEN if g.name == "latin1")
    assert isinstance(golden.markup, bytes)
    with pytest.raises(UnicodeDecodeError):
        golden.markup.decode("utf-8")  # the fixture really is not UTF-8
    assert "Ñandú" in (extract_page(golden.markup, golden.url).title or "")


@pytest.mark.parametrize("markup", ["", "   \n\t ", "just some words, no markup at all"])
def test_empty_or_tagless_input_gives_empty_page(markup: str) -> None:
    page = extract_page(markup, "https://example.org/a")
    assert page.text == ""
    assert page.title is None


def test_page_without_article_text_has_metadata_but_no_text() -> None:
    html = (
        '<html><head><meta property="og:title" content="Only a title"></head><body></body></html>'
    )
    page = extract_page(html, "https://example.org/a")
    assert (page.title, page.text) == ("Only a title", "")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
        b"<html>\x00\x00\x00\x01\x02",
    ],
    ids=["pdf", "png", "jpeg", "gzip", "nul-bytes"],
)
def test_binary_bytes_raise_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        extract_page(data, "https://example.org/file")


def test_text_with_nul_characters_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        extract_page("<html>\x00\x00garbage", "https://example.org/a")


def test_utf16_with_bom_is_decoded() -> None:
    html = f"<html><head><title>Grüße aus Köln</title></head><body>{ARTICLE}</body></html>"
    page = extract_page(codecs.BOM_UTF16_LE + html.encode("utf-16-le"), "https://example.org/a")
    assert page.title == "Grüße aus Köln"
    assert "harbour cranes" in page.text


def test_http_charset_wins_over_missing_meta() -> None:
    html = f"<html><head><title>Новости дня</title></head><body>{ARTICLE}</body></html>"
    page = extract_page(html.encode("cp1251"), "https://example.org/a", encoding="windows-1251")
    assert page.title == "Новости дня"


def test_wrong_utf8_declaration_falls_back_to_windows_1252() -> None:
    data = '<meta charset="utf-8"><title>Caf\xe9 \x93quotes\x94</title>'.encode("latin-1")
    assert decode_html(data).endswith("<title>Café “quotes”</title>")


def test_xml_declaration_in_text_input_is_tolerated() -> None:
    html = (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        f"<head><title>XHTML page</title></head><body>{ARTICLE}</body></html>"
    )
    page = extract_page(html, "https://example.org/a")
    assert page.title == "XHTML page"
    assert "Paragraph 3" in page.text


def test_input_over_the_cap_is_cut_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    head = "<html><head><title>Kept</title></head><body>" + ARTICLE
    tail = '<meta property="og:title" content="Beyond the cap"></body></html>'
    monkeypatch.setattr(page_module, "MAX_HTML_SIZE", len(head))
    assert extract_page(head + tail, "https://example.org/a").title == "Kept"
    monkeypatch.setattr(page_module, "MAX_HTML_SIZE", 10 * len(head))
    assert extract_page(head + tail, "https://example.org/a").title == "Beyond the cap"


@pytest.mark.slow
def test_huge_page_with_endless_comments_yields_the_article() -> None:
    golden = next(g for g in GOLDEN if g.name == "graph-yoast")
    filler = '<div class="c"><span>filler comment text that is long enough</span></div>\n' * 80_000
    html = str(golden.markup).replace("</body>", filler + "<p>AFTER THE CAP</p></body>")
    assert len(html) > page_module.MAX_HTML_SIZE
    page = extract_page(html, golden.url)
    assert "can learn a new packing task" in page.text
    assert "filler comment" not in page.text
    assert "AFTER THE CAP" not in page.text


def test_scripts_inside_paragraphs_keep_the_following_words() -> None:
    html = (
        "<html><body><article>"
        + ARTICLE
        + "<p>Before the script <script>var x = 'LEAK';</script>after the script.</p>"
        + "</article></body></html>"
    )
    text = extract_page(html, "https://example.org/a").text
    assert "LEAK" not in text
    assert "after the script" in text


@pytest.mark.parametrize(
    ("candidate", "fetched", "ok"),
    [
        ("https://www.example.co.uk/news/a", "https://amp.example.co.uk/news/a?x=1", True),
        ("https://example.com/news/a", "http://www.example.com/news/a", True),
        ("https://other.example.com/news/a", "https://www.example.com/news/a", True),
        ("https://pwc.example/insights/a", "https://beckers.example/news/a", False),
        ("https://bbc.co.uk/news/a", "https://example.co.uk/news/a", False),
        ("https://www.example.com/", "https://www.example.com/news/a", False),
        ("https://www.example.com/en-us/", "https://www.example.com/news/a", False),
        ("https://www.example.com/", "https://www.example.com/", True),
        ("ftp://www.example.com/news/a", "https://www.example.com/news/a", False),
        ("https://www.example.com/?p=123", "https://www.example.com/news/a", True),
    ],
)
def test_is_sensible_canonical(candidate: str, fetched: str, ok: bool) -> None:
    assert is_sensible_canonical(candidate, fetched) is ok


def test_choose_canonical_takes_the_first_sensible_candidate() -> None:
    candidates = ("https://example.com/", "https://spam.example/a", "https://example.com/a")
    assert choose_canonical(candidates, "https://example.com/a?utm=1") == "https://example.com/a"
    assert choose_canonical(candidates[:2], "https://example.com/a") is None


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("www.example.com", "example.com"),
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("aws.amazon.com", "amazon.com"),
        ("www.abc.net.au", "abc.net.au"),
        ("localhost", "localhost"),
    ],
)
def test_site_of(host: str, site: str) -> None:
    assert registrable_domain(host) == site
