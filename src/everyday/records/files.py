"""Record files on disk: atomic writes that skip unchanged content, and safe directory walks.

A writer killed mid-write leaves ``.tmp-<name>.<random>.tmp`` beside the target. Such names
start with a dot (Jekyll skips dotfiles) and end in ``.tmp``, so :func:`iter_record_files`
never yields them and :func:`cleanup_temp_files` can remove them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from everyday.errors import RecordError
from everyday.models import Record
from everyday.records.frontmatter import parse_record
from everyday.records.layout import format_record

log = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".tmp"


def is_temp_file(path: Path) -> bool:
    """Whether ``path`` is a temporary file left by :func:`atomic_write`."""
    return path.name.startswith(TEMP_PREFIX) and path.name.endswith(TEMP_SUFFIX)


def _same_content(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:  # absent, or not a readable file: let the write report it
        return False


def _fsync_dir(directory: Path) -> None:
    # POSIX: the rename is durable only once the directory entry is flushed.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes) -> bool:
    """Replace ``path`` with ``data`` atomically; return False (file untouched) if unchanged.

    Args:
        path: target file; its directory must exist.
        data: text (written as UTF-8, no newline translation) or bytes.

    Returns:
        True if the file was written, False if it already held exactly ``data``.

    Raises:
        RecordError: the file could not be written (the OS error is chained).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if _same_content(path, payload):
        return False
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(
            dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.", suffix=TEMP_SUFFIX
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as e:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise RecordError(f"{path}: cannot write: {e}") from e
    _fsync_dir(path.parent)
    log.debug("record written path=%s bytes=%d", path, len(payload))
    return True


def _check_filename(filename: str) -> None:
    if (
        not filename.endswith(".md")
        or filename.startswith(".")
        or "/" in filename
        or "\\" in filename
        or "\x00" in filename
    ):
        raise RecordError(f"{filename!r}: not a record file name (want YYYY-MM-DD-slug.md)")


def write_record(news_dir: Path, filename: str, record: Record) -> bool:
    """Write ``record`` as ``news_dir/filename`` in canonical layout; False if unchanged."""
    _check_filename(filename)
    news_dir.mkdir(parents=True, exist_ok=True)
    return atomic_write(news_dir / filename, format_record(record))


def read_record(path: Path) -> Record:
    """Read and parse one record file.

    Raises:
        RecordError: unreadable, not UTF-8, or not in the seed format.
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise RecordError(f"{path}: cannot read: {e}") from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RecordError(f"{path}: not UTF-8: {e}") from e
    return parse_record(text, path=str(path))


def iter_record_files(directory: Path) -> Iterator[Path]:
    """Yield ``*.md`` files of ``directory`` in name order, skipping dotfiles and temp files."""
    if not directory.is_dir():
        return
    for path in sorted(directory.iterdir()):
        name = path.name
        if name.startswith(".") or not name.endswith(".md") or is_temp_file(path):
            continue
        if path.is_file():
            yield path


def cleanup_temp_files(directory: Path, *, min_age_seconds: float = 0.0) -> list[Path]:
    """Delete temp files left by killed writers; skip ones younger than ``min_age_seconds``.

    A positive age leaves alone the temp file of a writer that is still running.
    """
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    now = time.time()
    for path in sorted(directory.iterdir()):
        if not is_temp_file(path) or not path.is_file():
            continue
        try:
            if now - path.stat().st_mtime < min_age_seconds:
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
        log.info("temp file removed path=%s", path)
    return removed
