"""``everyday build``: the hub's records -> the static site folder, incrementally.

The recipe: stat every record file and re-read only the changed ones
(:mod:`~everyday.publish.cache`), compare with what the previous build rendered and plan
what to render (:mod:`~everyday.publish.plan`), then write the JSON API, the feeds, the web
pages and the hub's assets (provider logos, cached images) through one
:class:`~everyday.publish.output.Output`. Unchanged files keep their bytes and mtime, and
files no longer produced are removed, so syncing the folder to a static host uploads only
the difference. The first build, a build after the settings, the taxonomy or the templates
changed, or ``full=True`` renders everything (and still rewrites only changed bytes).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path

import everyday

from .enrich.images import cache_stem
from .errors import ConfigError, PublishError
from .publish import watch as watching
from .publish.api import read_newsletters, write_api
from .publish.cache import STATE_KEY, BuildState, Records, StatKey, read_records
from .publish.catalog import PAGINGS, Brief, Catalog
from .publish.entries import Entry
from .publish.feeds import feed_jobs
from .publish.output import BuildReport, Output, forget_texts
from .publish.plan import Changes, Plan, plan_changes
from .publish.site import SiteOptions, start_site
from .publish.watch import RecordWatch
from .settings import Settings
from .taxonomy import Taxonomy

log = logging.getLogger(__name__)

SEED_PAGING_ADVICE = 20_000  # published records past which seed paging gets a warning
STATE_DIR = ".everyday/build"  # per site folder: the manifest and the build state


def build_hub(
    settings: Settings,
    taxonomy: Taxonomy,
    now: datetime,
    *,
    clusters: Mapping[str, str] | None = None,
    out_dir: Path | None = None,
    full: bool = False,
    pins: Mapping[str, str] | None = None,
) -> tuple[BuildReport, list[str]]:
    """Build API, feeds, pages and assets; returns the report and unreadable records.

    Args:
        clusters: record path -> story id (the store's ``get_clusters()``).
        pins: record path -> when pinned (the store's ``get_pins()``): pinned records lead
            the API's and the site's lists, as in the live API (not the feeds).
        out_dir: the site folder (default ``[publish] out_dir``).
        full: ignore the build state and render every file.

    Raises:
        ConfigError: ``[publish] paging`` is not a known mode.
        PublishError: a file could not be written.
    """
    enabled = gc.isenabled()
    gc.disable()  # a build makes few cycles; collecting a big hub's state costs seconds
    try:
        return _build(settings, taxonomy, now, clusters, out_dir, full, dict(pins or {}))
    finally:
        if enabled:
            gc.enable()


def _build(
    settings: Settings,
    taxonomy: Taxonomy,
    now: datetime,
    clusters: Mapping[str, str] | None,
    out_dir: Path | None,
    full: bool,
    pins: dict[str, str],
) -> tuple[BuildReport, list[str]]:
    paging = settings.publish.paging
    if paging not in PAGINGS:
        raise ConfigError(f"[publish] paging must be one of {', '.join(PAGINGS)}, not {paging!r}")
    root = Path(out_dir or settings.path(settings.publish.out_dir))
    clock = _Clock()
    out = Output(root, database=state_database(settings, root), sweep=False)
    config = config_digest(settings, taxonomy)
    state = BuildState() if full else _previous_state(out, config)
    clock.lap("state")
    watch, names = _watch(state, settings.hub_dir / settings.storage.news_dir)
    records = read_records(settings.hub_dir, settings.storage.news_dir, state, names)
    before = state.memo.get("catalog")  # a warm build's previous catalog: patched, not sorted
    if not isinstance(before, Catalog) or before.briefs is not state.briefs:
        before = None
    loader = records.loader(settings.hub_dir)
    catalog = Catalog(records.briefs, loader, pins, before, records.changed)
    clusters = {str(p): str(c) for p, c in (clusters or {}).items()}
    cache_dir = settings.path(settings.storage.assets_dir) / "cache"
    cache_key = folder_key(cache_dir)  # before reading it: a later change is seen next time
    cache_same = bool(state.config) and cache_key is not None and cache_key == state.cache_key
    images = CachedImages.of(settings, catalog, records, state, cache_same)
    plan, drops = _plan(out, state, catalog, records, clusters, images.local, pins)
    clock.lap("records")
    if paging == "seed" and len(catalog.listed) > SEED_PAGING_ADVICE and not plan.full:
        log.warning(
            "seed paging on a big hub: each new article shifts every list page (%d records);"
            ' [publish] paging = "stable" rewrites only the newest pages (docs/build.md)',
            len(catalog.listed),
        )
    newsletters = read_newsletters(settings.hub_dir)
    memo = {} if plan.full else state.memo  # what a warm build keeps in memory only
    options = SiteOptions(newsletters, clusters, now, images.local, paging, memo)
    jobs = feed_jobs(catalog, taxonomy, settings.site, out, plan)
    assets, copies = find_assets(settings, out, {} if plan.full else state.assets, cache_same)
    jobs += copy_jobs(out, copies)
    site = start_site(catalog, taxonomy, settings.site, out, options, plan, jobs)  # articles
    try:
        write_api(catalog, taxonomy, settings.site, out, newsletters, paging=paging, plan=plan)
        clock.lap("api")
        site.write()  # the lists; the worker renders article pages, feeds and assets
        if not plan.full:
            drops |= plan.stale()
        saved = BuildState(
            config=config,
            files=records.files,
            briefs=records.briefs,
            problems=records.problems,
            clusters=clusters,
            local=images.local,
            stems=images.stems,
            cache_files=images.names,
            cache_key=cache_key,
            assets=assets,
            keys=plan.keys,
            pins=pins,
            members=state.members,
            memo=memo,
        )
        blobs = saved.dump(None if plan.full else records.restat, state)  # meanwhile too
        site.join()  # what the worker has not taken yet, then its files
        clock.lap("site")
    finally:
        site.articles.abort()  # a no-op once joined
    for path in drops:
        out.drop(path)
    if not plan.full:
        forget_texts(out, records.changed - records.briefs.keys())
    generation = secrets.token_hex(8)
    report = out.finish({**blobs, GENERATION_KEY: generation.encode("ascii")})
    catalog.loader = _unloaded  # the memo must not keep this build's parsed records
    memo["catalog"] = catalog
    memo["watch"] = watch
    WARM_STATES[out.manifest_path] = (generation, saved)
    while len(WARM_STATES) > WARM_LIMIT:  # the least recently built site goes
        _drop_warm(WARM_STATES.pop(next(iter(WARM_STATES)))[1])
    clock.lap("finish")
    log.info(
        "site built full=%s written=%d unchanged=%d removed=%d seconds=%s",
        plan.full, len(report.written), report.unchanged_count, len(report.removed), clock,
    )  # fmt: skip
    return report, sorted(records.problems.values())


def _unloaded(path: str) -> Entry:
    raise LookupError(f"{path}: a kept catalog loads no records")


class _Clock:
    """Seconds per phase, for the build's log line."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now

    def __str__(self) -> str:
        parts = ",".join(f"{k}:{v:.3f}" for k, v in self.laps.items())
        return f"{self.last - self.start:.3f}({parts})"


def _plan(
    out: Output,
    state: BuildState,
    catalog: Catalog,
    records: Records,
    clusters: dict[str, str],
    local: dict[str, str],
    pins: dict[str, str],
) -> tuple[Plan, set[str]]:
    """Everything after a reset; else only what the changes touched."""
    if not state.config:
        out.sweep_all()
        return Plan(), set()
    changes = Changes(
        state.briefs,
        records.changed,
        state.clusters,
        clusters,
        state.local,
        local,
        state.pins,
        pins,
    )
    return plan_changes(catalog, changes, state.keys)


GENERATION_KEY = "generation"  # names the saved state: a process that saved it may reuse it
WARM_STATES: dict[Path | None, tuple[str, BuildState]] = {}  # manifest database -> its state
WARM_LIMIT = 4  # sites whose state one process keeps in memory


def _watch(state: BuildState, folder: Path) -> tuple[RecordWatch | None, set[str] | None]:
    """The records folder's watch to keep, and the file names it saw change since ``state``
    was saved (None: scan them all). A big hub's state gets a watch for next time."""
    watch = state.memo.get("watch")
    names = watch.take() if isinstance(watch, RecordWatch) else None
    if names is None or watch is None or not watch.alive:
        if isinstance(watch, RecordWatch):
            watch.close()
        # Started before the scan: whatever changes after it is in the next take().
        big = len(state.files) >= watching.WATCH_MIN
        watch = RecordWatch.start(folder) if big else None
    return watch, names


def _drop_warm(state: BuildState) -> None:
    watch = state.memo.get("watch")
    if isinstance(watch, RecordWatch):
        watch.close()


def _previous_state(out: Output, config: str) -> BuildState:
    """The previous build's state: from memory when this process saved it (``everyday run
    --every`` builds after each pass), else from the manifest database."""
    warm = WARM_STATES.pop(out.manifest_path, None)
    generation = (out.meta(GENERATION_KEY) or b"").decode("ascii", "replace")
    if warm is not None and generation and warm[0] == generation and warm[1].config == config:
        return warm[1]
    if warm is not None:
        _drop_warm(warm[1])
    return BuildState.load(out.metas(STATE_KEY), config)


def state_database(settings: Settings, root: Path) -> Path:
    """The manifest database of a site folder, in the hub's ``.everyday/build/``."""
    name = hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:16]
    return settings.hub_dir / STATE_DIR / f"{name}.db"


def config_digest(settings: Settings, taxonomy: Taxonomy) -> str:
    """What every page depends on besides the records: a new digest rebuilds everything."""
    digest = hashlib.sha256()
    for part in (
        everyday.__version__,
        repr(settings.site),
        repr(settings.publish),
        repr(settings.storage),
        repr(taxonomy),
    ):
        digest.update(part.encode("utf-8") + b"\0")
    package = resources.files("everyday.publish")
    for folder in ("templates", "static"):
        for item in sorted((package / folder).iterdir(), key=lambda t: t.name):
            if item.is_file():
                digest.update(item.name.encode("utf-8") + b"\0" + item.read_bytes())
    return digest.hexdigest()


class CachedImages:
    """The hub's cached image copies: image URL -> site path, for records' cached images."""

    def __init__(self, local: dict[str, str], stems: dict[str, str], names: tuple[str, ...]):
        self.local = local
        self.stems = stems
        self.names = names

    @classmethod
    def of(
        cls,
        settings: Settings,
        catalog: Catalog,
        records: Records,
        state: BuildState,
        unchanged: bool = False,
    ) -> CachedImages:
        """Reuse the previous map unless the cache folder or a record's images changed.

        ``unchanged``: the folder is known not to have changed (see :func:`folder_key`).
        """
        folder = settings.path(settings.storage.assets_dir) / "cache"
        names = state.cache_files if unchanged else _file_names(folder)
        same = names == state.cache_files and bool(state.config)
        if same and _dropped_cached(records.changed, state.briefs, catalog.briefs):
            same = False  # a URL may have lost its last cached user: recount them all
        if same and not records.changed:
            return cls(state.local, state.stems, names)
        files = {name.rsplit(".", 1)[0] if "." in name else name: name for name in names}
        prefix = settings.storage.assets_dir.strip("/")
        stems: dict[str, str] = {}
        local: dict[str, str] = {}
        briefs: Iterable[Brief] = catalog.briefs.values()
        if same:  # only changed records can bring new URLs
            stems, local = dict(state.stems), dict(state.local)
            briefs = (catalog.briefs[p] for p in records.changed if p in catalog.briefs)
        for brief in briefs:
            for url in brief.cached:
                stem = stems[url] = state.stems.get(url) or cache_stem(url)
                name = files.get(stem)
                if name:
                    local[url] = f"{prefix}/cache/{name}"
        return cls(local, stems, names)


def _dropped_cached(
    changed: Iterable[str], old: Mapping[str, Brief], new: Mapping[str, Brief]
) -> bool:
    """Whether a changed record no longer lists a cached image URL it listed before."""
    for path in changed:
        before = old.get(path)
        if before is not None and before.cached:
            after = new.get(path)
            if after is None or not set(before.cached) <= set(after.cached):
                return True
    return False


def _file_names(folder: Path) -> tuple[str, ...]:
    try:
        with os.scandir(folder) as found:
            return tuple(sorted(e.name for e in found if e.is_file() and e.name[0] != "."))
    except (FileNotFoundError, NotADirectoryError):
        return ()


RACY_SECONDS = 2.0  # a folder changed this recently may change again within its mtime tick


def folder_key(folder: Path) -> tuple[int, int, int] | None:
    """What tells a folder's list of entries changed: (device, inode, mtime), or None when
    it cannot be trusted (missing, or modified so recently that another change could land
    in the same timestamp tick -- "racy", as git says of its index)."""
    try:
        st = os.stat(folder)
    except OSError:
        return None
    if time.time_ns() - st.st_mtime_ns < RACY_SECONDS * 1e9:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


def find_assets(
    settings: Settings, out: Output, before: dict[str, StatKey], cache_same: bool = False
) -> tuple[dict[str, StatKey], list[tuple[str, str]]]:
    """Provider logos and cached images to publish: (the stat keys of all, the (site path,
    file) pairs to copy); files gone since ``before`` are dropped from ``out``. Only files
    whose stat changed are copied.

    Cached images are named by a hash of their URL and replaced atomically (a rename, which
    changes the folder's mtime), so their inode stands for their content without a stat
    each, and with ``cache_same`` (the folder's key unchanged) the folder is not even
    listed; logos are stat'ed.
    """
    root = settings.path(settings.storage.assets_dir)
    prefix = settings.storage.assets_dir.strip("/")
    now: dict[str, StatKey] = {}
    copies: list[tuple[str, str]] = []
    if cache_same and before:
        cached = f"{prefix}/cache/"
        now.update((p, k) for p, k in before.items() if p.startswith(cached))
    for folder in ("organizations",) if cache_same and before else ("organizations", "cache"):
        try:
            found = sorted(os.scandir(root / folder), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for item in found:
            if item.name.startswith(".") or not item.is_file():
                continue
            site_path = f"{prefix}/{folder}/{item.name}"
            if folder == "cache":
                key: StatKey = (0, 0, item.inode())
            else:
                st = item.stat()
                key = (st.st_size, st.st_mtime_ns, st.st_ino)
            now[site_path] = key
            if before.get(site_path) != key:
                copies.append((site_path, item.path))
    for gone in set(before) - set(now):
        out.drop(gone)
    return now, copies


ASSET_CHUNK = 200  # files per copy job: big enough to be worth a job, small to share out


def copy_jobs(out: Output, copies: Sequence[tuple[str, str]]) -> list[Callable[[], None]]:
    """Jobs copying ``copies`` (from :func:`find_assets`) into ``out``, a chunk each."""
    return [
        functools.partial(_copy, out, copies[at : at + ASSET_CHUNK])
        for at in range(0, len(copies), ASSET_CHUNK)
    ]


def _copy(out: Output, copies: Sequence[tuple[str, str]]) -> None:
    for site_path, file in copies:
        try:
            data = Path(file).read_bytes()
        except OSError as e:
            raise PublishError(f"{file}: cannot read: {e}") from e
        out.write(site_path, data)
