"""Killing ``everyday run`` with SIGKILL at any moment loses and duplicates nothing.

A real ``everyday run`` process collects from the newswire and is killed at several
points of its pass; the next runs finish the job. Afterwards every record file parses,
no article has two files, no temp file is left, and the index matches the files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from everyday.app import open_hub
from everyday.demo.newswire import Newswire
from everyday.records.check import check_tree
from everyday.records.files import is_temp_file, iter_record_files, read_record
from everyday.settings import load_settings

pytestmark = pytest.mark.slow


def start_run(hub_dir: Path, wire: Newswire) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EVERYDAY_FETCH_ALLOW_PRIVATE": "true",
        "EVERYDAY_FETCH_HOSTS": ",".join(wire.hosts),
        "EVERYDAY_FETCH_RETRIES": "0",
    }
    cmd = [sys.executable, "-m", "everyday", "run", "--hub", str(hub_dir), "--all", "--no-progress"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def count_files(hub_dir: Path) -> int:
    news = hub_dir / "_news"
    return sum(1 for _ in iter_record_files(news)) if news.is_dir() else 0


@pytest.mark.parametrize("kill_after_files", [0, 5, 25])
def test_sigkill_mid_pass_then_rerun(
    hub_dir: Path, newswire: Newswire, kill_after_files: int
) -> None:
    proc = start_run(hub_dir, newswire)
    deadline = time.monotonic() + 60
    while count_files(hub_dir) < kill_after_files and proc.poll() is None:
        assert time.monotonic() < deadline, "the pass never got going"
        time.sleep(0.005)
    if kill_after_files == 0:
        time.sleep(0.4)  # somewhere in start-up or polling
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stderr is not None
    proc.stderr.close()

    finished = start_run(hub_dir, newswire)
    _, err = finished.communicate(timeout=120)
    assert finished.returncode == 0, err.decode()

    news = hub_dir / "_news"
    assert check_tree(news) == []
    assert not [p for p in news.iterdir() if is_temp_file(p)]
    urls = [read_record(p).web_url for p in iter_record_files(news)]
    assert len(urls) == len(set(urls)), "an article was written twice"
    expected = {a.canonical_url for a in newswire.articles}
    assert len(expected & set(urls)) >= len(expected) - 6  # the truncated feed's tail may be lost
    with open_hub(hub_dir, load_settings(hub_dir)) as hub:
        assert hub.store.count_articles() == len(urls)
        assert {a.record.web_url for a in hub.store.get_articles()} == set(urls)
