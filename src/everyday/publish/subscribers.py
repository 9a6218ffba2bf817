"""Removing an address from a hub's ``subscribers.txt``, for every way to unsubscribe.

The one-click endpoint of ``everyday serve`` (:mod:`everyday.serve.unsubscribe`) and the
command that reads unsubscribe mails (``everyday newsletter-unsubscribe``) both call
:func:`remove_subscriber`; this module imports neither the server nor the CLI.

The address's lines are removed and every other byte is kept (comments, other
subscribers, line endings), with an atomic write under a lock file, so a worker of the
server and the command running at once lose nothing.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from ..errors import ConfigError, RecordError
from ..records.files import atomic_write
from .mail import SUBSCRIBERS_FILE
from .mail import parse_subscribers as parse_subscriber_lines

LOCK_FILE = ".everyday/subscribers.lock"


def without_address(text: str, address: str) -> tuple[str, int]:
    """``text`` of a subscriber list less every line of ``address``; and how many went.

    A line counts as the address's when :func:`everyday.publish.mail.parse_subscribers`
    reads that address from it (any case, ``Name <addr>``, trailing comment); every
    other line, comments and unreadable ones included, is kept byte for byte.
    """
    wanted = address.strip().lower()
    kept: list[str] = []
    removed = 0
    for line in text.splitlines(keepends=True):
        found = parse_subscriber_lines(line).addresses
        if found and found[0].lower() == wanted:
            removed += 1
        else:
            kept.append(line)
    return "".join(kept), removed


def read_list_text(hub_dir: Path) -> str:
    """The text of the hub's ``subscribers.txt``; ``""`` when there is none.

    Raises:
        ConfigError: the list is not UTF-8 text.
        RecordError: the list could not be read.
    """
    path = Path(hub_dir) / SUBSCRIBERS_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ""
    except OSError as e:
        raise RecordError(f"{path}: cannot read: {e}") from e
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text: {e}") from e


def remove_subscriber(hub_dir: Path, address: str) -> int:
    """Remove ``address`` from the hub's ``subscribers.txt``; return the lines removed.

    Idempotent: an address not on the list (or no list) removes nothing and writes
    nothing. The lock file is held for the read and the write, so concurrent removals
    from several workers or processes each see the other's result.

    Raises:
        ConfigError: the list is not UTF-8 text (it is left as it was).
        RecordError: the list could not be read or written (it is left as it was).
    """
    path = Path(hub_dir) / SUBSCRIBERS_FILE
    lock = Path(hub_dir) / LOCK_FILE
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        kept, removed = without_address(read_list_text(hub_dir), address)
        if removed:
            atomic_write(path, kept.encode("utf-8"))
        return removed
