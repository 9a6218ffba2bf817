"""``everyday build``: the hub's records -> the static site folder, incrementally.

The JSON API, the feeds, the web pages and the hub's assets (provider logos, cached
images) are written through one :class:`~everyday.publish.output.Output`, which keeps the
bytes and mtime of every file that did not change and removes files no longer produced,
so syncing the folder to a static host uploads only the difference.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from .enrich.images import cache_stem
from .errors import EverydayError
from .publish.api import build_api, read_newsletters
from .publish.entries import Entry
from .publish.feeds import build_feeds
from .publish.output import BuildReport, Output
from .publish.site import build_site
from .records.files import iter_record_files, read_record
from .settings import Settings
from .taxonomy import Taxonomy

log = logging.getLogger(__name__)


def read_entries(settings: Settings) -> tuple[list[Entry], list[str]]:
    """Every record of the hub, and the files that could not be read (with the reason)."""
    news_dir = settings.path(settings.storage.news_dir)
    entries, problems = [], []
    for path in iter_record_files(news_dir):
        try:
            record = read_record(path)
        except EverydayError as e:
            problems.append(f"{path}: {e}")
            continue
        entries.append(Entry(path=f"{settings.storage.news_dir}/{path.name}", record=record))
    return entries, problems


def asset_files(settings: Settings) -> Iterator[tuple[str, Path]]:
    """(site path, file) of the hub's assets the pages and records point at."""
    root = settings.path(settings.storage.assets_dir)
    prefix = settings.storage.assets_dir.strip("/")
    for folder in ("organizations", "cache"):
        base = root / folder
        if base.is_dir():
            for file in sorted(base.iterdir()):
                if file.is_file() and not file.name.startswith("."):
                    yield f"{prefix}/{folder}/{file.name}", file


def cached_images(entries: list[Entry], settings: Settings) -> dict[str, str]:
    """Image URL -> site path of the hub's cached copy, for records' ``isCached`` images."""
    cache = settings.path(settings.storage.assets_dir) / "cache"
    if not cache.is_dir():
        return {}
    files = {f.stem: f.name for f in cache.iterdir() if f.is_file()}
    prefix = settings.storage.assets_dir.strip("/")
    found = {}
    for entry in entries:
        for image in entry.record.images:
            name = files.get(cache_stem(image.url)) if image.is_cached else None
            if name:
                found[image.url] = f"{prefix}/cache/{name}"
    return found


def build_hub(
    settings: Settings,
    taxonomy: Taxonomy,
    now: datetime,
    *,
    clusters: dict[str, str] | None = None,
    out_dir: Path | None = None,
) -> tuple[BuildReport, list[str]]:
    """Build API, feeds, pages and assets; returns the report and unreadable records."""
    entries, problems = read_entries(settings)
    newsletters = read_newsletters(settings.hub_dir)
    out = Output(out_dir or settings.path(settings.publish.out_dir))
    build_api(entries, taxonomy, settings.site, out, newsletters)
    build_feeds(entries, taxonomy, settings.site, out)
    build_site(
        entries,
        taxonomy,
        settings.site,
        out,
        newsletters=newsletters,
        clusters=clusters,
        now=now,
        local_images=cached_images(entries, settings),
    )
    for site_path, file in asset_files(settings):
        out.write(site_path, file.read_bytes())
    report = out.finish()
    log.info(
        "site built written=%d unchanged=%d removed=%d",
        len(report.written),
        len(report.unchanged),
        len(report.removed),
    )
    return report, problems
