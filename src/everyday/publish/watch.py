"""Which record files changed since the last build, from the kernel (inotify), not a scan.

Stat-ing every record file costs about 0.2 s on a 100,000-record hub, a good part of an
incremental build. A process that builds again and again (``everyday run --every``) keeps
an inotify watch on the records folder instead: at the start of the next build the events
queued since the last one name the files to look at. The read is non-blocking and
complete up to that moment (the kernel queues an event when the change is made), so a
record written just before the build is never missed.

Whenever the watch cannot vouch for the folder -- its queue overflowed, the folder was
removed or moved, too many files changed to be worth it, inotify is unavailable -- it
answers None and the build scans every file as before.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WATCH_MIN = 5_000  # record files from which a kept build state watches its folder
MAX_NAMES = 2_000  # more changed names than this: scan instead


@functools.cache
def _inotify() -> tuple[Any, int, int] | None:
    """(INotify, events watched, events meaning the watch lost track), None off Linux.

    Imported on first use: inotify_simple loads ctypes, a few ms of every ``everyday``
    command, and a one-shot build of a fresh site never watches."""
    try:
        from inotify_simple import INotify, flags
    except (ImportError, OSError, AttributeError):  # not Linux: every build scans
        return None
    events = (
        flags.CREATE
        | flags.DELETE
        | flags.MODIFY
        | flags.ATTRIB
        | flags.CLOSE_WRITE
        | flags.MOVED_FROM
        | flags.MOVED_TO
        | flags.DELETE_SELF
        | flags.MOVE_SELF
    )
    lost = flags.Q_OVERFLOW | flags.IGNORED | flags.DELETE_SELF | flags.MOVE_SELF | flags.UNMOUNT
    return INotify, events | flags.ONLYDIR, lost


class RecordWatch:
    """An inotify watch on one records folder; :meth:`take` drains what it saw."""

    def __init__(self, folder: Path, inotify: Any, lost: int) -> None:
        self.folder = folder
        self._inotify: Any = inotify
        self._lost = lost

    @classmethod
    def start(cls, folder: Path) -> RecordWatch | None:
        """Watch ``folder`` from now on; None where inotify cannot (other systems, limits)."""
        api = _inotify()
        if api is None:
            return None
        make, events, lost = api
        try:
            inotify = make()
        except OSError as e:  # no inotify here, or max_user_instances reached
            log.info("no watch on the records folder, scanning it each build error=%s", e)
            return None
        try:
            inotify.add_watch(os.fspath(folder), events)
        except OSError as e:
            inotify.close()
            log.info("no watch on %s, scanning it each build error=%s", folder, e)
            return None
        return cls(folder, inotify, lost)

    @property
    def alive(self) -> bool:
        """Whether :meth:`take` can still answer."""
        return self._inotify is not None

    def take(self) -> set[str] | None:
        """File names changed since the last call (or :meth:`start`); None: scan instead.

        After None the watch is closed: a new one must be started before the next scan.
        """
        inotify = self._inotify
        if inotify is None:
            return None
        names: set[str] = set()
        try:
            while True:
                events = inotify.read(timeout=0)
                if not events:
                    return names
                for event in events:
                    if event.mask & self._lost:
                        log.info("records folder watch lost events mask=%#x", event.mask)
                        self.close()
                        return None
                    if event.name:
                        names.add(event.name)
                if len(names) > MAX_NAMES:
                    self.close()
                    return None
        except OSError as e:
            log.warning("records folder watch failed, scanning instead error=%s", e)
            self.close()
            return None

    def close(self) -> None:
        """Stop watching."""
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None

    def __del__(self) -> None:  # a dropped build state (failed build, evicted) closes it
        self.close()
