"""The daily newsletter: story selection, the issue file and its HTML and text e-mail parts."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from everyday.cli import cli, newsletter  # noqa: F401  (registers the command)
from everyday.hub import init_hub
from everyday.models import Image, Related
from everyday.publish import Entry
from everyday.publish.newsletter import (
    UNSUBSCRIBE_PLACEHOLDER,
    Issue,
    email_image,
    format_issue,
    group_by_topic,
    issue_name,
    read_entries,
    render_issue,
    select_stories,
    write_issue,
)
from everyday.records.files import write_record
from everyday.records.frontmatter import split_front_matter
from everyday.settings import SiteSettings
from publish_samples import HOSTILE, SITE, START, entry, make_record, related

DAY = START.date()  # 2024-01-01; make_record(n) is published at 08:00 + n hours


def heat(n: int, value: int, **changes: object) -> Entry:
    return entry(make_record(n, heat=value, **changes))


def related_to(e: Entry) -> Related:
    r = e.record
    return Related(title=r.title, excerpt=r.excerpt, published=r.published, web_url=r.web_url)


def rendered(entries: list[Entry], site: SiteSettings = SITE) -> Issue:
    issue = render_issue(select_stories(entries, DAY, site=site), DAY, site)
    assert issue is not None
    return issue


# --------------------------------------------------------------------------- selection


def test_stories_are_the_days_published_records_hottest_first() -> None:
    entries = [
        heat(1, 70),
        heat(2, 95),
        heat(3, 80),
        heat(4, 99, is_published=False),
        heat(5, 99, is_published=None),
        heat(20, 99),  # 2024-01-02 04:00 UTC: the next day
        entry(make_record(6, heat=80, published=datetime(2023, 12, 31, 23, 59, tzinfo=UTC))),
    ]
    stories = select_stories(entries, DAY)
    assert [s.record.heat for s in stories] == [95, 80, 70]
    assert [s.title for s in stories] == [f"Robot story number {n}" for n in (2, 3, 1)]


def test_equal_heat_puts_the_newer_story_first_and_limit_cuts() -> None:
    entries = [heat(n, 90) for n in range(1, 8)]
    stories = select_stories(entries, DAY, limit=3)
    assert [s.record.title for s in stories] == [f"Robot story number {n}" for n in (7, 6, 5)]


def test_one_story_per_cluster_led_by_its_hottest_record() -> None:
    a, b, c, d = heat(1, 70), heat(2, 90), heat(3, 85), heat(4, 60)
    elsewhere = heat(30, 50)  # same story, another day: still a source
    clusters = {a.path: "x", b.path: "x", elsewhere.path: "x", c.path: "y"}
    stories = select_stories([a, b, c, d, elsewhere], DAY, clusters=clusters)
    assert [(s.path, s.cluster, s.other_sources) for s in stories] == [
        (b.path, "x", 2),
        (c.path, "y", 0),
        (d.path, d.path, 0),
    ]


def test_without_clusters_records_listing_each_other_are_one_story() -> None:
    a, b = heat(1, 70), heat(2, 90)
    a = replace(a, record=replace(a.record, related=(related_to(b), related(7))))
    b = replace(b, record=replace(b.record, related=(related_to(a), related(8), related(9))))
    c = heat(3, 50, related=(related(1),))
    stories = select_stories([a, b, c], DAY)
    assert [s.path for s in stories] == [b.path, c.path]
    assert [s.other_sources for s in stories] == [3, 1]  # len(related) of the leader


def test_first_publication_moves_a_story_to_its_day() -> None:
    late = heat(1, 90, published=START - timedelta(days=2))
    first = {late.path: START + timedelta(hours=3)}
    assert select_stories([late], DAY) == []
    stories = select_stories([late], DAY, first_published=first)
    assert [s.path for s in stories] == [late.path]
    assert stories[0].published == START + timedelta(hours=3)


def test_a_day_without_published_stories_has_no_issue() -> None:
    entries = [heat(1, 90, is_published=False), heat(40, 90)]
    assert select_stories(entries, DAY) == []
    assert render_issue([], DAY, SITE) is None


def test_groups_follow_the_first_non_root_topic_in_order_of_their_best_story() -> None:
    entries = [
        heat(1, 99, topics=("Robots", "Drones", "Robot arms")),
        heat(2, 90),
        heat(3, 80, topics=("Robot arms", "Robots")),
        heat(4, 70, topics=("Robots", "Drones")),
    ]
    groups = group_by_topic(select_stories(entries, DAY), "Robots")
    assert [(g.topic, [s.record.heat for s in g.stories]) for g in groups] == [
        ("Drones", [99, 70]),
        ("Robots", [90]),
        ("Robot arms", [80]),
    ]


def test_story_links_and_images_are_safe_and_sized() -> None:
    e = heat(
        1,
        90,
        web_url="javascript:alert(1)",
        images=(
            Image("https://img.example.com/nosize.jpg"),
            Image("/assets/images/cache/a.jpg", 1200, 630, True),
        ),
    )
    (story,) = select_stories([e], DAY, site=SITE)
    assert story.link == "https://news.example.com/robots/1?utm_source=x"  # originalUrl
    assert story.image is not None
    assert story.image.url == "https://hub.example.org/robots/assets/images/cache/a.jpg"
    assert (story.image.width, story.image.height) == (560, 294)
    sizes = {(1000, 1000): (420, 420), (300, 200): (300, 200), (2000, 500): (560, 140)}
    for (w, h), expected in sizes.items():
        image = email_image((Image("https://img.example.com/a.jpg", w, h),), "alt", SITE)
        assert image is not None and (image.width, image.height) == expected


# --------------------------------------------------------------------------- the issue file


def test_issue_is_named_like_the_seed() -> None:
    site = SiteSettings(title="A.I. Every Day", web_url="https://everyday.cc/ai")
    assert issue_name(site, date(2023, 11, 7)) == "ai-every-day-2023-11-07"
    issue = rendered([heat(1, 90)], site)
    assert issue.path == "_newsletters/ai-every-day-2024-01-01.html"
    assert issue.web_url == "https://everyday.cc/ai/newsletter/ai-every-day-2024-01-01/"
    assert issue.title == "A.I. Every Day (2024-01-01)"


def test_front_matter_has_the_seeds_keys_and_values() -> None:
    entries = [heat(n, 90 - n, title=f"Story {n}: «{n}»") for n in range(1, 6)]
    text = format_issue(rendered(entries))
    head, body = split_front_matter(text)
    data = yaml.safe_load(head)
    assert list(data) == ["title", "excerpt", "publishedDateTime", "webUrl", "type", "topics"]
    assert data["title"] == "Robots Every Day (2024-01-01)"
    assert data["excerpt"] == "Story 1: «1» / Story 2: «2» / Story 3: «3»"
    assert data["publishedDateTime"] == datetime(2024, 1, 1, 13, 0, tzinfo=UTC)
    assert (
        data["webUrl"] == "https://www.example.org/robots/newsletter/robots-every-day-2024-01-01/"
    )
    assert (data["type"], data["topics"]) == ("article", ["Robots"])
    assert body.startswith("\n<!DOCTYPE html>\n")


def test_front_matter_is_read_by_the_api_reader() -> None:
    api = pytest.importorskip("everyday.publish.api")
    issue = rendered([heat(1, 90), heat(2, 80)])
    parsed = api.parse_newsletter(format_issue(issue), f"{issue.name}.html")
    assert parsed.path == issue.path
    assert parsed.title == issue.title
    assert parsed.excerpt == "Robot story number 1 / Robot story number 2"
    assert parsed.published == issue.published
    assert parsed.web_url == issue.web_url
    assert parsed.topics == ("Robots",)


@pytest.mark.corpus
def test_front_matter_layout_matches_the_real_issues(corpus: Path) -> None:
    folder = corpus / "powerapps" / "_newsletters"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")

    def keys(lines: list[str]) -> list[str]:
        return [ln[:4] if ln.startswith("  - ") else ln.split(":")[0] for ln in lines]

    ours = keys(format_issue(rendered([heat(1, 90)])).split("\n")[:11])
    for path in sorted(folder.glob("*.html")):
        lines = path.read_text(encoding="utf-8").split("\n")
        theirs = keys([ln for ln in lines if not ln.startswith("secured:")][:11])
        assert theirs == ours, path.name


def test_rewriting_the_same_day_keeps_the_file_untouched(tmp_path: Path) -> None:
    entries = [heat(1, 90), heat(2, 80, title=HOSTILE)]
    path, changed = write_issue(tmp_path, rendered(entries))
    assert changed and path == tmp_path / "_newsletters" / "robots-every-day-2024-01-01.html"
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    again, changed = write_issue(tmp_path, rendered(list(reversed(entries))))
    assert (again, changed) == (path, False)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# --------------------------------------------------------------------------- the HTML part


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> and <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.inside: list[str] = []
        self.styles: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self.scripts += tag == "script"
        self.inside.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.inside and self.inside[-1] == tag:
            self.inside.pop()

    def handle_data(self, data: str) -> None:
        if self.inside and self.inside[-1] == "style":
            self.styles.append(data)


def parsed(issue: Issue) -> Tags:
    tags = Tags()
    tags.feed(issue.html)
    return tags


def hostile_issue() -> Issue:
    entries = [
        heat(1, 99, title=HOSTILE, excerpt="<img src=x onerror=alert(2)> &amp; more"),
        heat(2, 90, related=(related(1), related(2)), excerpt="A long excerpt " * 20),
        heat(3, 80, related=(related(3),), images=()),
        heat(4, 70, provider=replace(make_record(4).provider, name='Bad "<b>" News')),
    ]
    return rendered(entries)


def test_source_markup_is_escaped_never_trusted() -> None:
    issue = hostile_issue()
    tags = parsed(issue)
    assert tags.scripts == 0
    assert not any(tag == "img" and "onerror" in attrs for tag, attrs in tags.tags)
    assert not any(tag == "b" for tag, _ in tags.tags)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; bell end" in issue.html
    assert "&lt;img src=x onerror=alert(2)&gt; &amp; more" in issue.html
    assert "\x00" not in issue.html and "\x1b" not in issue.html


def test_layout_is_tables_with_inline_styles_at_most_640_px() -> None:
    tags = parsed(hostile_issue())
    widths = [int(a["width"]) for t, a in tags.tags if a.get("width", "").isdigit()]
    widths += [
        int(px) for _, a in tags.tags for px in re.findall(r"width:\s*(\d+)px", a.get("style", ""))
    ]
    assert widths and max(widths) <= 640
    layout = [
        (t, a) for t, a in tags.tags if t in {"table", "td", "p", "h1", "h2", "h3", "a", "img"}
    ]
    assert all(a.get("style") for _, a in layout), [t for t, a in layout if not a.get("style")]
    assert all(a.get("role") == "presentation" for t, a in tags.tags if t == "table")
    assert not any(t == "link" for t, _ in tags.tags)  # no external stylesheet
    style = "".join(tags.styles)
    assert style.strip().startswith("@media (prefers-color-scheme: dark)")


def test_images_have_size_and_alt_and_stories_show_provider_and_sources() -> None:
    issue = hostile_issue()
    tags = parsed(issue)
    images = [a for t, a in tags.tags if t == "img"]
    assert len(images) == 3  # story 3 has no image
    assert all(a["width"] == "560" and a["height"] == "420" and a["alt"] for a in images)
    links = [a["href"] for t, a in tags.tags if t == "a"]
    for n in (1, 2, 3, 4):
        assert f"https://news.example.com/robots/{n}" in links
    assert "+2 more sources" in issue.html and "+1 more source\n" in issue.html
    assert "Bad &#34;&lt;b&gt;&#34; News" in issue.html
    assert links.count(issue.web_url) >= 2  # header title and date link to the web copy
    assert links[-1] == UNSUBSCRIBE_PLACEHOLDER  # footer


# --------------------------------------------------------------------------- the text part


def test_plain_text_part_lists_every_story_unescaped() -> None:
    issue = hostile_issue()
    text = issue.text
    assert text.startswith("Robots Every Day (2024-01-01)\n")
    assert issue.web_url in text
    assert "* <script>alert(1)</script> & bell end" in text
    assert "<img src=x onerror=alert(2)> & more" in text
    assert '-> Bad "<b>" News' in text
    assert "-> Example News (+2 more sources)" in text
    for n in (1, 2, 3, 4):
        assert f"  https://news.example.com/robots/{n}\n" in text
    assert text.rstrip().endswith(f"Unsubscribe: {UNSUBSCRIBE_PLACEHOLDER}")
    assert "&amp;" not in text and "<p" not in text
    prose = [ln for ln in text.splitlines() if "://" not in ln and not ln.startswith("*")]
    assert max(len(line) for line in prose) <= 78  # excerpts are wrapped
    assert sum(ln.startswith("  A long excerpt") for ln in text.splitlines()) >= 4


def test_entities_in_source_text_are_decoded_once() -> None:
    issue = rendered([heat(1, 90, title="It&#8217;s &lt;b&gt; time", excerpt="R&amp;D")])
    assert issue.excerpt == "It’s <b> time"
    assert "* It’s <b> time" in issue.text and "  R&D" in issue.text
    assert "It’s &lt;b&gt; time" in issue.html and "R&amp;D" in issue.html


# --------------------------------------------------------------------------- the command


def make_hub(tmp_path: Path) -> Path:
    hub = init_hub(
        tmp_path / "hub",
        title="Robots Every Day",
        topic="Robots",
        url="https://www.example.org/robots",
    )
    for n, value in ((1, 70), (2, 95), (30, 99)):
        record = make_record(n, heat=value)
        write_record(hub / "_news", entry(record).path.split("/", 1)[1], record)
    (hub / "_news" / "2024-01-01-broken.md").write_text("not a record", encoding="utf-8")
    return hub


def test_read_entries_skips_broken_records(tmp_path: Path) -> None:
    hub = make_hub(tmp_path)
    assert sorted(e.path for e in read_entries(hub)) == sorted(
        f"_news/{p.name}" for p in (hub / "_news").glob("*.md") if "broken" not in p.name
    )


def test_cli_writes_the_issue_and_says_when_there_is_none(tmp_path: Path) -> None:
    hub = make_hub(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        cli, ["newsletter", "--hub", str(hub), "--date", "2024-01-01", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "would write" in result.output and not (hub / "_newsletters").exists()

    result = runner.invoke(cli, ["newsletter", "--hub", str(hub), "--date", "2024-01-01"])
    assert result.exit_code == 0, result.output
    path = hub / "_newsletters" / "robots-every-day-2024-01-01.html"
    assert f"{path} (2 stories)" in result.output.replace("\n", "")
    assert "Robot story number 2 / Robot story number 1" in path.read_text(encoding="utf-8")

    result = runner.invoke(cli, ["newsletter", "--hub", str(hub), "--date", "2024-01-01"])
    assert "unchanged" in result.output

    result = runner.invoke(cli, ["newsletter", "--hub", str(hub), "--date", "2023-12-25"])
    assert result.exit_code == 0
    assert result.output.strip() == "no published stories on 2023-12-25: no issue"
    assert sorted(p.name for p in (hub / "_newsletters").iterdir()) == [path.name]
