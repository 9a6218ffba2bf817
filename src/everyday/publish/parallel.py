"""Render big batches of independent pages on every CPU (article pages, per-item JSON).

A from-scratch build of a big hub spends most of its time rendering one page per record.
Those pages depend only on the catalog the build already holds, so the batch is split
over forked worker processes (copy-on-write: nothing is pickled on the way in). Each worker
writes its files through its copy of the :class:`~.output.Output` and sends back the rows
of what it wrote (and, optionally, the texts it encoded, so the lists need not encode them
again); the parent merges them. Small batches (incremental builds), platforms without
``fork`` and processes running other threads (forking those is unsafe) stay sequential.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from typing import Any, TypeVar

from everyday.errors import PublishError

from .output import Output

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
MIN_BATCH = 1500  # below this, forking costs more than it saves
MAX_WORKERS = 4


_busy = 0  # CPUs taken by running :class:`Background` workers


def workers_for(count: int) -> int:
    """How many processes to use for ``count`` pages (1 = do it here)."""
    if count < MIN_BATCH or not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    cpus = (os.cpu_count() or 1) - _busy
    return max(1, min(MAX_WORKERS, cpus, count // (MIN_BATCH // 2)))


def render_all(
    out: Output,
    items: Sequence[T],
    render: Callable[[T], None],
    memo: MutableMapping[str, str] | None = None,
) -> None:
    """Call ``render(item)`` for every item, on several processes for big batches.

    ``memo`` is a cache ``render`` fills (path -> text); entries made in workers are
    copied back.
    """
    count = workers_for(len(items))
    if count == 1:
        for item in items:
            render(item)
        return
    out.manifest.mark_pending()  # before forking: every process may change files
    out.manifest.preload()  # and workers look rows up in memory, not through a shared connection
    children = [_fork(out, items[n::count], render, memo) for n in range(1, count)]
    for item in items[0::count]:
        render(item)
    for child in children:
        _merge(out, memo, *_collect(child))
    log.debug("rendered in parallel pages=%d workers=%d", len(items), count)


def _spawn(
    job: Callable[[int], None], failure: Callable[[str], bytes], *, pipe_size: int = 0
) -> tuple[int, int]:
    """Fork a worker that runs ``job(fd)``, which writes what it sends back to ``fd``.

    Returns (pid, read end). The worker leaves with ``os._exit`` (no cleanups of the
    parent's objects run twice); an exception is sent as ``failure(message)`` for the
    parent to raise. ``pipe_size``: room in the pipe (Linux), so a worker that sends as it
    goes seldom waits for the reader.
    """
    read, write = os.pipe()
    if pipe_size:
        import fcntl  # POSIX, as fork is

        with contextlib.suppress(OSError, AttributeError):  # a default pipe works too
            fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, pipe_size)
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    os.close(read)
    code = 0
    try:
        job(write)
    except BaseException as e:
        code = 1
        with contextlib.suppress(BaseException):
            _send_all(write, failure(f"{type(e).__name__}: {e}"))
    finally:
        os._exit(code)


def _send_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # os.write may write less than asked
        view = view[os.write(fd, view) :]


def _collect(child: tuple[int, int]) -> tuple[bytes, int]:
    """A worker's bytes and exit status (waits for it)."""
    pid, fd = child
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    return data, status


def _fork(
    out: Output, shard: Iterable[T], render: Callable[[T], None], memo: Any
) -> tuple[int, int]:
    """A worker rendering ``shard`` through its copy of ``out`` (see :func:`_merge`)."""

    def job(fd: int) -> None:
        out.current, out.rows, out.written = {}, {}, set()
        before = set(memo) if memo is not None else set()
        for item in shard:
            render(item)
        made = {k: v for k, v in memo.items() if k not in before} if memo is not None else {}
        _send_all(fd, marshal.dumps((out.current, out.rows, sorted(out.written), made, "")))

    return _spawn(job, lambda error: marshal.dumps(({}, {}, [], {}, error)))


def _merge(out: Output, memo: Any, data: bytes, status: int) -> None:
    try:
        current, rows, written, made, error = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as e:
        raise PublishError(f"a render worker died (status {status})") from e
    if error:
        raise PublishError(f"a render worker failed: {error}")
    twice = set(current) & set(out.current)
    if twice:
        raise PublishError(f"{sorted(twice)[0]}: produced twice in one build")
    out.current.update(current)
    out.rows.update(rows)
    out.written.update(written)
    if memo is not None:
        memo.update(made)


def map_all(items: Sequence[T], work: Callable[[T], R]) -> list[R]:
    """``[work(x) for x in items]``, on several processes for big batches (same order).

    ``work`` must not raise: it returns its failures as values. Every process takes
    chunks from one shared counter until none are left, so a slower process (a worker
    also pickles what it made) simply takes fewer. A worker sends each chunk's results
    as soon as they are made, and this process takes them in between its own chunks, so
    little is left to unpickle at the end. Results must be picklable (records and entries
    are).
    """
    count = workers_for(len(items))
    if count == 1:
        return [work(item) for item in items]
    split = _Split(len(items))
    streams = [_Stream(*_fork_map(items, split, work)) for _ in range(1, count)]
    merged: list[Any] = [_MISSING] * len(items)
    try:
        for claimed in split.chunks():
            merged[claimed.start : claimed.stop] = [work(items[at]) for at in claimed]
            for stream in streams:
                stream.take(merged, wait=False)
        for stream in streams:
            stream.take(merged, wait=True)
    finally:
        for stream in streams:
            stream.close()
    if any(result is _MISSING for result in merged):  # a worker lost what it had claimed
        raise PublishError("a worker died before it finished its share")
    return merged


_MISSING = object()
_PIPE_SIZE = 1 << 20  # room for ~25 chunks of records: a worker seldom waits for a reader


class _Stream:
    """The frames a map worker sends as it goes: (start, results) of a chunk, pickled and
    prefixed by their length; (-1, message) when it failed."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid: int | None = pid
        self.fd: int | None = fd
        self.buffer = bytearray()
        os.set_blocking(fd, False)

    def take(self, merged: list[Any], *, wait: bool) -> None:
        """Put the results received so far into ``merged``; with ``wait``, all of them
        (the worker has ended)."""
        fd = self.fd
        if fd is None:
            return
        if wait:
            os.set_blocking(fd, True)
        while True:
            try:
                data = os.read(fd, _PIPE_SIZE)
            except BlockingIOError:
                break
            if not data:
                break
            self.buffer += data
        self._frames(merged)
        if wait:
            status = self._end()
            if self.buffer:
                raise PublishError(f"a worker died mid-message (status {status})")

    def _frames(self, merged: list[Any]) -> None:
        buffer, at = self.buffer, 0
        while len(buffer) - at >= 4:
            size = int.from_bytes(buffer[at : at + 4], "little")
            if len(buffer) - at - 4 < size:
                break
            try:
                start, results = pickle.loads(buffer[at + 4 : at + 4 + size])
            except (EOFError, ValueError, TypeError, pickle.UnpicklingError) as e:
                raise PublishError("a worker sent a broken message") from e
            if start < 0:
                raise PublishError(f"a worker failed: {results}")
            merged[start : start + len(results)] = results
            at += 4 + size
        del buffer[:at]

    def _end(self) -> int:
        """Close the pipe and reap the worker; its exit status."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.pid is None:
            return 0
        _, status = os.waitpid(self.pid, 0)
        self.pid = None
        return status

    def close(self) -> None:
        """Stop a worker still running (this process failed) and reap it."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self._end()


def _fork_map(items: Sequence[T], split: _Split, work: Callable[[T], R]) -> tuple[int, int]:
    """A worker computing ``work`` over the chunks it claims from ``split``, sending each
    chunk's results as soon as they are made (see :class:`_Stream`)."""

    def job(fd: int) -> None:
        for claimed in split.chunks():
            done = [work(items[at]) for at in claimed]
            _send_all(fd, _frame(pickle.dumps((claimed.start, done), pickle.HIGHEST_PROTOCOL)))

    return _spawn(job, lambda error: _frame(pickle.dumps((-1, error))), pipe_size=_PIPE_SIZE)


def _frame(payload: bytes) -> bytes:
    """A message of a :class:`_Stream`: its length, then itself."""
    return len(payload).to_bytes(4, "little") + payload


class Background:
    """Render ``items`` in one forked process while this one does other work; :meth:`join`.

    A from-scratch build renders its article pages this way while the main process writes
    the API and the site's lists, so both CPUs are busy through the whole build. The two
    share the batch: the worker takes chunks from its front, and the main process, once
    done with its own work, takes chunks from the back at :meth:`join`, so neither waits
    idle for the other. ``jobs`` (functions made before the fork, e.g. the feeds) come
    after the items: whichever process gets there first runs them. Small batches (or no
    fork) are rendered at :meth:`join`, here.
    """

    def __init__(
        self,
        out: Output,
        items: Sequence[T],
        render: Callable[[T], None],
        jobs: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.out = out
        self.render: Callable[[Any], None] = render
        self.items: Sequence[Any] = items
        self.jobs = jobs
        self.child: tuple[int, int] | None = None
        self.split: _Split | None = None
        self.count = 0
        if workers_for(len(items)) > 1:
            global _busy
            out.manifest.mark_pending()  # before forking: both processes change files
            out.manifest.preload()  # rows in memory: no SQLite connection used across fork
            self.split = _Split(len(items) + len(jobs))
            self.child = _fork(out, self.split.take(front=True), self._do, None)
            self.count = len(items)
            _busy += 1

    def _do(self, at: int) -> None:
        if at < len(self.items):
            self.render(self.items[at])
        else:
            self.jobs[at - len(self.items)]()

    def join(self) -> None:
        """Run what the worker has not taken yet, then take in what it wrote."""
        if self.split is None:
            for item in self.items:
                self.render(item)
            for job in self.jobs:
                job()
            return
        for at in self.split.take(front=False):
            self._do(at)
        if self.child is not None:
            global _busy
            child, self.child = self.child, None
            _busy -= 1
            _merge(self.out, None, *_collect(child))
            log.debug("rendered in the background pages=%d", self.count)

    def abort(self) -> None:
        """Stop the worker (the build failed elsewhere); files it wrote are found stale by
        the next build, which compares every file since the manifest is marked pending."""
        if self.child is not None:
            global _busy
            pid, fd = self.child
            self.child = None
            _busy -= 1
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)


class _Split:
    """A batch of ``count`` positions two processes share: one takes chunks from the
    front, the other from the back, through two counters in shared memory, until they
    meet."""

    CHUNK = 32
    WAIT = 10.0  # seconds: a worker that died holding the lock must not hang the build

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self.bounds = context.RawArray("q", [0, count])
        self.lock = context.Lock()

    def take(self, *, front: bool) -> Iterator[int]:
        """Positions claimed chunk by chunk from one end (lazily: the worker iterates it)."""
        for claimed in self.chunks(front=front):
            yield from (claimed if front else reversed(claimed))

    def chunks(self, *, front: bool = True) -> Iterator[range]:
        """The chunks claimed from one end, one at a time, until none is left."""
        while True:
            claimed = self._claim(front)
            if not claimed:
                return
            yield claimed

    def _claim(self, front: bool) -> range:
        if not self.lock.acquire(timeout=self.WAIT):
            return range(0)  # the other side is gone: what it had is reported by _merge
        try:
            low, high = self.bounds[0], self.bounds[1]
            size = min(self.CHUNK, high - low)
            if size <= 0:
                return range(0)
            if front:
                self.bounds[0] = low + size
                return range(low, low + size)
            self.bounds[1] = high - size
            return range(high - size, high)
        finally:
            self.lock.release()
