"""The records folder watch: names every change since the last take, or admits it cannot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from everyday.publish import watch as watch_module
from everyday.publish.watch import RecordWatch


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    news = tmp_path / "_news"
    news.mkdir()
    (news / "old.md").write_text("old", encoding="utf-8")
    (news / "gone.md").write_text("gone", encoding="utf-8")
    return news


def started(folder: Path) -> RecordWatch:
    watch = RecordWatch.start(folder)
    assert watch is not None, "inotify is available on the machines we test on"
    return watch


def test_every_kind_of_change_is_named_once_then_forgotten(folder: Path) -> None:
    watch = started(folder)
    assert watch.take() == set()
    (folder / "new.md").write_text("new", encoding="utf-8")  # created
    with (folder / "old.md").open("a", encoding="utf-8") as f:  # edited in place
        f.write(" more")
    (folder / "gone.md").unlink()  # deleted
    (folder / ".tmp-x.md").write_text("x", encoding="utf-8")
    os.replace(folder / ".tmp-x.md", folder / "moved.md")  # an atomic write
    assert watch.take() == {"new.md", "old.md", "gone.md", ".tmp-x.md", "moved.md"}
    assert watch.take() == set()
    os.utime(folder / "new.md", ns=(1, 1))  # touched: its stat key changes
    assert watch.take() == {"new.md"}
    watch.close()
    assert not watch.alive and watch.take() is None


def test_a_removed_folder_means_scan(folder: Path) -> None:
    watch = started(folder)
    for item in folder.iterdir():
        item.unlink()
    folder.rmdir()
    assert watch.take() is None and not watch.alive


def test_too_many_changes_mean_scan(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch_module, "MAX_NAMES", 10)
    watch = started(folder)
    for n in range(20):
        (folder / f"{n}.md").write_text("x", encoding="utf-8")
    assert watch.take() is None and not watch.alive


def test_a_queue_overflow_means_scan(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel drops events past its queue (16,384 by default): the watch says so."""
    monkeypatch.setattr(watch_module, "MAX_NAMES", 10**9)
    limit = int(Path("/proc/sys/fs/inotify/max_queued_events").read_text(encoding="ascii"))
    watch = started(folder)
    for n in range(limit // 2 + 10):  # create + modify + close per file
        (folder / f"{n}.md").write_bytes(b"x")
    assert watch.take() is None and not watch.alive


def test_a_missing_folder_cannot_be_watched(tmp_path: Path) -> None:
    assert RecordWatch.start(tmp_path / "nowhere") is None
