"""One pass at a time per hub: a lock file held with flock for the length of a pass."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import EverydayError


@contextmanager
def pass_lock(hub_dir: Path) -> Iterator[None]:
    """Hold the hub's pass lock: two passes at once would fetch and write everything twice.

    The kernel drops the lock when the process dies, so a killed pass never leaves it held.

    Raises:
        EverydayError: another pass holds the lock.
    """
    path = hub_dir / ".everyday" / "pass.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise EverydayError(f"another pass is running on this hub ({path} is locked)") from e
        yield
