"""Newsletter sending: subscribers, the MIME message and delivery to a real SMTP server.

The server is aiosmtpd's threaded ``Controller`` on 127.0.0.1: it speaks real SMTP, keeps
what it received, refuses some recipients and can require a login.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from everyday.cli import cli, newsletter  # noqa: F401  (registers the command)
from everyday.errors import ConfigError
from everyday.hub import init_hub
from everyday.publish.mail import (
    ONE_CLICK,
    MailError,
    SmtpSettings,
    address_problem,
    build_message,
    is_valid_token,
    parse_subscribers,
    read_subscribers,
    send,
    smtp_from_env,
    unsubscribe_token,
)
from everyday.publish.newsletter import Issue, render_issue, select_stories
from everyday.records.files import write_record
from publish_samples import HOSTILE, SITE, entry, make_record, related

DAY = date(2024, 1, 1)
NOW = datetime(2024, 1, 1, 19, 0, tzinfo=UTC)
SECRET = "an-unguessable-hub-secret"
ENV = {"EVERYDAY_NEWSLETTER_SECRET": SECRET, "EVERYDAY_SMTP_PASSWORD": "letmein"}


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps each delivered message and refuses some recipients."""

    refuse: set[str] = field(default_factory=set)
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server on 127.0.0.1 (no TLS, no login)."""
    handler = Inbox(refuse={"refused@example.net"})
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def smtp_for(port: int, **changes: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "timeout": 10.0,
        "from_address": "news@example.org",
    }
    values.update(changes)
    return SmtpSettings(**values)


def sample_issue() -> Issue:
    records = [
        make_record(1, related=(related(1), related(2), related(3))),
        make_record(2, title=HOSTILE),
        make_record(3),
    ]
    issue = render_issue(select_stories([entry(r) for r in records], DAY, site=SITE), DAY, SITE)
    assert issue is not None
    return issue


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


# --------------------------------------------------------------------------- subscribers


def test_subscribers_keep_valid_addresses_and_report_the_rest() -> None:
    text = (
        "# subscribers of the robots hub\n"
        "alice@example.org\n"
        "\n"
        "Bob Jones <bob@example.net>   # since 2024\n"
        "ALICE@example.org\n"
        "not an address\n"
        "carol@localhost\n"
        "dave+news@mail.example.co.uk\n"
        "eve@example.org\r\n"
        "bcc@example.org\nBcc: x@example.org\n"
    )
    subs = parse_subscribers(text)
    assert subs.addresses == (
        "alice@example.org",
        "bob@example.net",
        "dave+news@mail.example.co.uk",
        "eve@example.org",
        "bcc@example.org",
    )
    reasons = {p.line: p.reason for p in subs.problems}
    assert reasons[5] == "duplicate of line 2"
    assert set(reasons) == {5, 6, 7, 11}


@pytest.mark.parametrize(
    "address",
    ["", "a@b", "a b@example.org", "a@@example.org", ".a@example.org", "a@-x.org", "é@example.org"],
)
def test_bad_addresses_are_named(address: str) -> None:
    assert address_problem(address) is not None


def test_missing_subscriber_file_means_nobody(tmp_path: Path) -> None:
    assert read_subscribers(tmp_path).addresses == ()


# --------------------------------------------------------------------------- settings


def test_smtp_settings_from_mapping_and_environment() -> None:
    smtp = SmtpSettings.from_mapping({"host": "mail.example.org", "port": 25, "starttls": False})
    assert (smtp.host, smtp.port, smtp.starttls, smtp.timeout) == (
        "mail.example.org",
        25,
        False,
        30.0,
    )
    env = smtp_from_env({"EVERYDAY_SMTP_PORT": "2525", "EVERYDAY_SMTP_STARTTLS": "no", "PATH": "/"})
    assert (env.port, env.starttls) == (2525, False)
    with pytest.raises(ConfigError, match="unknown"):
        SmtpSettings.from_mapping({"hots": "x"})
    with pytest.raises(ConfigError, match="port"):
        SmtpSettings.from_mapping({"port": "many"})
    with pytest.raises(ConfigError, match="starttls"):
        SmtpSettings.from_mapping({"starttls": "maybe"})


# --------------------------------------------------------------------------- the message


def test_message_has_both_parts_and_one_click_unsubscribe_headers() -> None:
    issue = sample_issue()
    msg = build_message(issue, "reader@example.com", smtp_for(25), secret=SECRET.encode(), now=NOW)
    raw = msg.as_bytes()
    got = parse(raw)
    assert got.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    assert got["Subject"] == "Robots Every Day (2024-01-01)"
    assert got["To"] == "reader@example.com"
    assert got["From"].addresses[0].addr_spec == "news@example.org"
    assert got["List-Unsubscribe-Post"] == ONE_CLICK
    # Providers read List-Unsubscribe raw: it must not be folded into encoded words.
    header_line = next(ln for ln in raw.split(b"\r\n") if ln.startswith(b"List-Unsubscribe:"))
    assert b"=?" not in header_line
    mailto, https = re.findall(r"<([^>]+)>", got["List-Unsubscribe"])
    assert mailto.startswith("mailto:news@example.org?subject=unsubscribe")
    url = urlsplit(https)
    assert (url.scheme, url.netloc, url.path) == ("https", "www.example.org", "/robots/unsubscribe")
    query = parse_qs(url.query)
    assert query["address"] == ["reader@example.com"]
    assert is_valid_token("reader@example.com", query["token"][0], SECRET.encode())
    assert not is_valid_token("other@example.com", query["token"][0], SECRET.encode())
    html_part = got.get_body(("html",)).get_content()
    text_part = got.get_body(("plain",)).get_content()
    escaped = https.replace("&", "&amp;")
    assert f'href="{escaped}"' in html_part and 'href="#unsubscribe"' not in html_part
    assert text_part.rstrip().endswith(f"Unsubscribe: {https}")
    assert "<script>alert(1)</script>" in text_part  # plain text shows the title as it is
    assert "<script>" not in html_part


def test_message_id_is_stable_per_recipient_and_tokens_differ() -> None:
    issue = sample_issue()
    smtp = smtp_for(25)
    first = build_message(issue, "a@example.com", smtp, secret=SECRET.encode(), now=NOW)
    again = build_message(issue, "a@example.com", smtp, secret=SECRET.encode(), now=NOW)
    other = build_message(issue, "b@example.com", smtp, secret=SECRET.encode(), now=NOW)
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@example.org>")
    assert unsubscribe_token("A@Example.com", b"k" * 16) == unsubscribe_token(
        "a@example.com", b"k" * 16
    )
    assert unsubscribe_token("a@example.com", b"k" * 16) != unsubscribe_token(
        "a@example.com", b"j" * 16
    )


def test_custom_unsubscribe_endpoint_and_mailbox() -> None:
    smtp = smtp_for(
        25,
        unsubscribe_url="https://subs.example.org/u?list=robots",
        unsubscribe_mailto="leave@example.org",
    )
    msg = build_message(sample_issue(), "r@example.com", smtp, secret=SECRET.encode(), now=NOW)
    mailto, https = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
    assert mailto.startswith("mailto:leave@example.org?")
    assert https.startswith("https://subs.example.org/u?list=robots&token=")


def test_message_needs_a_sender_and_a_good_recipient() -> None:
    issue = sample_issue()
    with pytest.raises(ConfigError, match="from_address"):
        build_message(
            issue, "r@example.com", smtp_for(25, from_address=""), secret=b"x" * 16, now=NOW
        )
    with pytest.raises(ConfigError, match="recipient"):
        build_message(
            issue, "r@example.com\r\nBcc: x@y.org", smtp_for(25), secret=b"x" * 16, now=NOW
        )


# --------------------------------------------------------------------------- sending


def test_send_delivers_one_message_per_recipient_and_reports_refusals(
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    recipients = ["one@example.com", "refused@example.net", "two@example.com"]
    results = send(sample_issue(), recipients, smtp_for(port), env=ENV, now=NOW)
    assert [(d.address, d.ok) for d in results] == [
        ("one@example.com", True),
        ("refused@example.net", False),
        ("two@example.com", True),
    ]
    assert results[1].error is not None and results[1].error.startswith("550")
    assert [rcpts for _, rcpts, _ in handler.received] == [["one@example.com"], ["two@example.com"]]
    tokens = set()
    for mail_from, rcpts, raw in handler.received:
        msg = parse(raw)
        assert mail_from == "news@example.org"
        assert msg["To"] == rcpts[0]
        assert msg.get_content_type() == "multipart/alternative"
        assert msg["List-Unsubscribe-Post"] == ONE_CLICK
        token = parse_qs(urlsplit(re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])[1]).query)[
            "token"
        ][0]
        assert is_valid_token(rcpts[0], token, SECRET.encode())
        tokens.add(token)
        assert "Robot story number 1" in msg.get_body(("plain",)).get_content()
        assert "+3 more sources" in msg.get_body(("html",)).get_content()
    assert len(tokens) == 2


def test_send_needs_the_secret(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    with pytest.raises(ConfigError, match="EVERYDAY_NEWSLETTER_SECRET"):
        send(sample_issue(), ["a@example.com"], smtp_for(port), env={}, now=NOW)
    assert handler.received == []


def test_unreachable_server_is_a_mail_error() -> None:
    with pytest.raises(MailError, match="cannot connect"):
        send(sample_issue(), ["a@example.com"], smtp_for(free_port()), env=ENV, now=NOW)


def test_password_is_never_sent_in_clear_to_a_remote_host() -> None:
    smtp = smtp_for(25, host="smtp.example.org", username="news")
    with pytest.raises(ConfigError, match="in clear"):
        send(sample_issue(), ["a@example.com"], smtp, env=ENV, now=NOW)


class Login:
    """aiosmtpd authenticator accepting one user and password."""

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = auth_data.login == b"news" and auth_data.password == b"letmein"
        return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize(("password", "works"), [("letmein", True), ("wrong", False)])
def test_login_with_the_password_from_the_environment(password: str, works: bool) -> None:
    handler = Inbox()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=Login(),
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        smtp = smtp_for(controller.port, username="news")
        env = {**ENV, "EVERYDAY_SMTP_PASSWORD": password}
        if works:
            results = send(sample_issue(), ["a@example.com"], smtp, env=env, now=NOW)
            assert [d.ok for d in results] == [True] and len(handler.received) == 1
        else:
            with pytest.raises(MailError):
                send(sample_issue(), ["a@example.com"], smtp, env=env, now=NOW)
            assert handler.received == []
    finally:
        controller.stop()


# --------------------------------------------------------------------------- the command


def hub_with_stories(tmp_path: Path) -> Path:
    hub = init_hub(
        tmp_path / "hub",
        title="Robots Every Day",
        topic="Robots",
        url="https://www.example.org/robots",
    )
    for n in (1, 2):
        record = make_record(n)
        write_record(hub / "_news", entry(record).path.split("/", 1)[1], record)
    return hub


def test_cli_sends_to_subscribers_and_exits_1_on_a_refusal(
    tmp_path: Path, inbox: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, port = inbox
    hub = hub_with_stories(tmp_path)
    (hub / "subscribers.txt").write_text(
        "# readers\nann@example.com\nrefused@example.net\nnot-an-address\n", encoding="utf-8"
    )
    for key, value in {
        **ENV,
        "EVERYDAY_SMTP_HOST": "127.0.0.1",
        "EVERYDAY_SMTP_PORT": str(port),
        "EVERYDAY_SMTP_STARTTLS": "false",
        "EVERYDAY_SMTP_FROM_ADDRESS": "news@example.org",
    }.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(
        cli, ["newsletter", "--hub", str(hub), "--date", "2024-01-01", "--send"]
    )
    assert result.exit_code == 1, result.output
    assert "subscribers.txt:4: skipped 'not-an-address'" in result.output
    assert "not sent to refused@example.net: 550" in result.output
    assert "sent to 1 of 2 recipient(s)" in result.output
    assert [rcpts for _, rcpts, _ in handler.received] == [["ann@example.com"]]

    handler.received.clear()
    result = CliRunner().invoke(
        cli,
        [
            "newsletter",
            "--hub",
            str(hub),
            "--date",
            "2024-01-01",
            "--to",
            "me@example.com",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "would send to 1 recipient(s)" in result.output
    assert handler.received == []

    result = CliRunner().invoke(
        cli, ["newsletter", "--hub", str(hub), "--date", "2024-01-01", "--to", "me@example.com"]
    )
    assert result.exit_code == 0, result.output
    assert [rcpts for _, rcpts, _ in handler.received] == [["me@example.com"]]


def test_smtp_settings_replace_keeps_frozen() -> None:
    smtp = smtp_for(25)
    assert replace(smtp, port=2525).port == 2525
    with pytest.raises(AttributeError):
        smtp.port = 1  # type: ignore[misc]


def test_every_smtp_setting_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "newsletter.md").read_text(
        encoding="utf-8"
    )
    for f in fields(SmtpSettings):
        default = str(f.default).lower() if isinstance(f.default, bool) else str(f.default)
        assert f"| `{f.name}` | `{default or chr(34) * 2}` | {f.metadata['help']} |" in doc
