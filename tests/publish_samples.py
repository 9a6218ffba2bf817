"""Invented records, taxonomy and settings for the publish tests (no corpus text)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from everyday.models import Image, Provider, Record, Related
from everyday.publish import Entry, Output
from everyday.records.files import iter_record_files, read_record
from everyday.records.slug import record_filename
from everyday.settings import SiteSettings
from everyday.taxonomy import Taxonomy, Topic

SITE = SiteSettings(
    title="Robots Every Day",
    url="https://hub.example.org",
    baseurl="/robots",
    web_url="https://www.example.org/robots",
    locale="en-us",
    topic="Robots",
    page_size=3,
)
TAXONOMY = Taxonomy(
    topics=(
        Topic(id="robots", name="Robots"),
        Topic(id="drones", name="Drones", parent="Robots"),
        Topic(id="arms", name="Robot arms", parent="Robots", services=(("news", "x"),)),
        Topic(id="toys", name="Toys", parent="Robots", services=(("learning", "x"),)),
    ),
    root="Robots",
)
START = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script> & \x00\x07bell\x1b \ufffe end"


def make_record(n: int, **changes: object) -> Record:
    """Record number ``n``: one hour after record ``n - 1``, published, in topic Robots."""
    values: dict[str, object] = {
        "title": f"Robot story number {n}",
        "excerpt": f"What happened to robot {n}.",
        "published": START + timedelta(hours=n),
        "web_url": f"https://news.example.com/robots/{n}",
        "original_url": f"https://news.example.com/robots/{n}?utm_source=x",
        "provider": Provider(
            name="Example News",
            domain="example.com",
            images=(Image("https://hub.example.org/robots/logo-50x50.jpg", 50, 50),),
        ),
        "quality": 70 + n,
        "heat": 80 + n,
        "is_published": True,
        "topics": ("Robots",),
        "images": (Image(f"https://news.example.com/img/{n}.jpg", 800, 600, True),),
    }
    values.update(changes)
    return Record(**values)  # type: ignore[arg-type]


def entry(record: Record) -> Entry:
    """The entry of a record under its canonical file name."""
    return Entry(f"_news/{record_filename(record.published.date(), record.title)}", record)


def related(n: int) -> Related:
    """A related article summary."""
    return Related(
        title=f"Related take {n}",
        excerpt="Another view.",
        published=START + timedelta(hours=n, minutes=5),
        web_url=f"https://other.example.net/take/{n}",
        provider=Provider(name="Other", domain="other.example.net"),
        quality=50,
    )


def mtimes(root: Path) -> dict[str, int]:
    """Nanosecond mtimes of every file under ``root``, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()
    }


def age_files(root: Path, seconds: int = 100) -> None:
    """Move every mtime into the past, so a rewrite is visible even on coarse clocks."""
    for path in root.rglob("*"):
        if path.is_file():
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def corpus_entries(hub: Path) -> list[Entry]:
    """All records of a corpus hub as entries."""
    return [Entry(f"_news/{p.name}", read_record(p)) for p in iter_record_files(hub / "_news")]


def powerapps_site() -> SiteSettings:
    """The settings of the real powerapps hub (its _config.yml, page size of its pages)."""
    return SiteSettings(
        title="Power Apps Every Day",
        url="https://everyday-cc.github.io",
        baseurl="/powerapps",
        web_url="https://everyday.cc/powerapps",
        locale="en-us",
        topic="Power Apps",
        page_size=25,
    )


def run(build: object, entries: list[Entry], root: Path, site: SiteSettings = SITE) -> object:
    """Run one build function into ``root`` and return the output report."""
    out = Output(root)
    build(entries, TAXONOMY, site, out)  # type: ignore[operator]
    return out.finish()
