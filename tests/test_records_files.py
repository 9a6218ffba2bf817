"""Atomic record writes and safe directory walks (everyday.records.files)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from everyday.errors import RecordError
from everyday.records.files import (
    atomic_write,
    cleanup_temp_files,
    is_temp_file,
    iter_record_files,
    read_record,
    write_record,
)
from everyday.records.frontmatter import parse_record
from records_samples import CURRENT


def test_atomic_write_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    assert atomic_write(target, "one\n") is True
    assert target.read_text() == "one\n"
    assert atomic_write(target, b"two\r\n") is True
    assert target.read_bytes() == b"two\r\n"  # bytes kept as given, no newline translation
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    atomic_write(target, "same ✓\n")
    os.utime(target, (1_000_000, 1_000_000))
    inode = target.stat().st_ino
    assert atomic_write(target, "same ✓\n") is False
    assert target.stat().st_mtime == 1_000_000
    assert target.stat().st_ino == inode
    assert atomic_write(target, "same ✓!\n") is True
    assert target.stat().st_mtime != 1_000_000


def test_mode_of_existing_file_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "a.md"
    target.write_text("x")
    target.chmod(0o640)
    atomic_write(target, "y")
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "b.md"
    atomic_write(fresh, "z")
    assert fresh.stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_original_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "a.md"
    with pytest.raises(RecordError, match="cannot write"):
        atomic_write(target, "x")
    blocker = tmp_path / "dir.md"  # a directory where the record should go: rename fails
    (blocker / "inside").mkdir(parents=True)
    with pytest.raises(RecordError, match="cannot write"):
        atomic_write(blocker, "x")
    assert (blocker / "inside").is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["dir.md"]  # temp file removed


def test_killed_writer_leaves_only_an_ignored_temp_file(tmp_path: Path) -> None:
    """A real process killed between fsync and rename: the record stays whole and old."""
    target = tmp_path / "2023-01-01-a.md"
    target.write_text(CURRENT)
    child = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from everyday.records import files
        os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL)
        files.atomic_write(Path({str(target)!r}), "half-new content")
        """
    )
    proc = subprocess.run([sys.executable, "-c", child], check=False, timeout=60)
    assert proc.returncode == -9
    assert target.read_text() == CURRENT
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert len(leftovers) == 1 and is_temp_file(leftovers[0])
    assert leftovers[0].read_text() == "half-new content"
    assert list(iter_record_files(tmp_path)) == [target]
    assert cleanup_temp_files(tmp_path, min_age_seconds=3600) == []  # too young: maybe live
    assert cleanup_temp_files(tmp_path) == leftovers
    assert sorted(tmp_path.iterdir()) == [target]


def test_iter_record_files_skips_non_records(tmp_path: Path) -> None:
    for name in ("2023-01-02-b.md", "2023-01-01-a.md", ".hidden.md", "notes.txt", "x.md.tmp"):
        (tmp_path / name).write_text("x")
    (tmp_path / ".tmp-2023-01-03-c.md.abc.tmp").write_text("x")
    (tmp_path / "dir.md").mkdir()
    assert [p.name for p in iter_record_files(tmp_path)] == ["2023-01-01-a.md", "2023-01-02-b.md"]
    assert list(iter_record_files(tmp_path / "absent")) == []
    assert cleanup_temp_files(tmp_path / "absent") == []


def test_write_and_read_record(tmp_path: Path) -> None:
    record = parse_record(CURRENT)
    news = tmp_path / "hub" / "_news"
    assert write_record(news, "2023-11-07-robots.md", record) is True
    assert (news / "2023-11-07-robots.md").read_text(encoding="utf-8") == CURRENT
    assert write_record(news, "2023-11-07-robots.md", record) is False
    assert read_record(news / "2023-11-07-robots.md") == record


@pytest.mark.parametrize("name", ["../x.md", "a/b.md", ".tmp-x.md", "x.txt", "x.md\x00"])
def test_write_record_refuses_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(RecordError):
        write_record(tmp_path, name, parse_record(CURRENT))
    assert list(tmp_path.iterdir()) == []


def test_read_record_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="cannot read"):
        read_record(tmp_path / "absent.md")
    bad = tmp_path / "latin1.md"
    bad.write_bytes(CURRENT.encode("utf-8").replace("—".encode(), b"\xe9"))
    with pytest.raises(RecordError, match="not UTF-8"):
        read_record(bad)
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [\n---\n\n")
    with pytest.raises(RecordError, match=str(broken)):
        read_record(broken)
