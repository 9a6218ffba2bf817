"""The build's only writer: atomic, skips unchanged bytes, and forgets what is no longer built.

Syncing a static site uploads what changed, so a file whose bytes did not change must keep
its mtime (``atomic_write`` leaves it alone). A manifest of the previous build (site-relative
path -> size and SHA-256) lets an unchanged file be recognised without reading it back, and
tells which files the previous build produced so that those no longer produced are removed.
Files the build never wrote (a CNAME, a hand-made page) are never touched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from everyday.errors import PublishError, RecordError
from everyday.records.files import TEMP_PREFIX, TEMP_SUFFIX, atomic_write

log = logging.getLogger(__name__)

MANIFEST = ".everyday-build.json"


@dataclass(frozen=True)
class BuildReport:
    """Site-relative paths a build wrote, left unchanged, and removed as stale."""

    written: frozenset[str]
    unchanged: frozenset[str]
    removed: frozenset[str]

    @property
    def changed(self) -> frozenset[str]:
        """Paths a sync must upload or delete."""
        return self.written | self.removed


def check_relative(path: str) -> str:
    """Return ``path`` if it is a plain site-relative POSIX path, else raise PublishError."""
    parts = PurePosixPath(path).parts
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(p in {"", ".", ".."} for p in parts)
        or path != "/".join(parts)
    ):
        raise PublishError(f"{path!r}: not a safe site-relative path")
    return path


def replace_file(target: Path, payload: bytes) -> bool:
    """Atomically replace ``target`` unless it holds ``payload``; True if written.

    Like :func:`everyday.records.files.atomic_write` (temp file + rename, so readers never
    see half a file) but without the two fsyncs per file: build output can be rebuilt after
    a crash, and fsync made a 10,000-record build 50x slower. ``Output(durable=True)`` uses
    ``atomic_write`` instead.
    """
    try:
        if target.stat().st_size == len(payload) and target.read_bytes() == payload:
            return False
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(
        dir=target.parent, prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return True


class Output:
    """Collects one build's files under ``root``; call :meth:`finish` once at the end."""

    def __init__(self, root: Path, manifest: str = MANIFEST, *, durable: bool = False) -> None:
        self.root = Path(root)
        self.durable = durable
        self.manifest_path = self.root / check_relative(manifest)
        self.previous = self._load_manifest()
        self.current: dict[str, tuple[int, str]] = {}
        self.written: set[str] = set()
        self.unchanged: set[str] = set()
        self._dirs: set[Path] = set()

    def write(self, path: str, data: str | bytes) -> bool:
        """Write one file unless it already holds ``data``; True if bytes were written."""
        check_relative(path)
        if path in self.current:
            raise PublishError(f"{path}: produced twice in one build")
        payload = data.encode("utf-8") if isinstance(data, str) else data
        digest = hashlib.sha256(payload).hexdigest()
        self.current[path] = (len(payload), digest)
        target = self.root / path
        if self._is_known(path, target, len(payload), digest):
            self.unchanged.add(path)
            return False
        try:
            if target.parent not in self._dirs:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(target.parent)
            changed = (
                atomic_write(target, payload) if self.durable else replace_file(target, payload)
            )
        except (OSError, RecordError) as e:
            raise PublishError(f"{target}: cannot write: {e}") from e
        (self.written if changed else self.unchanged).add(path)
        return changed

    def finish(self) -> BuildReport:
        """Remove files the previous build wrote but this one did not; save the manifest."""
        removed = set()
        for path in sorted(set(self.previous) - set(self.current)):
            target = self.root / path
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
                removed.add(path)
                self._prune(target.parent)
        body = json.dumps({p: list(v) for p, v in sorted(self.current.items())}, indent=0)
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            atomic_write(self.manifest_path, body + "\n")
        except RecordError as e:
            raise PublishError(f"{self.manifest_path}: cannot write: {e}") from e
        report = BuildReport(frozenset(self.written), frozenset(self.unchanged), frozenset(removed))
        log.info(
            "build output root=%s written=%d unchanged=%d removed=%d",
            self.root, len(report.written), len(report.unchanged), len(report.removed),
        )  # fmt: skip
        return report

    def _is_known(self, path: str, target: Path, size: int, digest: str) -> bool:
        # The manifest vouches for the bytes only if the file still has the recorded size.
        if self.previous.get(path) != (size, digest):
            return False
        try:
            return target.stat().st_size == size
        except OSError:
            return False

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

    def _load_manifest(self) -> dict[str, tuple[int, str]]:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            log.warning(
                "build manifest unreadable, rebuilding path=%s error=%s", self.manifest_path, e
            )
            return {}
        if not isinstance(data, dict):
            return {}
        known: dict[str, tuple[int, str]] = {}
        for path, value in data.items():
            if isinstance(value, list) and len(value) == 2:
                with contextlib.suppress(PublishError):
                    known[check_relative(path)] = (int(value[0]), str(value[1]))
        return known
