"""``everyday newsletter-unsubscribe``: the mails the newsletter's mailto link sends.

The mails are made as a mail client makes them from the ``List-Unsubscribe`` header of a
real issue (mail.py's ``build_message``), delivered over SMTP to aiosmtpd's Maildir
handler on 127.0.0.1 or written into an mbox file with the standard library, and the
command runs on that mailbox.
"""

from __future__ import annotations

import mailbox
import re
import smtplib
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox as MaildirHandler
from click.testing import CliRunner, Result

from everyday.cli import cli
from everyday.cli.unsubscribe import MAX_HEAD_BYTES, Refused, read_head, read_request
from everyday.hub import init_hub
from everyday.publish.mail import (
    SUBSCRIBERS_FILE,
    SmtpSettings,
    build_message,
    read_subscribers,
    unsubscribe_token,
)
from everyday.publish.newsletter import UNSUBSCRIBE_PLACEHOLDER, Issue

SECRET = "an-unguessable-hub-secret"
ENV = {"EVERYDAY_NEWSLETTER_SECRET": SECRET}
LIST = (
    "# readers of the hub\r\n"
    "ada@example.org\r\n"
    "Reader One <reader@example.com>  # since 2024\n"
    "bob@example.net\n"
    "carol@example.org\n"
)
MAILBOX_ADDRESS = "unsubscribe@hub.example"


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["newsletter-unsubscribe", *args], env=env or ENV, catch_exceptions=False
    )


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    hub = init_hub(tmp_path / "hub", sources=[])
    (hub / SUBSCRIBERS_FILE).write_bytes(LIST.encode())
    return hub


def mailto_of(recipient: str) -> str:
    """The mailto URI of the List-Unsubscribe header of an issue sent to ``recipient``."""
    issue = Issue(
        day=date(2024, 1, 1),
        name="test-hub-2024-01-01",
        hub_title="Test Hub",
        hub_url="https://hub.example",
        title="Test Hub (2024-01-01)",
        excerpt="",
        published=datetime(2024, 1, 1, 19, tzinfo=UTC),
        web_url="https://hub.example/newsletter/test-hub-2024-01-01/",
        topic="AI",
        stories=(),
        html=f'<a href="{UNSUBSCRIBE_PLACEHOLDER}">unsubscribe</a>',
        text=f"unsubscribe: {UNSUBSCRIBE_PLACEHOLDER}",
    )
    smtp = SmtpSettings(from_address="news@hub.example", unsubscribe_mailto=MAILBOX_ADDRESS)
    msg = build_message(issue, recipient, smtp, secret=SECRET.encode(), now=issue.published)
    found = re.findall(r"<(mailto:[^>]+)>", msg["List-Unsubscribe"])
    assert len(found) == 1
    return found[0]


def client_mail(sender: str, mailto: str, subject: str | None = None) -> EmailMessage:
    """The mail a client sends for ``mailto`` (RFC 6068), From ``sender``."""
    parts = urlsplit(mailto)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = parts.path
    msg["Subject"] = parse_qs(parts.query)["subject"][0] if subject is None else subject
    msg.set_content("This message will unsubscribe you.\n")
    return msg


def token_mail(sender: str, token_for: str | None = None, **kw: str) -> EmailMessage:
    return client_mail(sender, mailto_of(token_for or sender), **kw)


def write_mbox(path: Path, messages: list[EmailMessage | bytes]) -> None:
    box = mailbox.mbox(path)
    for msg in messages:
        box.add(msg)
    box.close()


def mbox_senders(path: Path) -> list[str]:
    box = mailbox.mbox(path)
    try:
        return [str(box.get_message(key)["From"]) for key in box.iterkeys()]
    finally:
        box.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def maildir(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """An SMTP server on 127.0.0.1 that delivers every message to a Maildir folder."""
    folder = tmp_path / "Maildir"
    controller = Controller(MaildirHandler(folder), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield folder, controller.port
    finally:
        controller.stop()


# --------------------------------------------------------------------------- end to end


def test_a_mail_sent_over_smtp_to_a_maildir_unsubscribes_its_sender(
    hub: Path, maildir: tuple[Path, int]
) -> None:
    folder, port = maildir
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(token_mail("bob@example.net"))
        smtp.send_message(
            token_mail("Reader One <READER@example.com>", token_for="reader@example.com")
        )
    assert len(mailbox.Maildir(folder, create=False)) == 2

    result = invoke("--hub", str(hub), str(folder))

    assert result.exit_code == 0, result.output
    assert read_subscribers(hub).addresses == ("ada@example.org", "carol@example.org")
    # Only the two lines went: the comment and the CRLF endings are kept byte for byte.
    assert (hub / SUBSCRIBERS_FILE).read_bytes() == (
        b"# readers of the hub\r\nada@example.org\r\ncarol@example.org\n"
    )
    assert len(mailbox.Maildir(folder, create=False)) == 0
    assert "bob@example.net: unsubscribed (1 line removed" in result.output
    assert "2 messages: 2 handled, 2 lines left subscribers.txt" in result.output


def test_an_mbox_keeps_what_it_refuses_and_says_why(hub: Path, tmp_path: Path) -> None:
    path = tmp_path / "unsub.mbox"
    huge = token_mail("carol@example.org")
    huge["X-Padding"] = "x" * (MAX_HEAD_BYTES + 10)
    messages: list[EmailMessage | bytes] = [
        token_mail("ada@example.org", subject=None),
        token_mail("eve@example.com", token_for="carol@example.org"),  # carol's link, forwarded
        client_mail("carol@example.org", f"mailto:{MAILBOX_ADDRESS}", subject="please remove me"),
        huge,
        b"From: \x00\xff\xfe junk\n\n\x00\x01binary",
        token_mail(
            "bob@example.net",
            subject="Re: Fwd: unsubscribe " + unsubscribe_token("bob@example.net", SECRET.encode()),
        ),
    ]
    write_mbox(path, messages)

    result = invoke("--hub", str(hub), str(path))

    assert result.exit_code == 1, result.output  # refused messages need a person
    assert read_subscribers(hub).addresses == ("reader@example.com", "carol@example.org")
    kept = mbox_senders(path)
    assert kept == ["eve@example.com", "carol@example.org", "carol@example.org", kept[3]]
    assert "#2 eve@example.com: refused: the token is not this sender's" in result.output
    assert "#3 carol@example.org: refused: no unsubscribe token" in result.output
    assert "#4 (no sender): refused: its headers are over 64 KiB" in result.output
    assert "#5" in result.output and "refused" in result.output.split("#5", 1)[1]
    assert "6 messages: 2 handled, 2 lines left subscribers.txt, 4 refused" in result.output


def test_a_second_run_changes_nothing_more(hub: Path, tmp_path: Path) -> None:
    path = tmp_path / "unsub.mbox"
    write_mbox(path, [token_mail("bob@example.net")])
    assert invoke("--hub", str(hub), str(path)).exit_code == 0
    after = (hub / SUBSCRIBERS_FILE).read_bytes()
    write_mbox(path, [token_mail("bob@example.net")])  # sent twice by an impatient reader

    result = invoke("--hub", str(hub), str(path))

    assert result.exit_code == 0
    assert "already unsubscribed" in result.output
    assert (hub / SUBSCRIBERS_FILE).read_bytes() == after
    assert mbox_senders(path) == []


def test_dry_run_and_keep(hub: Path, tmp_path: Path) -> None:
    path = tmp_path / "unsub.mbox"
    write_mbox(path, [token_mail("bob@example.net"), token_mail("ada@example.org")])
    mbox_bytes = path.read_bytes()

    dry = invoke("--hub", str(hub), str(path), "--dry-run")
    assert dry.exit_code == 0
    assert "bob@example.net: would unsubscribe (1 line would leave" in dry.output
    assert "dry run:" in dry.output and "nothing was changed" in dry.output
    assert (hub / SUBSCRIBERS_FILE).read_bytes() == LIST.encode()
    assert path.read_bytes() == mbox_bytes

    kept = invoke("--hub", str(hub), str(path), "--keep")
    assert kept.exit_code == 0
    assert read_subscribers(hub).addresses == ("reader@example.com", "carol@example.org")
    assert path.read_bytes() == mbox_bytes
    assert "kept in the mailbox (--keep)" in kept.output


def test_an_encoded_subject_counts(hub: Path, tmp_path: Path) -> None:
    import base64

    token = unsubscribe_token("bob@example.net", SECRET.encode())
    words = base64.b64encode(f"UNSUBSCRIBE  {token}".encode()).decode()
    raw = f"From: bob@example.net\nTo: {MAILBOX_ADDRESS}\nSubject: =?utf-8?b?{words}?=\n\nbye\n"
    write_mbox(tmp_path / "m", [raw.encode()])
    assert invoke("--hub", str(hub), str(tmp_path / "m")).exit_code == 0
    assert "bob@example.net" not in read_subscribers(hub).addresses


# --------------------------------------------------------------------------- bad input


def test_a_folder_that_is_not_a_maildir_is_a_usage_error(hub: Path, tmp_path: Path) -> None:
    (tmp_path / "mail").mkdir()
    result = invoke("--hub", str(hub), str(tmp_path / "mail"))
    assert result.exit_code == 2 and "not a Maildir" in result.output


def test_a_file_that_is_not_an_mbox_is_refused_whole(hub: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"my notes\n\n" + bytes(token_mail("bob@example.net")))
    result = invoke("--hub", str(hub), str(path))
    assert result.exit_code == 2 and "not an mbox file" in result.output
    assert path.read_bytes().startswith(b"my notes\n")
    assert (hub / SUBSCRIBERS_FILE).read_bytes() == LIST.encode()


def test_without_the_secret_nothing_is_read(hub: Path, tmp_path: Path) -> None:
    path = tmp_path / "unsub.mbox"
    write_mbox(path, [token_mail("bob@example.net")])
    before = path.read_bytes()
    result = invoke("--hub", str(hub), str(path), env={"EVERYDAY_NEWSLETTER_SECRET": None})
    assert result.exit_code == 3, result.output
    assert path.read_bytes() == before
    assert (hub / SUBSCRIBERS_FILE).read_bytes() == LIST.encode()


def test_an_empty_mailbox_says_so(hub: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").write_bytes(b"")
    result = invoke("--hub", str(hub), str(tmp_path / "empty"))
    assert result.exit_code == 0 and "no messages in" in result.output


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"From: a@example.org, b@example.org\nSubject: unsubscribe x\n", "2 addresses"),
        (b"From: a@example.org\nFrom: b@example.org\nSubject: unsubscribe x\n", "2 addresses"),
        (b"Subject: unsubscribe x\n", "no From address"),
        (b"From: not an address\nSubject: unsubscribe x\n", "not a usable address"),
        (b"From: a@example.org\nSubject: unsubscribe\n", "no unsubscribe token"),
        (b"From: a@example.org\nSubject: unsubscribe forged\n", "not this sender's"),
    ],
)
def test_requests_that_prove_nothing_are_refused(head: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        read_request(head, SECRET.encode())


def test_a_hostile_sender_is_printed_escaped(hub: Path, tmp_path: Path) -> None:
    head = b'From: "x\x1b[31m" <eve\x1b]0;pwn\x07@example.com>\nSubject: unsubscribe t\n\n'
    path = tmp_path / "m"
    path.write_bytes(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + head)
    result = invoke("--hub", str(hub), str(path))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_read_head_stops_at_the_blank_line_and_the_limit() -> None:
    import io

    assert read_head(io.BytesIO(b"A: 1\r\nB: 2\r\n\r\nbody")) == b"A: 1\r\nB: 2\n"
    with pytest.raises(Refused, match="over"):
        read_head(io.BytesIO(b"A: " + b"x" * 100), limit=50)
