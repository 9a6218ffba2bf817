"""The build on several processes writes exactly what the build on one writes.

Big batches (record parsing, per-item JSON, article pages) are forked to workers; here the
batch threshold is lowered so a small hub takes those paths, and the folder is compared
byte for byte with a build that never forks. Needs ``fork`` and two CPUs.
"""

from __future__ import annotations

import functools
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from build_samples import cache_images, clusters_of, fill, make_hub, make_record, write_records
from everyday.build import WARM_STATES, build_hub
from everyday.errors import PublishError
from everyday.publish import parallel

NOW = datetime(2023, 1, 3, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two CPUs"
)


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.name != ".everyday-build.json"
    }


def count_forks(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the worker processes started (the threshold alone proves nothing)."""
    counts = {"_fork": 0, "_fork_map": 0}
    for name in counts:
        real = getattr(parallel, name)

        def counted(*args: object, _real=real, _name=name):  # type: ignore[no-untyped-def]
            counts[_name] += 1
            return _real(*args)

        monkeypatch.setattr(parallel, name, counted)
    return counts


@pytest.mark.parametrize(("paging", "cpus"), [("seed", 2), ("stable", 2), ("seed", 4)])
def test_forked_build_equals_sequential_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paging: str, cpus: int
) -> None:
    """On 2 CPUs the article pages go to one background worker while this process writes
    the rest; with more, per-item JSON is also split over workers."""
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    settings, taxonomy = make_hub(tmp_path / "hub", page_size=4, paging=paging)
    records = fill(settings, taxonomy, 60)
    cache_images(settings, records[:30])
    clusters = clusters_of(records)

    def build(out: Path, batch: int) -> None:
        monkeypatch.setattr(parallel, "MIN_BATCH", batch)
        WARM_STATES.clear()
        build_hub(settings, taxonomy, NOW, clusters=clusters, out_dir=out)

    forks = count_forks(monkeypatch)
    build(tmp_path / "forked", 2)
    assert forks["_fork_map"] >= 1  # records read on several processes
    assert forks["_fork"] == (1 if cpus == 2 else 3)  # article pages (+ 2 item JSON workers)
    build(tmp_path / "single", 10**9)
    assert tree(tmp_path / "forked") == tree(tmp_path / "single")
    write_records(settings, [make_record(61, taxonomy, is_published=True)])
    build(tmp_path / "forked", 2)  # incremental, on the forked folder
    build(tmp_path / "fresh", 10**9)
    assert tree(tmp_path / "forked") == tree(tmp_path / "fresh")
    assert parallel._busy == 0


def test_a_failing_build_stops_its_background_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, taxonomy = make_hub(tmp_path / "hub", page_size=4)
    fill(settings, taxonomy, 40)
    monkeypatch.setattr(parallel, "MIN_BATCH", 2)
    forks = count_forks(monkeypatch)

    def broken(*args: object, **kwargs: object) -> None:
        raise PublishError("disk full (simulated)")

    monkeypatch.setattr("everyday.build.write_api", broken)
    with pytest.raises(PublishError, match="disk full"):
        build_hub(settings, taxonomy, NOW, out_dir=tmp_path / "site")
    assert forks["_fork"] == 1 and parallel._busy == 0
    with pytest.raises(ChildProcessError):  # no worker left running or unreaped
        os.waitpid(-1, os.WNOHANG)
    monkeypatch.undo()
    WARM_STATES.clear()
    build_hub(settings, taxonomy, NOW, out_dir=tmp_path / "site")
    build_hub(settings, taxonomy, NOW, out_dir=tmp_path / "reference")
    assert tree(tmp_path / "site") == tree(tmp_path / "reference")


def test_background_work_is_shared_when_the_worker_is_slow(tmp_path: Path) -> None:
    """The worker takes chunks from the front, this process from the back once it joins:
    every item is rendered exactly once, and a slow worker does not hold the build up."""
    from everyday.publish import Output

    out = Output(tmp_path / "site", database=tmp_path / "state.db", sweep=False)
    parent = os.getpid()
    items = list(range(parallel.MIN_BATCH * 2))

    def render(n: int) -> None:
        if os.getpid() != parent:
            time.sleep(0.002)  # the worker is slow: this process must take over
        out.write(f"items/{n}.txt", f"{n} by {'parent' if os.getpid() == parent else 'worker'}")

    def job(n: int) -> None:
        out.write(f"jobs/{n}.txt", "parent" if os.getpid() == parent else "worker")

    jobs = [functools.partial(job, n) for n in range(5)]  # after the items: the parent's
    job = parallel.Background(out, items, render, jobs)
    assert job.child is not None
    job.join()
    out.finish()
    texts = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "site/items").iterdir()}
    assert sorted(texts) == sorted(f"{n}.txt" for n in items)
    by_parent = sum("parent" in t for t in texts.values())
    by_worker = len(texts) - by_parent
    assert by_worker > 0 and by_parent > len(items) // 2, (by_parent, by_worker)
    done = {p.name: p.read_text() for p in (tmp_path / "site/jobs").iterdir()}
    assert done == {f"{n}.txt": "parent" for n in range(5)}  # taken from the back first


def test_map_all_keeps_order_and_shares_out_a_slow_worker() -> None:
    parent = os.getpid()
    items = list(range(parallel.MIN_BATCH * 2))

    def work(n: int) -> tuple[int, bool]:
        time.sleep(0.001 if os.getpid() != parent else 0.00005)  # the worker: slower
        return n * n, os.getpid() == parent

    results = parallel.map_all(items, work)
    assert [r for r, _ in results] == [n * n for n in items]
    by_parent = sum(mine for _, mine in results)
    assert 0 < len(items) - by_parent < by_parent, by_parent


def test_map_all_reports_a_worker_that_died() -> None:
    parent = os.getpid()

    def work(n: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # killed mid-batch: what it claimed is lost
        time.sleep(0.00005)  # slow enough that the worker surely claims a chunk
        return n

    with pytest.raises(PublishError, match="worker died"):
        parallel.map_all(list(range(parallel.MIN_BATCH * 2)), work)


def test_map_all_reports_a_worker_that_raised() -> None:
    parent = os.getpid()

    def work(n: int) -> int:
        if os.getpid() != parent:
            raise ValueError(f"bad item {n}")  # against the contract: reported, not lost
        time.sleep(0.00005)  # slow enough that the worker surely claims a chunk
        return n

    with pytest.raises(PublishError, match="a worker failed: ValueError: bad item"):
        parallel.map_all(list(range(parallel.MIN_BATCH * 2)), work)


def test_map_all_streams_more_than_a_pipe_holds() -> None:
    """Results far bigger than the pipe's buffer: the worker blocks on a full pipe until
    this process reads it between its own chunks, and nothing is lost or reordered."""
    items = list(range(parallel.MIN_BATCH * 2))

    def work(n: int) -> str:
        return f"{n}:" + "x" * 4000  # ~12 MB in all, against a pipe of 1 MB at most

    results = parallel.map_all(items, work)
    assert [int(r.split(":", 1)[0]) for r in results] == items
    assert all(len(r) == len(f"{n}:") + 4000 for n, r in zip(items, results, strict=True))
