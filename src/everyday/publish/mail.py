"""Sending the daily newsletter: subscribers, one MIME message per recipient, and SMTP.

Each recipient gets their own message (so their own unsubscribe link) with a plain-text
and an HTML part, ``List-Unsubscribe`` (RFC 2369: a mailto and an HTTPS URL) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058). The unsubscribe token is
an HMAC of the address under a hub secret, so the endpoint that receives the one-click
POST can check it without a database (:func:`is_valid_token`). RFC 8058 §4 also wants a
DKIM signature covering both headers; that is the sending server's job.

A recipient the server refuses is reported and the others still get the issue; only a
failure to connect or log in stops the run (nothing could be sent).
"""

from __future__ import annotations

import base64
import contextlib
import email.policy
import hashlib
import hmac
import html
import ipaddress
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from everyday.errors import ConfigError
from everyday.settings import SmtpSettings

from .newsletter import UNSUBSCRIBE_PLACEHOLDER, Issue
from .output import PublishError

log = logging.getLogger(__name__)

SUBSCRIBERS_FILE = "subscribers.txt"
ONE_CLICK = "List-Unsubscribe=One-Click"
MIN_SECRET_LENGTH = 16
# Headers are written unfolded up to 998 characters (RFC 5322 §2.1.1): folding a long
# List-Unsubscribe at 78 would turn it into encoded words, which mail providers ignore.
# The bodies are encoded before this policy is set, so their lines stay at 76.
_WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_COMMENT = re.compile(r"\s+#")  # "a@b.org  # since 2024"; '#' inside an address is legal
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


class MailError(PublishError):
    """The SMTP server could not be reached or refused our login (proposed for errors.py)."""


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def smtp_from_env(env: Mapping[str, str], prefix: str = "EVERYDAY_SMTP_") -> SmtpSettings:
    """SMTP settings from ``EVERYDAY_SMTP_<NAME>`` variables (until everyday.toml has them)."""
    names = {f.name for f in fields(SmtpSettings)}
    data = {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}
    return SmtpSettings.from_mapping({k: v for k, v in data.items() if k in names})


def hub_secret(smtp: SmtpSettings, env: Mapping[str, str]) -> bytes:
    """The secret that signs unsubscribe tokens, from the environment.

    Raises:
        ConfigError: the variable is unset or shorter than 16 characters.
    """
    secret = env.get(smtp.secret_env, "")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{smtp.secret_env}: set it to a random secret of {MIN_SECRET_LENGTH}+ characters "
            "(it signs unsubscribe links)"
        )
    return secret.encode("utf-8")


# --------------------------------------------------------------------------- subscribers


@dataclass(frozen=True)
class Problem:
    """A subscriber line that is not used, and why."""

    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class Subscribers:
    """Valid addresses in file order (first of duplicates kept) and the lines left out."""

    addresses: tuple[str, ...]
    problems: tuple[Problem, ...] = ()


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot receive the newsletter, or None if it looks deliverable."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in address):
        return "contains spaces or control characters"
    if not address.isascii():
        return "non-ASCII addresses are not supported (SMTPUTF8)"
    if len(address) > 254 or address.count("@") != 1:
        return "not an address (want name@example.org)"
    local, domain = address.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local) or ".." in local:
        return "bad part before @"
    if local.startswith(".") or local.endswith("."):
        return "bad part before @"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "bad domain"
    return None


def parse_subscribers(text: str) -> Subscribers:
    """Addresses of a subscriber list: one per line (``Name <addr>`` allowed), ``#`` comments."""
    addresses: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _COMMENT.split(raw.strip(), 1)[0]
        if not line or line.startswith("#"):
            continue
        _name, address = parseaddr(line)
        plain = line == address or line.endswith(f"<{address}>")  # "a@b.org" or "Name <a@b.org>"
        reason = address_problem(address) if address and plain else "not an address"
        if reason is None and address.lower() in seen:
            reason = f"duplicate of line {seen[address.lower()]}"
        if reason is not None:
            problems.append(Problem(number, raw.strip(), reason))
            continue
        seen[address.lower()] = number
        addresses.append(address)
    return Subscribers(tuple(addresses), tuple(problems))


def read_subscribers(hub_dir: Path) -> Subscribers:
    """Read ``subscribers.txt`` of a hub; a missing file means no subscribers.

    Raises:
        ConfigError: the file exists but cannot be read as UTF-8 text.
    """
    path = Path(hub_dir) / SUBSCRIBERS_FILE
    try:
        return parse_subscribers(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Subscribers(())
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e


# --------------------------------------------------------------------------- messages


def unsubscribe_token(address: str, secret: bytes) -> str:
    """HMAC-SHA256 of the lowercased address, URL-safe base64 without padding."""
    digest = hmac.new(secret, address.strip().lower().encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_valid_token(address: str, token: str, secret: bytes) -> bool:
    """Whether ``token`` unsubscribes ``address`` (constant-time comparison)."""
    return hmac.compare_digest(unsubscribe_token(address, secret), token)


def unsubscribe_urls(
    issue: Issue, recipient: str, smtp: SmtpSettings, secret: bytes
) -> tuple[str, str]:
    """The recipient's (HTTPS, mailto) unsubscribe URLs."""
    token = unsubscribe_token(recipient, secret)
    base = smtp.unsubscribe_url or f"{issue.hub_url}/unsubscribe"
    query = urlencode({"token": token, "address": recipient})
    https = f"{base}{'&' if '?' in base else '?'}{query}"
    mailbox = smtp.unsubscribe_mailto or smtp.from_address
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}"
    return https, mailto


def build_message(
    issue: Issue, recipient: str, smtp: SmtpSettings, *, secret: bytes, now: datetime
) -> EmailMessage:
    """One recipient's copy of the issue: text + HTML alternatives and the list headers.

    Raises:
        ConfigError: no ``from_address``, or a bad recipient address.
    """
    if address_problem(smtp.from_address) is not None:
        raise ConfigError(f"[smtp] from_address: {smtp.from_address!r} is not an address")
    problem = address_problem(recipient)
    if problem is not None:
        raise ConfigError(f"recipient {recipient!r}: {problem}")
    https, mailto = unsubscribe_urls(issue, recipient, smtp, secret)
    domain = smtp.from_address.rsplit("@", 1)[1]
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = formataddr((issue.hub_title, smtp.from_address))
    msg["To"] = recipient
    msg["Subject"] = issue.title
    msg["Date"] = format_datetime(now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC))
    msg["Message-ID"] = f"<{issue.name}.{_message_key(issue, recipient, secret)}@{domain}>"
    msg["List-Id"] = formataddr(
        (issue.hub_title, f"{issue.name.removesuffix('-' + issue.day.isoformat())}.{domain}")
    )
    msg["List-Unsubscribe"] = f"<{mailto}>, <{https}>"
    msg["List-Unsubscribe-Post"] = ONE_CLICK
    msg.set_content(_put_last(issue.text, UNSUBSCRIBE_PLACEHOLDER, https))
    href = f'href="{UNSUBSCRIBE_PLACEHOLDER}"'
    msg.add_alternative(_put_last(issue.html, href, f'href="{html.escape(https)}"'), subtype="html")
    msg.policy = _WIRE_POLICY
    return msg


def _message_key(issue: Issue, recipient: str, secret: bytes) -> str:
    # Stable per issue and recipient: a resend carries the same Message-ID, so a
    # receiving server can drop the duplicate.
    data = f"message-id\n{issue.name}\n{recipient.lower()}".encode()
    return hmac.new(secret, data, hashlib.sha256).hexdigest()[:20]


def _put_last(text: str, old: str, new: str) -> str:
    """Replace the last ``old`` (the footer comes last, after any source text)."""
    head, found, tail = text.rpartition(old)
    return f"{head}{new}{tail}" if found else text


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Delivery:
    """What happened to one recipient's copy."""

    address: str
    ok: bool
    error: str | None = None


def send(
    issue: Issue,
    recipients: Iterable[str],
    smtp: SmtpSettings,
    *,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> list[Delivery]:
    """Send one message per recipient over one SMTP session; return each outcome.

    Args:
        issue: the rendered issue.
        recipients: validated addresses (see :func:`read_subscribers`).
        smtp: server, login and sender.
        env: where the password and the secret are read (default: ``os.environ``).
        now: the Date header (default: the current time).

    Raises:
        ConfigError: no secret, no sender, or a password sent in clear to a remote host.
        MailError: the server could not be reached, or refused STARTTLS or the login.
    """
    env = os.environ if env is None else env
    secret = hub_secret(smtp, env)
    moment = now or datetime.now(UTC)
    messages = [(r, build_message(issue, r, smtp, secret=secret, now=moment)) for r in recipients]
    if not messages:
        return []
    results: list[Delivery] = []
    conn: smtplib.SMTP | None = _connect(smtp, env)
    try:
        for index, (address, msg) in enumerate(messages):
            if conn is None:
                try:
                    conn = _connect(smtp, env)
                except MailError as e:  # the server went away: the rest cannot be sent
                    results += [Delivery(a, False, str(e)) for a, _ in messages[index:]]
                    break
            delivery, alive = _send_one(conn, msg, address, smtp)
            results.append(delivery)
            if not alive:
                _close(conn)
                conn = None
    finally:
        if conn is not None:
            _close(conn)
    sent = sum(d.ok for d in results)
    log.info("newsletter sent issue=%s ok=%d failed=%d", issue.name, sent, len(results) - sent)
    return results


def _send_one(
    conn: smtplib.SMTP, msg: EmailMessage, address: str, smtp: SmtpSettings
) -> tuple[Delivery, bool]:
    """Send one message; return its delivery and whether the session is still usable."""
    try:
        conn.send_message(msg, from_addr=smtp.from_address, to_addrs=[address])
    except smtplib.SMTPRecipientsRefused as e:
        code, reason = e.recipients.get(address, (0, b""))
        return _failed(address, f"{code} {_text(reason)}", conn), True
    except smtplib.SMTPResponseException as e:  # sender refused, data refused
        return _failed(address, f"{e.smtp_code} {_text(e.smtp_error)}", conn), True
    except (smtplib.SMTPException, OSError) as e:
        log.warning("newsletter not sent address=%s error=%s", address, e)
        return Delivery(address, False, f"connection lost: {e}"), False
    log.debug("newsletter sent address=%s", address)
    return Delivery(address, True), True


def _failed(address: str, reason: str, conn: smtplib.SMTP) -> Delivery:
    log.warning("newsletter refused address=%s reason=%s", address, reason)
    with contextlib.suppress(smtplib.SMTPException, OSError):
        conn.rset()  # forget the refused transaction; the session goes on
    return Delivery(address, False, reason)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _connect(smtp: SmtpSettings, env: Mapping[str, str]) -> smtplib.SMTP:
    if smtp.username and not smtp.starttls and not _is_loopback(smtp.host):
        raise ConfigError(
            f"[smtp] refusing to send the password in clear to {smtp.host}: enable starttls"
        )
    try:
        conn = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    except (smtplib.SMTPException, OSError) as e:
        raise MailError(f"smtp {smtp.host}:{smtp.port}: cannot connect: {e}") from e
    try:
        conn.ehlo()
        if smtp.starttls:
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if smtp.username:
            conn.login(smtp.username, env.get(smtp.password_env, ""))
    except (smtplib.SMTPException, OSError) as e:
        _close(conn)
        raise MailError(f"smtp {smtp.host}:{smtp.port}: {e}") from e
    return conn


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def recipients_or_fail(addresses: Sequence[str]) -> tuple[str, ...]:
    """Check addresses given on the command line.

    Raises:
        ConfigError: one of them is not an address.
    """
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            raise ConfigError(f"--to {address!r}: {problem}")
    return tuple(addresses)
