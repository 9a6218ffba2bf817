"""``everyday newsletter-unsubscribe``: act on the mails the newsletter's mailto link sends.

Each issue's ``List-Unsubscribe`` header holds, beside the one-click HTTPS link that
``everyday serve`` answers, ``mailto:<unsubscribe_mailto>?subject=unsubscribe%20TOKEN``
(RFC 2369). A mail client or a mail provider's "Unsubscribe" button sends that mail; this
command reads the mailbox it arrives in (a Maildir folder or an mbox file) and removes
each sender whose token is right from ``subscribers.txt``.

The token is the proof, as for the HTTPS link: it is an HMAC of the recipient's address
under the hub secret, so a request counts only when it comes From the address the token
was made for. Anything else (no token, a token for another address, a forward, a message
that cannot be read) is reported and left in the mailbox for a person to look at.

Only a message's headers are read (at most :data:`MAX_HEAD_BYTES`), so a huge message or
binary junk costs nothing and stops nothing. Handled messages are removed from the
mailbox after their address left the list, so a crash in between leaves the message to be
handled again, which changes nothing more (removal is idempotent).
"""

from __future__ import annotations

import contextlib
import email.policy
import mailbox
import os
import re
import sys
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Protocol

import click

from ..errors import EverydayError
from ..publish.mail import SUBSCRIBERS_FILE, address_problem, hub_secret, is_valid_token
from ..publish.subscribers import read_list_text, remove_subscriber, without_address
from ..settings import load_settings
from . import EXIT_ATTENTION, cli
from .options import hub_option, resolve_hub
from .output import console

MAX_HEAD_BYTES = 64 * 1024
"""The most read of one message: its headers must end within it (the body is never read)."""

# "unsubscribe TOKEN" as the mailto link writes it; a reply or forward prefix is allowed
# (the sender check decides), any case, any whitespace (folded headers are unfolded).
_SUBJECT = re.compile(r"(?:(?:re|fwd?|aw|wg|tr)\s*:\s*)*unsubscribe\s+(\S+)", re.IGNORECASE)
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_SHOWN = 120  # characters of a sender or key taken from a message, in the output


class _Readable(Protocol):
    def read(self, size: int | None = ..., /) -> bytes: ...


class MailboxError(EverydayError):
    """The mailbox could not be locked, read or rewritten (nothing in it was lost)."""


class Refused(Exception):
    """A message that unsubscribes no one: why, and its sender when one could be read."""

    def __init__(self, reason: str, sender: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sender = sender


@dataclass(frozen=True)
class Request:
    """An unsubscribe mail whose token belongs to its sender."""

    sender: str
    token: str


# --------------------------------------------------------------------------- one message


def read_head(handle: _Readable, limit: int = MAX_HEAD_BYTES) -> bytes:
    """The header section of the message in ``handle``, reading at most ``limit`` bytes.

    Raises:
        Refused: the headers do not end within ``limit`` bytes.
    """
    data = handle.read(limit + 1)
    end = _HEAD_END.search(data)
    if end is not None:
        return data[: end.start()] + b"\n"
    if len(data) > limit:
        raise Refused(f"its headers are over {limit // 1024} KiB (not read)")
    return data  # a message without a body: all headers


def read_request(head: bytes, secret: bytes) -> Request:
    """The request in a message's headers: From its one address, Subject ``unsubscribe T``.

    RFC 2047 encoded words are decoded by the email package's default policy.

    Raises:
        Refused: no usable From, no token in the Subject, or a token for another address.
    """
    try:
        message = BytesHeaderParser(policy=email.policy.default).parsebytes(head)
        froms = message.get_all("From") or []
        addresses = [a.addr_spec for header in froms for a in getattr(header, "addresses", ())]
        subject = str(message.get("Subject", ""))
    except Exception as e:  # the header parser has raised IndexError, AttributeError and
        # others on crafted headers: any of them means this message cannot be read
        raise Refused(f"its headers cannot be parsed ({type(e).__name__})") from e
    if len(froms) > 1 or len(addresses) > 1:
        raise Refused(f"From holds {max(len(froms), len(addresses))} addresses, not one")
    if not addresses or not addresses[0]:
        raise Refused("no From address")
    sender = addresses[0]
    problem = address_problem(sender)
    if problem is not None:
        raise Refused(f"From is not a usable address: {problem}", _shown(sender))
    match = _SUBJECT.fullmatch(" ".join(subject.split()))
    if match is None:
        raise Refused("no unsubscribe token: the Subject is not 'unsubscribe TOKEN'", sender)
    token = match.group(1)
    if not is_valid_token(sender, token, secret):
        raise Refused(
            "the token is not this sender's (a forward, or a link made for another address)",
            sender,
        )
    return Request(sender, token)


def _request_in(box: mailbox.Mailbox, key: str, secret: bytes) -> Request:
    try:
        with contextlib.closing(box.get_file(key)) as handle:
            head = read_head(handle)
    except (KeyError, OSError) as e:
        raise Refused(f"the message cannot be read: {e}") from e
    return read_request(head, secret)


def _shown(text: str) -> str:
    """Text taken from a message, safe to print: no control characters, not too long."""
    safe = "".join(c if c.isprintable() else _escaped(c) for c in text)
    return safe if len(safe) <= _SHOWN else safe[: _SHOWN - 1] + "…"


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# --------------------------------------------------------------------------- the mailbox


def open_mailbox(path: Path) -> mailbox.Mailbox:
    """A Maildir (a folder with ``cur/`` and ``new/``) or an mbox file at ``path``.

    Raises:
        click.BadParameter: ``path`` is neither (exit code 2).
        MailboxError: the file cannot be opened.
    """
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            return mailbox.Maildir(path, factory=None, create=False)
        raise click.BadParameter(
            f"{path} is a folder but not a Maildir (no cur/ and new/ in it)", param_hint="MAILBOX"
        )
    try:
        with path.open("rb") as handle:
            start = handle.read(5)
        box = mailbox.mbox(path, create=False)
    except OSError as e:
        raise MailboxError(f"{path}: cannot open: {e}") from e
    # Text before the first "From " line belongs to no message, and rewriting the file
    # after a removal would drop it: such a file is refused whole.
    if start and start != b"From ":
        box.close()
        raise click.BadParameter(
            f"{path} is not an mbox file (it does not start with a 'From ' line)",
            param_hint="MAILBOX",
        )
    return box


def _label(box: mailbox.Mailbox, key: str) -> str:
    # An mbox's keys are ints from 0 in file order (typeshed says str); Maildir's file names.
    return f"#{int(key) + 1}" if isinstance(box, mailbox.mbox) else _shown(str(key))


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


@dataclass
class _Tally:
    handled: int = 0
    refused: int = 0
    lines: int = 0
    stuck: int = 0  # handled, but could not be removed from the mailbox


# --------------------------------------------------------------------------- the command


@cli.command("newsletter-unsubscribe")
@hub_option
@click.argument(
    "mailbox_path",
    metavar="MAILBOX",
    type=click.Path(exists=True, path_type=Path),
)
@click.option("--dry-run", is_flag=True, help="Change nothing; say what each message would do.")
@click.option("--keep", is_flag=True, help="Leave handled messages in the mailbox.")
def newsletter_unsubscribe(
    hub_dir: Path | None, mailbox_path: Path, dry_run: bool, keep: bool
) -> None:
    """Remove from subscribers.txt the senders of the newsletter's mailto unsubscribe mails.

    MAILBOX is where mail to [smtp] unsubscribe_mailto (or from_address) arrives: a
    Maildir folder or an mbox file. A message counts when its Subject is "unsubscribe
    TOKEN" and TOKEN was made for its From address (the link in the issue that address
    got); its lines leave subscribers.txt and it leaves the mailbox. Any other message is
    reported with its reason and stays (exit code 1). Needs the newsletter secret
    (EVERYDAY_NEWSLETTER_SECRET, see docs/newsletter.md).

    \b
    Examples:
        everyday newsletter-unsubscribe ~/Maildir/.unsubscribe
        everyday newsletter-unsubscribe /var/mail/unsubscribe --dry-run
        everyday newsletter-unsubscribe unsub.mbox --keep   # the mailbox stays as it is
    """
    hub = resolve_hub(hub_dir)
    secret = hub_secret(load_settings(hub).smtp, os.environ)  # the server's ConfigError
    box = open_mailbox(mailbox_path)
    changing = not dry_run and not keep
    tally = _Tally()
    try:
        if changing:
            _lock(box, mailbox_path)
        keys = sorted(box.keys())
        preview = read_list_text(hub) if dry_run else ""
        for key in keys:
            label = _label(box, key)
            try:
                request = _request_in(box, key, secret)
            except Refused as refusal:
                tally.refused += 1
                who = refusal.sender or "(no sender)"
                _say(f"{label} {who}: refused: {refusal.reason}")
                continue
            if dry_run:
                preview, removed = without_address(preview, request.sender)
            else:
                removed = remove_subscriber(hub, request.sender)
            tally.handled += 1
            tally.lines += removed
            _say(f"{label} {request.sender}: {_outcome(removed, dry_run)}")
            if changing:
                try:
                    box.remove(key)
                except (KeyError, OSError) as e:
                    tally.stuck += 1
                    _say(f"{label} {request.sender}: could not be removed from the mailbox: {e}")
        if changing:
            _flush(box, mailbox_path)
    finally:
        with contextlib.suppress(mailbox.Error, OSError):
            # Unlocks. After an error midway it also writes the removals made so far:
            # their addresses already left the list.
            box.close()
    _say(_summary(len(keys), tally, mailbox_path, dry_run=dry_run, keep=keep))
    if tally.refused or tally.stuck:
        sys.exit(EXIT_ATTENTION)


def _outcome(removed: int, dry_run: bool) -> str:
    if dry_run:
        if removed:
            return f"would unsubscribe ({_lines(removed)} would leave {SUBSCRIBERS_FILE})"
        return f"would be handled (not on {SUBSCRIBERS_FILE})"
    if removed:
        return f"unsubscribed ({_lines(removed)} removed from {SUBSCRIBERS_FILE})"
    return f"already unsubscribed (not on {SUBSCRIBERS_FILE})"


def _summary(total: int, tally: _Tally, path: Path, *, dry_run: bool, keep: bool) -> str:
    if total == 0:
        return f"no messages in {path}"
    parts = [f"{total} message{'' if total == 1 else 's'}: {tally.handled} handled"]
    verb = "would leave" if dry_run else "left"
    parts.append(f"{_lines(tally.lines)} {verb} {SUBSCRIBERS_FILE}")
    if tally.refused:
        parts.append(f"{tally.refused} refused (kept in the mailbox)")
    text = ", ".join(parts)
    if dry_run:
        return f"dry run: {text}; nothing was changed"
    if keep and tally.handled:
        return f"{text}; handled messages kept in the mailbox (--keep)"
    return text


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _lock(box: mailbox.Mailbox, path: Path) -> None:
    try:
        box.lock()
    except (mailbox.Error, OSError) as e:
        raise MailboxError(
            f"{path}: cannot lock it (is mail being delivered to it?): {e}; nothing was changed"
        ) from e


def _flush(box: mailbox.Mailbox, path: Path) -> None:
    try:
        box.flush()
    except (mailbox.Error, OSError) as e:
        raise MailboxError(
            f"{path}: the handled messages could not be removed from it: {e}. "
            "Nothing in it was lost; a second run handles them again and changes nothing more"
        ) from e
