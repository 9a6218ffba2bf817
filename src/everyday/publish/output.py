"""The build's only writer: atomic, skips unchanged bytes, and forgets what is no longer built.

Syncing a static site uploads what changed, so a file whose bytes did not change must keep
its mtime (it is never rewritten). The manifest of the previous build
(:mod:`everyday.publish.manifest`) lets an unchanged file be recognised without reading it
back, and tells which files the previous build produced. A full build (``sweep=True``)
removes every previous file it did not produce again; an incremental build renders only
what changed and removes only the paths it was told to :meth:`Output.drop`. Files the build
never wrote (a CNAME, a hand-made page) are never touched.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from everyday.errors import PublishError, RecordError
from everyday.records.files import TEMP_PREFIX, TEMP_SUFFIX, atomic_write

from .manifest import UNKNOWN, DbManifest, JsonManifest, Row, check_relative

log = logging.getLogger(__name__)

MANIFEST = ".everyday-build.json"

__all__ = ["MANIFEST", "BuildReport", "Output", "PublishError", "check_relative", "replace_file"]


@dataclass(frozen=True)
class BuildReport:
    """Site-relative paths a build wrote, left unchanged, and removed as stale."""

    written: frozenset[str]
    removed: frozenset[str]
    unchanged_count: int
    _unchanged: Callable[[], frozenset[str]] = field(repr=False, compare=False)

    @functools.cached_property
    def unchanged(self) -> frozenset[str]:
        """Paths the build produced with the same bytes as before (listed on demand)."""
        return self._unchanged()

    @property
    def changed(self) -> frozenset[str]:
        """Paths a sync must upload or delete."""
        return self.written | self.removed


def replace_file(
    target: Path, payload: bytes, before_change: Callable[[], None] | None = None
) -> bool:
    """Atomically replace ``target`` unless it holds ``payload``; True if written.

    Like :func:`everyday.records.files.atomic_write` (temp file + rename, so readers never
    see half a file) but without the two fsyncs per file: build output can be rebuilt after
    a crash, and fsync made a 10,000-record build 50x slower. ``Output(durable=True)`` uses
    ``atomic_write`` instead. ``before_change`` runs once it is known that bytes change.

    A file that does not exist yet is created in place: no reader can hold an older
    version of it, and one directory operation instead of two (temp file, rename) is most
    of a from-scratch build's time on some file systems. A crash mid-write leaves the
    build token pending (:mod:`.manifest`), so the next build compares every file again.
    """
    try:
        st = target.stat()
    except FileNotFoundError:
        if before_change is not None:
            before_change()
        if _create(target, payload):
            return True
        st = target.stat()  # appeared meanwhile: replace it like any other
    if st.st_size == len(payload) and target.read_bytes() == payload:
        return False
    mode = stat.S_IMODE(st.st_mode)
    if before_change is not None:
        before_change()
    tmp = target.parent / f"{TEMP_PREFIX}{target.name}.{os.getpid()}{TEMP_SUFFIX}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(payload)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


class Output:
    """Collects one build's files under ``root``; call :meth:`finish` once at the end.

    Args:
        root: the site folder.
        manifest: name of the manifest (or, with ``database``, token) file in ``root``.
        durable: fsync every file (slow; build output can be rebuilt instead).
        database: keep the manifest in this SQLite file instead of ``root/manifest``.
        sweep: remove every previously built file not produced again (a full build);
            False removes only the paths passed to :meth:`drop` (an incremental build).
    """

    def __init__(
        self,
        root: Path,
        manifest: str = MANIFEST,
        *,
        durable: bool = False,
        database: Path | None = None,
        sweep: bool = True,
    ) -> None:
        self.root = Path(root)
        self.durable = durable
        self.sweep = sweep
        token = self.root / check_relative(manifest)
        self.manifest_path = database
        self.manifest: JsonManifest | DbManifest = (
            JsonManifest(token) if database is None else DbManifest(database, token)
        )
        if database is None and not sweep:
            raise PublishError("an incremental build needs a manifest database")
        if sweep:
            self.manifest.preload()
        self.current: dict[str, Row] = {}
        self.rows: dict[str, Row] = {}  # manifest rows that change
        self.written: set[str] = set()
        self.dropped: set[str] = set()
        self.texts: dict[tuple[str, str], tuple[int, str] | None] = {}  # see TextCache
        self.clear_texts = False
        self._root = str(self.root)
        self._dirs: set[str] = set()
        self._new_dirs: set[str] = set()  # made by this build: their files are all new

    def sweep_all(self) -> None:
        """Make this a full build: every previous file not produced again is removed."""
        self.sweep = True
        self.manifest.preload()

    def meta(self, key: str) -> bytes | None:
        """A state blob the previous build saved with :meth:`finish` (database only)."""
        return self.manifest.meta(key)

    def metas(self, prefix: str) -> dict[str, bytes]:
        """The state blobs whose keys start with ``prefix`` (database only)."""
        return self.manifest.metas(prefix)

    def is_known(self, path: str) -> bool:
        """Whether the previous build produced ``path`` (so keeping it needs no write)."""
        return self.manifest.get(path) is not None

    def write(self, path: str, data: str | bytes) -> bool:
        """Write one file unless it already holds ``data``; True if bytes were written."""
        check_relative(path)
        if path in self.current:
            raise PublishError(f"{path}: produced twice in one build")
        payload = data.encode("utf-8") if isinstance(data, str) else data
        size = len(payload)
        old = self.manifest.get(path)
        # A file this build creates gets no digest (UNKNOWN): hashing the 160 MB of a
        # from-scratch build of 10,000 records cost 0.1 s of CPU. The first build that
        # produces it again compares it on disk and saves its digest.
        known = old is not None and old[1] != UNKNOWN
        row = (size, UNKNOWN if old is None else hashlib.sha256(payload).hexdigest())
        self.current[path] = row
        target = f"{self._root}/{path}"  # strings, not Paths: a big build writes 10^5 files
        if known and old == row:
            if _has_size(target, size):
                return False
        elif old != row:
            self.rows[path] = row  # the manifest learns it even if the disk already had it
        try:
            parent = os.path.dirname(target)
            if parent not in self._dirs:
                self._ensure_dir(parent)
            if self.durable:
                self.manifest.mark_pending()
                changed = atomic_write(Path(target), payload)
            elif parent in self._new_dirs:  # a folder this build made holds nothing older
                self.manifest.mark_pending()
                changed = _create(target, payload) or replace_file(Path(target), payload)
            else:
                changed = replace_file(Path(target), payload, self.manifest.mark_pending)
        except (OSError, RecordError) as e:
            raise PublishError(f"{target}: cannot write: {e}") from e
        if changed:
            self.written.add(path)
        return changed

    def _ensure_dir(self, folder: str) -> None:
        """Make ``folder`` (and missing parents); remember which ones this build made."""
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        except FileNotFoundError:
            self._ensure_dir(os.path.dirname(folder))
            self._ensure_dir(folder)
            return
        else:
            self._new_dirs.add(folder)
        self._dirs.add(folder)

    def drop(self, path: str) -> None:
        """Remove ``path`` at :meth:`finish` unless this build produces it."""
        self.dropped.add(check_relative(path))

    def finish(self, meta: Mapping[str, bytes | None] | None = None) -> BuildReport:
        """Remove stale files, save the manifest (and ``meta`` blobs with it); report."""
        stale = self.manifest.all_paths() if self.sweep else self.dropped
        removed = set()
        for path in sorted(stale - set(self.current)):
            target = self.root / path
            if self.manifest.get(path) is None:
                continue  # never built by us: not ours to remove
            self.manifest.mark_pending()
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
                self._prune(target.parent)
            removed.add(path)
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest.save(self.rows, removed, meta or {}, self.texts, self.clear_texts)
        written = frozenset(self.written)
        gone = frozenset(removed)
        total = self.manifest.count()
        paths = self.manifest.reader()
        self.manifest.close()
        report = BuildReport(
            written, gone, total - len(written), lambda: frozenset(paths() - written)
        )
        log.info(
            "build output root=%s written=%d unchanged=%d removed=%d",
            self.root, len(written), report.unchanged_count, len(gone),
        )  # fmt: skip
        return report

    def _prune(self, directory: Path) -> None:
        """Remove directories emptied by stale-file removal, up to (not including) root."""
        root = self.root.resolve()
        current = directory.resolve()
        while current != root and root in current.parents:
            try:
                current.rmdir()
            except OSError:  # not empty (or already gone)
                return
            current = current.parent


def _create(target: Path | str, payload: bytes) -> bool:
    """Write a new file; False if it exists after all."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    try:
        try:
            view = memoryview(payload)
            while view:  # os.write may write less than asked (big files, signals)
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(target)
        raise
    return True


def _has_size(target: str, size: int) -> bool:
    # The manifest vouches for the bytes only if the file still has the recorded size.
    try:
        return os.stat(target).st_size == size
    except OSError:
        return False


TEXT_KINDS = ("item", "card", "lead")  # per-item API JSON, a card, a lead story's card
POINT_LOOKUPS = 2000  # kept texts looked up one by one (10 us each) before all are read


def forget_texts(out: Output, paths: Iterable[str]) -> None:
    """Drop the kept texts of records that are gone (or no longer readable)."""
    for path in paths:
        for kind in TEXT_KINDS:
            out.texts.setdefault((kind, path), None)


class TextCache:
    """Texts a build made for records (per-item API JSON, cards), kept for the next build.

    With the seed's paging one new article shifts every list page, and each page needs
    the texts of the records it lists: without this, every record of the hub would be
    parsed again to make them. A text is reused only for the same record version, in an
    incremental build, and when the caller knows nothing else it depends on changed. A
    full build (after a settings or template change, say) forgets every kept text and
    keeps none (it would slow every from-scratch build): the first incremental build
    after it makes them and keeps them.
    """

    def __init__(self, out: Output, kind: str, *, reuse: bool, keep: bool) -> None:
        self.out = out
        self.kind = kind
        self.reuse = reuse
        self.keep = keep and reuse
        self._old: dict[str, tuple[int, str]] | None = None
        self._asked = 0
        if keep and not reuse:
            out.clear_texts = True

    def get(self, path: str, version: int) -> str | None:
        """The kept text of ``path`` at ``version``, if any.

        The first :data:`POINT_LOOKUPS` are looked up one by one: a build after one new
        article asks for a few dozen, and reading all kept texts would cost 0.6 s at
        100,000 records. A build asking for more reads them all at once.
        """
        if not self.reuse:
            return None
        if self._old is not None:
            row = self._old.get(path)
        elif self._asked < POINT_LOOKUPS:
            self._asked += 1
            row = self.out.manifest.text(self.kind, path)
        else:
            self._old = self.out.manifest.texts(self.kind)
            row = self._old.get(path)
        return row[1] if row is not None and row[0] == version else None

    def put(self, path: str, version: int, text: str) -> None:
        """Keep a text made this build."""
        if self.keep:
            self.out.texts[(self.kind, path)] = (version, text)
