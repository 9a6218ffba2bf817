"""Canonical URLs, the canonical choice and AMP cache URLs, table by table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from everyday.enrich.canonical import (
    amp_cache_subdomain,
    amp_cache_url,
    canonical_url,
    choose_canonical,
    url_key,
)
from everyday.errors import ParseError
from taxonomy_corpus import HUBS, seed_records

CANONICAL = [
    # scheme, host, port, userinfo
    ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("http://example.com:443/a", "http://example.com:443/a"),  # not the default for http
    ("https://user:secret@example.com/a", "https://example.com/a"),
    ("https://example.com./a", "https://example.com/a"),
    ("  https://example.com/a \n", "https://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://[2001:DB8::1]:8080/a", "https://[2001:db8::1]:8080/a"),
    # IDNA
    ("https://bücher.de/", "https://xn--bcher-kva.de/"),
    ("https://BÜCHER.de/", "https://xn--bcher-kva.de/"),
    # fragments
    ("https://example.com/a#section-2", "https://example.com/a"),
    ("https://example.com/app#!/story/1", "https://example.com/app#!/story/1"),
    # paths: dot segments, trailing slashes kept, file names untouched
    ("https://example.com/a/b/../c/./d.html", "https://example.com/a/c/d.html"),
    ("https://example.com/a/..", "https://example.com/"),
    ("https://example.com/../../a", "https://example.com/a"),
    ("https://example.com/a/", "https://example.com/a/"),
    ("https://example.com/a", "https://example.com/a"),
    ("https://example.com/a.html", "https://example.com/a.html"),
    ("https://example.com/v1.2/notes", "https://example.com/v1.2/notes"),
    # percent-encoding
    ("https://example.com/%7euser/%41%2d", "https://example.com/~user/A-"),
    ("https://example.com/a%2fb%3a", "https://example.com/a%2Fb%3A"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café news", "https://example.com/caf%C3%A9%20news"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/a?q=a%20b+c", "https://example.com/a?q=a%20b+c"),
    ("https://example.com/a?q=ä", "https://example.com/a?q=%C3%A4"),
    ("https://example.com/a?x=%26y", "https://example.com/a?x=%26y"),  # & stays escaped
    # tracking parameters
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?UTM_Campaign=x&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?id=7&fbclid=IwAR0&gclid=1&msclkid=2", "https://example.com/a?id=7"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4", "https://example.com/a"),
    ("https://example.com/a?igshid=1&_ga=2&yclid=3&dclid=4", "https://example.com/a"),
    ("https://example.com/a?cmpid=1&ocid=2&CMP=share_btn_tw", "https://example.com/a"),
    ("https://example.com/a?smid=tw-share&ref_src=twsrc", "https://example.com/a"),
    ("https://example.com/a?pk_campaign=1&mtm_source=2", "https://example.com/a"),
    # `ref`: a referrer label goes, a branch or an id stays
    ("https://blog.example.com/p?ref=producthunt", "https://blog.example.com/p"),
    ("https://blog.example.com/p?ref=news.ycombinator.com", "https://blog.example.com/p"),
    ("https://github.com/o/r/blob/x.py?ref=main", "https://github.com/o/r/blob/x.py?ref=main"),
    ("https://example.com/p?ref=v1.2", "https://example.com/p?ref=v1.2"),
    # host-specific share ids
    ("https://www.youtube.com/watch?v=dQw&si=abc&feature=share", "https://www.youtube.com/watch?v=dQw"),
    ("https://x.com/u/status/1?s=20&t=abc", "https://x.com/u/status/1"),
    ("https://example.com/search?s=20&t=abc", "https://example.com/search?s=20&t=abc"),
    # empties dropped, bare flags and order kept
    ("https://example.com/a?b=2&a=&c=3&&", "https://example.com/a?b=2&c=3"),
    ("https://www.ucf.edu/news/x/?amp", "https://www.ucf.edu/news/x/?amp"),
    ("https://example.com/?p=123", "https://example.com/?p=123"),
    ("https://example.com/a?z=1&a=2", "https://example.com/a?z=1&a=2"),
    ("https://example.com/a?utm_source=x#top", "https://example.com/a"),
    # not http(s) or not a URL: returned stripped, unchanged
    ("mailto:news@example.com", "mailto:news@example.com"),
    ("ftp://example.com/file", "ftp://example.com/file"),
    ("/relative/path", "/relative/path"),
    ("", ""),
    ("https://example.com:99999/a", "https://example.com:99999/a"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(("url", "expected"), CANONICAL)
def test_canonical_url_is_idempotent(url: str, expected: str) -> None:
    assert canonical_url(expected) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("http://www.example.com/a/", "https://example.com/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2&utm_source=x"),
        ("https://EXAMPLE.com", "https://example.com/"),
    ],
)
def test_url_key_folds_cosmetic_differences(a: str, b: str) -> None:
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/a", "https://example.com/b"),
        ("https://example.com/a?id=1", "https://example.com/a?id=2"),
        ("https://example.com/a", "https://example.org/a"),
        ("https://example.com/app#!/1", "https://example.com/app#!/2"),
    ],
)
def test_url_key_keeps_real_differences(a: str, b: str) -> None:
    assert url_key(a) != url_key(b)


STORY = "https://news.example.com/2024/05/01/story"


@pytest.mark.parametrize(
    ("fetched", "rel", "og", "expected"),
    [
        # rel=canonical wins, relative URLs resolve against the page
        (STORY + "?utm_source=rss", STORY, None, STORY),
        (STORY + "/amp", "/2024/05/01/story", "https://other.example.com/x", STORY),
        (STORY, None, STORY + "?utm_medium=og", STORY),
        (STORY, "", "  ", STORY),
        (STORY + "?utm_source=rss", None, None, STORY),
        # pointing at a home page is refused, whoever's it is
        (STORY, "https://news.example.com/", STORY + "/", STORY + "/"),
        (STORY, "/", None, STORY),
        (STORY, "https://news.example.com/index.html", None, STORY),
        (STORY, "https://news.example.com/en-us/", None, STORY),
        (STORY, "https://www.paywall.example/", None, STORY),
        # ... unless the fetched page is itself the site's home page
        ("https://example.com/index.php", "https://example.com/", None, "https://example.com/"),
        ("https://example.com/", "https://other.com/", None, "https://example.com/"),
        # a WordPress post address is not a home page
        (STORY, "https://news.example.com/?p=42", None, "https://news.example.com/?p=42"),
        # syndication: a different site's article is a fair canonical
        (STORY, "https://wire.example.org/article/99", None, "https://wire.example.org/article/99"),
        # not http(s), or an unfilled template
        (STORY, "javascript:void(0)", None, STORY),
        (STORY, "ftp://news.example.com/x", None, STORY),
        (STORY, "{{ page.url }}", None, STORY),
        (STORY, "https://news.example.com/%7B%7Bslug%7D%7D", None, STORY),
    ],
)
def test_choose_canonical(fetched: str, rel: str | None, og: str | None, expected: str) -> None:
    assert choose_canonical(fetched, rel, og) == expected


@pytest.mark.parametrize(
    ("amp", "expected"),
    [
        (
            "https://www.wired.com/story/x/amp",
            "https://www-wired-com.cdn.ampproject.org/c/s/www.wired.com/story/x/amp",
        ),
        (
            "https://www.ucf.edu/news/x/?amp",
            "https://www-ucf-edu.cdn.ampproject.org/c/s/www.ucf.edu/news/x/?amp",
        ),
        ("http://example.com/a", "https://example-com.cdn.ampproject.org/c/example.com/a"),
        (
            "https://hello-world.com/",
            "https://hello--world-com.cdn.ampproject.org/c/s/hello-world.com/",
        ),
        ("https://xy-z.com/", "https://0-xy--z-com-0.cdn.ampproject.org/c/s/xy-z.com/"),
        ("https://Example.COM", "https://example-com.cdn.ampproject.org/c/s/example.com/"),
    ],
)
def test_amp_cache_url(amp: str, expected: str) -> None:
    assert amp_cache_url(amp) == expected


def test_amp_cache_subdomain_idna_and_long_hosts() -> None:
    assert amp_cache_subdomain("xn--bcher-kva.de") == "xn--bcher-de-65a"
    assert amp_cache_subdomain("bücher.de") == "xn--bcher-de-65a"
    long_host = "a" * 40 + "." + "b" * 30 + ".com"
    fallback = amp_cache_subdomain(long_host)
    assert len(fallback) == 52 and fallback.isalnum() and fallback == fallback.lower()
    assert amp_cache_subdomain(long_host) == fallback
    assert amp_cache_subdomain("localhost") != "localhost"  # no dot: hashed too


@pytest.mark.parametrize("bad", ["", "/amp/x", "mailto:a@b.c", "ftp://example.com/a"])
def test_amp_cache_url_needs_an_http_url(bad: str) -> None:
    with pytest.raises(ParseError):
        amp_cache_url(bad)


def _with_amp(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in (data, *(data.get("related") or ())):
        if item.get("ampWebUrl") and item.get("cdnAmpWebUrl"):
            yield item


@pytest.mark.corpus
@pytest.mark.parametrize("hub", sorted(HUBS))
def test_seed_amp_cache_urls_are_reproduced(hub: str) -> None:
    pairs = [
        (i["ampWebUrl"], i["cdnAmpWebUrl"]) for r in seed_records(hub) for i in _with_amp(r.data)
    ]
    assert pairs, "the corpus has AMP URLs"
    assert [amp_cache_url(amp) for amp, _ in pairs] == [cdn for _, cdn in pairs]


@pytest.mark.corpus
@pytest.mark.parametrize("hub", sorted(HUBS))
def test_seed_web_urls_are_already_canonical(hub: str) -> None:
    """The seed's URLs are clean; normalising them must change nothing (1,514 URLs)."""
    urls = [
        r.data[k] for r in seed_records(hub) for k in ("webUrl", "originalUrl") if r.data.get(k)
    ]
    assert [u for u in urls if canonical_url(u) != u] == []
