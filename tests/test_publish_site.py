"""The website (everyday.publish.site, views, search, sitemaps): pages, safety, links, sitemaps."""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import markupsafe
import pytest
from jinja2 import Undefined
from lxml import etree, html

from everyday.models import Image, Provider, Record
from everyday.publish import Entry, Output
from everyday.publish.api import build_api
from everyday.publish.entries import item_api_path
from everyday.publish.feeds import build_feeds
from everyday.publish.jsonld import article_json_ld, json_ld_text
from everyday.publish.pages import (
    PageInfo,
    format_clock,
    format_iso,
    make_chrome,
    output_escape,
    template,
)
from everyday.publish.safety import safe_url
from everyday.publish.site import build_site, environment, group_stories
from everyday.publish.sitemaps import NEWS_NS, SITEMAP_NS, NewsUrl, build_sitemaps, news_language
from everyday.publish.views import MEMBERS_SHOWN, Card, Img, Link, page_dir
from publish_samples import age_files, mtimes
from site_samples import (
    CLUSTERS,
    COUNT,
    HOSTILE,
    HOSTILE_EXCERPT,
    HOSTILE_TITLE,
    TAXONOMY,
    UNPUBLISHED,
    sample_clusters,
    sample_entries,
    sample_newsletters,
    sample_site,
    write_images,
)

SITE = sample_site()
S = f"{{{SITEMAP_NS}}}"
N = f"{{{NEWS_NS}}}"


def build(root: Path, entries: list | None = None, **options: object):  # type: ignore[no-untyped-def]
    """Build API, feeds and site of the sample hub into ``root``; return the site's report."""
    entries = sample_entries() if entries is None else entries
    options.setdefault("clusters", sample_clusters(entries))
    write_images(root)
    out = Output(root)
    build_api(entries, TAXONOMY, SITE, out)
    build_feeds(entries, TAXONOMY, SITE, out)
    build_site(entries, TAXONOMY, SITE, out, **options)  # type: ignore[arg-type]
    return out.finish()


def page(root: Path, path: str) -> html.HtmlElement:
    return html.fromstring((root / path).read_bytes())


def article_dir(entry) -> str:  # type: ignore[no-untyped-def]
    return item_api_path(entry).removeprefix("api/news/").removesuffix("index.json")


def html_pages(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    build(root, newsletters=sample_newsletters())
    return root


def test_every_kind_of_page_is_built(site: Path) -> None:
    for path in (
        "index.html",
        "page/2/index.html",
        "topics/index.html",
        "topics/drones/index.html",
        "topics/drones/page/2/index.html",
        "providers/index.html",
        "providers/botwire.example/index.html",
        "newsletters/index.html",
        "search/index.html",
        "search/index.json",
        "404.html",
        "sitemap.xml",
        "news-sitemap.xml",
        "static/site.css",
        "static/search.js",
    ):
        assert (site / path).is_file(), path
    assert not (site / "topics/toys").exists()  # a topic without news pages (services)
    assert not (site / "page/1").exists()  # page 1 is the home page


def test_article_pages_follow_the_api_item_paths_and_only_published(site: Path) -> None:
    entries = sample_entries()
    for n, entry in enumerate(entries):
        folder = site / article_dir(entry)
        assert (folder / "index.html").is_file() is (n not in UNPUBLISHED), n
        assert (site / item_api_path(entry)).is_file() is (n not in UNPUBLISHED)
    listed = (site / "index.html").read_text() + json.dumps(search_rows(site))
    for n in UNPUBLISHED:
        assert f"(story {n})" not in listed


def test_article_page_shows_the_record(site: Path) -> None:
    entry = sample_entries()[38]
    doc = page(site, article_dir(entry) + "index.html")
    assert doc.findtext(".//h1") == entry.record.title
    assert doc.find(".//p[@class='article__excerpt']").text == entry.record.excerpt
    image = doc.find(".//figure//img")
    assert image.get("alt") == entry.record.title
    assert (image.get("width"), image.get("height")) == ("1200", "675")
    assert doc.find(".//a[@class='button']").get("href") == entry.record.web_url
    assert doc.find(".//time").get("datetime") == "2024-03-04T10:00:00Z"
    assert [a.text for a in doc.findall(".//header//ul[@class='chips']//span")] == ["Toys"]
    related = doc.findall(".//section[@class='related']//li/a")
    # story 35 is ours (internal page), the outside view is linked out
    assert related[0].get("href") == "/robots/" + article_dir(sample_entries()[35])
    assert related[1].get("href") == "https://elsewhere.example/view/38"
    assert "/robots/providers/orbittimes.example/" in [a.get("href") for a in doc.iter("a")]


def test_article_has_opengraph_and_news_article_json_ld(site: Path) -> None:
    entry = sample_entries()[38]
    doc = page(site, article_dir(entry) + "index.html")
    meta = {m.get("property"): m.get("content") for m in doc.iter("meta") if m.get("property")}
    url = f"https://hub.example.org/robots/{article_dir(entry)}"
    assert meta["og:type"] == "article"
    assert meta["og:title"] == entry.record.title
    assert meta["og:url"] == url
    assert meta["og:image"] == entry.record.images[0].url
    assert meta["article:published_time"] == "2024-03-04T10:00:00Z"
    ld = json.loads(doc.find(".//script[@type='application/ld+json']").text)
    assert ld["@type"] == "NewsArticle"
    assert (ld["headline"], ld["url"], ld["datePublished"]) == (
        entry.record.title,
        url,
        "2024-03-04T10:00:00Z",
    )
    assert ld["image"] == [entry.record.images[0].url]
    assert ld["author"]["name"] == "Orbit Times"


def test_hostile_markup_is_text_everywhere(site: Path) -> None:
    entry = sample_entries()[HOSTILE]
    for path in html_pages(site):
        text = path.read_text(encoding="utf-8")
        if "application/ld+json" in text:  # JSON-LD may hold "<script>": it cannot close
            head, rest = text.split('<script type="application/ld+json">', 1)
            text = head + rest.split("</script>", 1)[1]
        assert "<script>alert" not in text, path
        assert "onerror=" not in text.replace("onerror=&#34;", ""), path
        assert 'href="javascript' not in text.lower(), path
    doc = page(site, article_dir(entry) + "index.html")
    assert doc.findtext(".//h1") == HOSTILE_TITLE
    assert doc.find(".//p[@class='article__excerpt']").text == HOSTILE_EXCERPT
    assert doc.find(".//a[@class='button']") is None  # webUrl is javascript:
    assert [s.get("type") for s in doc.iter("script")] == ["application/ld+json"]
    raw = (site / article_dir(entry) / "index.html").read_text()
    assert "<\\/script>" in raw
    rows = search_rows(site)
    assert HOSTILE_TITLE in [r["title"] for r in rows]


@pytest.mark.parametrize("hostile", [False, True])
@pytest.mark.parametrize("image", [None, "https://img.example/a.jpg", "javascript:alert(1)"])
@pytest.mark.parametrize("domain", ["orbit.example", "Not A Domain", ""])
@pytest.mark.parametrize("topics", [(), ("AI",), ("AI", 'Law & "Order"')])
def test_article_json_ld_is_the_news_article_object_as_json_dumps_writes_it(
    hostile: bool, image: str | None, domain: str, topics: tuple[str, ...]
) -> None:
    """The JSON-LD text is pasted from quoted strings: it must be, byte for byte, what
    encoding the NewsArticle object gives, whatever the strings hold."""
    odd = '</script><!-- "é\u2028\\' if hostile else ""
    when = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
    web = "javascript:x" if hostile else "https://orbit.example/a"
    entry = Entry(
        "_news/2024-03-04-a.md",
        Record(
            title="T" + odd,
            excerpt="E" + odd,
            published=when,
            web_url=web,
            provider=Provider("Orbit" + odd, domain),
        ),
    )
    card = Card(
        title="T" + odd,
        excerpt="E" + odd,
        href="/a/",
        date=when,
        provider=Link("Orbit" + odd, None),
        logo=None,
        image=None if image is None else Img(image, "alt"),
        topics=tuple(Link(t + odd) for t in topics),
        sources=1,
    )
    site = replace(SITE, title="Hub" + odd)
    expected: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": card.title,
        "description": card.excerpt,
        "url": "https://hub.example.org/a/",
        "mainEntityOfPage": "https://hub.example.org/a/",
        "datePublished": "2024-03-04T10:00:00Z",
        "dateModified": "2024-03-04T10:00:00Z",
    }
    if image is not None and image.startswith("https:"):
        expected["image"] = [image]
    author: dict[str, object] = {"@type": "Organization", "name": "Orbit" + odd}
    if domain == "orbit.example":
        author["url"] = "https://orbit.example/"
    expected["author"] = author
    expected["publisher"] = {"@type": "Organization", "name": site.title, "url": site.web_url}
    if not hostile:
        expected["isBasedOn"] = web
    if topics:
        expected["keywords"] = [t + odd for t in topics]
    text = article_json_ld(entry, card, "https://hub.example.org/a/", site)
    assert text == json_ld_text(expected)
    assert json.loads(text) == expected and "</" not in text


def test_json_ld_text_cannot_close_its_script() -> None:
    text = json_ld_text({"a": "</script><!-- x"})
    assert "</" not in text and "<!--" not in text
    assert json.loads(text) == {"a": "</script><!-- x"}


def test_templates_autoescape() -> None:
    env = environment()
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    assert (
        env.get_template("base.html")
        .render(site=SITE, base="", assets={}, page={"path": "x/", "title": "<i>"})
        .count("&lt;i&gt;")
        >= 2
    )


class _Safe:
    def __html__(self) -> str:
        return "<b>trusted</b>"


HOSTILE_VALUES = ["<script>alert(\"x\")</script> & 'q'", "", "plain", "é \u2028 \U0001f600 <"]


@pytest.mark.parametrize(
    "value", [*HOSTILE_VALUES, markupsafe.Markup("<i>ok</i>"), 42, 2.5, None, Undefined(), _Safe()]
)
def test_output_escape_writes_what_markupsafe_escape_writes(value: object) -> None:
    assert output_escape(value) == str(markupsafe.escape(value))
    assert type(output_escape(value)) is str


def test_compiled_templates_are_kept_for_the_next_process(tmp_path: Path) -> None:
    """The second process loads the bytecode the first compiled (in Jinja's private
    per-user folder under TMPDIR), and its templates still escape through output_escape."""
    import subprocess
    import sys

    program = (
        "from everyday.publish.pages import environment, output_escape;"
        "env = environment(); compiled = [];"
        "real = env.compile; env.compile = lambda *a, **k: compiled.append(1) or real(*a, **k);"
        "t = env.get_template('article.html');"
        "print(env.bytecode_cache.directory, len(compiled),"
        " t.root_render_func.__globals__['escape'] is output_escape)"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True)
        for _ in range(2)
    ]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    (folder, first, escaped), (again, second, escaped_again) = (r.stdout.split() for r in runs)
    assert (first, second) == ("1", "0")  # compiled once, then loaded
    assert folder == again and Path(folder).parent == tmp_path
    assert (Path(folder).stat().st_mode & 0o777) == 0o700  # private to this user
    assert len(list(Path(folder).glob("__jinja2_*.cache"))) == 1  # article.html (extends is lazy)
    assert escaped == escaped_again == "True"


def test_a_template_cache_that_cannot_be_written_fails_no_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full (or read-only) temp disk: the template is compiled, used, and not kept."""
    from jinja2.bccache import Bucket

    from everyday.publish.pages import _TemplateCache

    cache = _TemplateCache(str(tmp_path))
    bucket = Bucket(environment(), "k", "checksum")
    bucket.code = compile("x = 1", "<t>", "exec")

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", no_space)
    cache.dump_bytecode(bucket)  # no exception
    assert list(tmp_path.iterdir()) == []


def test_site_templates_write_values_through_output_escape() -> None:
    """The cheaper escape is what the compiled templates call, blocks and macros included
    (a Jinja that named it otherwise would silently fall back to MarkupSafe's)."""
    for name in ("base.html", "article.html", "list.html", "macros.html"):
        assert template(name).root_render_func.__globals__["escape"] is output_escape
    page = template("macros.html").module.chips(({"href": "/t/", "text": "<b>&"},))
    assert "&lt;b&gt;&amp;" in page and "<b>&" not in page


def test_shared_pre_rendered_parts_escape_source_text(tmp_path: Path) -> None:
    """Outlets, topic chips, image alts and the page chrome are rendered once per build
    and reused: the source text they carry must still show as text on every page."""
    name, topic, title = '<b>Evil</b> & "Co"', "<i>Odd</i> topic", "<img src=x> & more"
    entries = sample_entries()
    hostile = {
        n: Entry(
            entries[n].path,
            replace(
                entries[n].record,
                title=title,
                provider=Provider(name, "evil.example", (Image("https://evil.example/l.png"),)),
                topics=("Robots", topic, "Drones"),
            ),
        )
        for n in (31, 33)  # two records: the second page reuses what the first one rendered
    }
    site = replace(SITE, title="R&D <Daily>")
    root = tmp_path / "site"
    out = Output(root)
    build_site([hostile.get(n, e) for n, e in enumerate(entries)], TAXONOMY, site, out)
    out.finish()
    for n in hostile:
        text = (root / article_dir(entries[n]) / "index.html").read_text()
        doc = html.fromstring(text)
        head, rest = text.split('<script type="application/ld+json">', 1)  # JSON, not HTML
        text = head + rest.split("</script>", 1)[1]
        assert "<b>Evil" not in text and "<i>Odd" not in text and "<img src=x>" not in text
        assert doc.find(".//p[@class='meta']/a").text == name
        assert doc.find(".//p[@class='meta']/img").get("src") == "https://evil.example/l.png"
        assert [c.text for c in doc.findall(".//ul[@class='chips']/li/*")] == [topic, "Drones"]
        tags = [m.get("content") for m in doc.iter("meta") if m.get("property") == "article:tag"]
        assert tags == [topic, "Drones"]
        assert doc.find(".//figure/img").get("alt") == title
        assert doc.find(".//a[@class='brand']").text == "R&D <Daily>"
        assert doc.find(".//footer//p").text.startswith("R&D <Daily> links")
    doc = page(root, "providers/evil.example/index.html")
    cards = doc.find_class("card")
    assert len(cards) == 2
    for card in cards:
        assert card.find(".//p[@class='meta']/a").text == name
        assert card.find(".//div[@class='card__media']/img").get("alt") == title
        assert [c.text for c in card.findall(".//ul[@class='chips']/li/*")] == [topic, "Drones"]
    assert doc.find(".//title").text == f"{name} · R&D <Daily>"


@pytest.mark.parametrize("path", ["", "page/2/", "topics/", "providers/a.example/", "404.html"])
def test_base_renders_the_same_without_its_pre_rendered_chrome(path: str) -> None:
    assets = {"favicon": "/robots/static/favicon.svg?v=1", "site": "/robots/static/site.css?v=2"}
    info = PageInfo(path, f"https://hub.example.org/robots/{path}", "A <page>", noindex=not path)
    context = {"site": SITE, "base": "/robots", "assets": assets, "page": info}
    chrome = make_chrome(SITE, "/robots", assets, path.split("/")[0])
    base = template("base.html")
    assert base.render(context, chrome=chrome) == base.render(context)
    assert 'href="/robots/static/site.css?v=2"' in base.render(context)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 3, 4, 10, 5, 9),
        datetime(2024, 3, 4, 10, 5, 9, 123456, tzinfo=UTC),
        datetime(2024, 3, 4, 23, 59, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(999, 1, 2, 3, 4, 5),  # strftime's %Y does not zero-pad it
        date(2024, 3, 4),
    ],
)
def test_date_filters_write_what_strftime_writes(moment: datetime) -> None:
    assert format_iso(moment) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert format_clock(moment) == moment.strftime("%H:%M")
    day = date(moment.year, moment.month, moment.day)
    name = f"_news/{day.year:04d}-{day.month:02d}-{day.day:02d}-a-story.md"
    assert page_dir(Entry(name, sample_entries()[0].record)) == f"{day:%Y/%m/%d}/a-story/"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://a.example/x?y=1", True),
        ("http://a.example", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,hi", False),
        ("//a.example/x", False),
        ("https://a.example/x y", False),
        ("https:///nohost", False),
        ("HTTPS://A.example/x", True),
        ("httpx://a.example/", False),
        ("/assets/images/x.jpg", False),
        ("http", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_url_only_http(url: str | None, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_every_link_is_under_the_base_path_and_resolves(site: Path) -> None:
    checked = 0
    for path in html_pages(site):
        doc = html.fromstring(path.read_bytes())
        for node, attr in [(n, "href") for n in doc.iter("a", "link")] + [
            (n, "src") for n in doc.iter("img", "script")
        ]:
            url = node.get(attr)
            if url is None:
                continue
            if url.startswith(("http://", "https://", "#")):
                continue
            assert url.startswith("/robots/"), (path, url)
            target = url.removeprefix("/robots/").split("?")[0].split("#")[0]
            file = site / (target + "index.html" if target.endswith("/") or not target else target)
            assert file.is_file(), (path, url)
            checked += 1
    assert checked > 1000


def test_accessibility_landmarks_and_alt_text(site: Path) -> None:
    for path in html_pages(site):
        doc = html.fromstring(path.read_bytes())
        assert doc.get("lang") == "en-us"
        for tag in ("header", "nav", "main", "footer"):
            assert doc.find(f".//{tag}") is not None, (path, tag)
        assert doc.find(".//a[@class='skip']").get("href") == "#main"
        assert doc.find(".//main").get("id") == "main"
        assert len(doc.findall(".//h1")) == 1, path
        assert all(img.get("alt") is not None for img in doc.iter("img")), path
    home = page(site, "index.html")
    for card in home.find_class("card"):
        img = card.find(".//div[@class='card__media']/img")
        if img is not None:
            assert img.get("alt") == card.find(".//h3/a").text


def test_clusters_show_once_with_their_number_of_sources(tmp_path: Path) -> None:
    entries = sample_entries()
    build(tmp_path)
    titles = [entries[n].record.title for n in CLUSTERS if CLUSTERS[n] == "c-winter"]
    shown = "".join(p.read_text() for p in sorted(tmp_path.glob("page/*/index.html")))
    shown += (tmp_path / "index.html").read_text()
    # one story per cluster in the home lists: exactly one of the three titles appears
    assert sum(t in shown for t in titles) == 1
    without = tmp_path / "plain"
    build(without, clusters={})
    plain = "".join(p.read_text() for p in sorted(without.glob("page/*/index.html")))
    assert sum(t in plain for t in titles) == 3


def test_a_big_story_links_its_newest_members_and_counts_the_rest(tmp_path: Path) -> None:
    entries = sample_entries()
    published = [e for n, e in enumerate(entries) if n not in UNPUBLISHED]
    build(tmp_path, clusters={e.path: "big" for e in published})
    others = sorted(published[1:], key=lambda e: e.record.published, reverse=True)
    doc = page(tmp_path, article_dir(published[0]) + "index.html")
    links = [a.get("href") for a in doc.findall(".//section[@class='related']//li/a")]
    assert links[:MEMBERS_SHOWN] == ["/robots/" + article_dir(e) for e in others[:MEMBERS_SHOWN]]
    assert len(links) == MEMBERS_SHOWN + len(published[0].record.related or ())
    more = doc.find(".//section[@class='related']/p[@class='meta']").text
    assert more == f"and {len(others) - MEMBERS_SHOWN} more sources on this story"
    assert doc.find(".//span[@class='sources']").text == f"{len(published)} sources"


def test_sources_fall_back_to_related_lengths(tmp_path: Path) -> None:
    entries = sample_entries()
    build(tmp_path, clusters={})
    doc = page(tmp_path, article_dir(entries[38]) + "index.html")
    assert doc.find(".//span[@class='sources']").text == "3 sources"  # itself + 2 related
    doc = page(tmp_path, article_dir(entries[36]) + "index.html")
    assert doc.find(".//span[@class='sources']") is None  # no related: no badge


def test_group_stories_leads_with_the_hottest_member() -> None:
    entries = sample_entries()
    clusters = sample_clusters(entries)
    stories = group_stories(list(reversed(entries[:12])), clusters)
    winter = next(s for s in stories if len(s.members) == 3)
    assert winter.lead is max(winter.members, key=lambda e: e.record.heat)
    assert len(stories) == 12 - 2 - 1


def search_rows(site: Path) -> list[dict[str, Any]]:
    """Every row of the search index: its month files, in the order the index lists them."""
    parts = json.loads((site / "search/index.json").read_text())["parts"]
    return [row for name in parts for row in json.loads((site / "search" / name).read_text())]


def test_search_index_rows(site: Path) -> None:
    manifest = json.loads((site / "search/index.json").read_text())
    assert manifest["parts"] == sorted(manifest["parts"], reverse=True)  # newest month first
    assert all(re.fullmatch(r"\d{4}-\d\d\.json", name) for name in manifest["parts"])
    text = (site / "search" / manifest["parts"][0]).read_text()
    assert ": " not in text.split('"excerpt"')[0]  # compact
    rows = search_rows(site)
    assert manifest["rows"] == len(rows)
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates, reverse=True)
    assert len(rows) == COUNT - len(UNPUBLISHED)
    assert set(rows[0]) == {"title", "excerpt", "url", "date", "topics", "provider"}
    assert rows[0]["date"] == "2024-03-04" and rows[0]["url"].startswith("/robots/2024/03/04/")
    assert "Robots" not in rows[0]["topics"]  # the root topic is on every story
    for row in rows:
        assert (site / row["url"].removeprefix("/robots/") / "index.html").is_file()


def test_newsletter_archive_lists_issues(site: Path) -> None:
    doc = page(site, "newsletters/index.html")
    titles = [h.text_content().strip() for h in doc.findall(".//ol[@class='issues']//h2")]
    assert titles == ["Robots Every Day (2024-03-03)", "Robots Every Day (2024-03-02)"]
    links = [a.get("href") for a in doc.findall(".//ol[@class='issues']//a")]
    assert links == ["https://www.example.org/robots/newsletters/2024-03-02/"]


def test_sitemap_lists_every_page(site: Path) -> None:
    root = etree.fromstring((site / "sitemap.xml").read_bytes())
    locs = {u.findtext(S + "loc") for u in root.findall(S + "url")}
    built = {
        "https://hub.example.org/robots/"
        + p.relative_to(site).as_posix().removesuffix("index.html")
        for p in site.rglob("index.html")
        if not p.relative_to(site).as_posix().startswith("api/")
    }
    assert locs == built
    article = sample_entries()[38]
    url = next(
        u for u in root.findall(S + "url") if u.findtext(S + "loc").endswith(article_dir(article))
    )
    assert url.findtext(S + "lastmod") == "2024-03-04T10:00:00Z"


def test_news_sitemap_holds_the_last_two_days(site: Path) -> None:
    root = etree.fromstring((site / "news-sitemap.xml").read_bytes())
    urls = root.findall(S + "url")
    newest = sample_entries()[COUNT - 1].record.published
    expected = [
        e
        for n, e in enumerate(sample_entries())
        if n not in UNPUBLISHED and e.record.published >= newest - timedelta(days=2)
    ]
    assert len(urls) == len(expected) > 0
    first = urls[0].find(N + "news")
    assert first.findtext(f"{N}publication/{N}name") == "Robots Every Day"
    assert first.findtext(f"{N}publication/{N}language") == "en"
    assert first.findtext(N + "publication_date") == "2024-03-04T12:00:00Z"
    assert first.findtext(N + "title") == expected[-1].record.title


def test_news_sitemap_window_ends_at_now(tmp_path: Path) -> None:
    entries = sample_entries()
    now = entries[0].record.published + timedelta(hours=3)
    build(tmp_path, now=now)
    root = etree.fromstring((tmp_path / "news-sitemap.xml").read_bytes())
    titles = [u.findtext(f"{N}news/{N}title") for u in root.findall(S + "url")]
    assert titles == [entries[1].record.title, entries[0].record.title]


def test_big_sitemaps_are_split_behind_an_index(tmp_path: Path) -> None:
    from everyday.publish.sitemaps import SitemapUrl

    out = Output(tmp_path)
    urls = [SitemapUrl(f"https://h.example/{i}/") for i in range(5)]
    news = [NewsUrl("https://h.example/0/", "T\x00<b>", sample_entries()[0].record.published)]
    build_sitemaps(urls, news, SITE, out, max_urls=2)
    out.finish()
    index = etree.fromstring((tmp_path / "sitemap.xml").read_bytes())
    assert index.tag == S + "sitemapindex"
    assert [s.findtext(S + "loc") for s in index] == [
        f"https://hub.example.org/robots/sitemap-{i}.xml" for i in (1, 2, 3)
    ]
    assert len(etree.fromstring((tmp_path / "sitemap-3.xml").read_bytes())) == 1
    news_root = etree.fromstring((tmp_path / "news-sitemap.xml").read_bytes())
    assert news_root.findtext(f"{S}url/{N}news/{N}title") == "T<b>"


@pytest.mark.parametrize(
    ("locale", "code"), [("en-us", "en"), ("de_DE", "de"), ("zh-cn", "zh-cn"), ("fr", "fr")]
)
def test_news_language(locale: str, code: str) -> None:
    assert news_language(locale) == code


def test_rebuild_is_byte_identical_and_keeps_mtimes(tmp_path: Path) -> None:
    build(tmp_path)
    age_files(tmp_path)
    before = mtimes(tmp_path)
    report = build(tmp_path)
    assert report.written == frozenset()
    after = mtimes(tmp_path)
    built = [p for p in before if not p.startswith("assets/") and p != ".everyday-build.json"]
    assert len(built) > 100
    assert {p: after[p] for p in built} == {p: before[p] for p in built}


def test_one_new_article_rewrites_its_page_and_lists_only(tmp_path: Path) -> None:
    entries = sample_entries()
    build(tmp_path, entries[:-1])
    report = build(tmp_path, entries)
    new = article_dir(entries[-1]) + "index.html"
    assert new in report.written
    assert "index.html" in report.written and "sitemap.xml" in report.written
    untouched = article_dir(entries[20]) + "index.html"
    assert untouched in report.unchanged
    assert "404.html" in report.unchanged and "static/site.css" in report.unchanged


def test_unpublishing_removes_the_page(tmp_path: Path) -> None:
    entries = sample_entries()
    build(tmp_path, entries)
    gone = replace(entries[30], record=replace(entries[30].record, is_published=False))
    report = build(tmp_path, [*entries[:30], gone, *entries[31:]])
    assert article_dir(entries[30]) + "index.html" in report.removed
