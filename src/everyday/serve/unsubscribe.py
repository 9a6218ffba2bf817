"""One-click unsubscribe (RFC 8058) for the newsletter's ``List-Unsubscribe`` links.

    GET  /unsubscribe?token=T&address=A   a confirmation page with a button; changes nothing
    POST /unsubscribe?token=T&address=A   body ``List-Unsubscribe=One-Click``: removes A

The link is the one :func:`everyday.publish.mail.unsubscribe_urls` writes; its token is
an HMAC of the address under the hub secret, so no database or cookie is needed (RFC 8058
§3.2: the POST must work without cookies or other context). GET never unsubscribes,
because mail scanners and link previews fetch every link in a message (RFC 8058 §1).

The address's lines are removed from ``subscribers.txt`` and every other byte is kept
(comments, other subscribers, line endings), with an atomic write under a lock file, so
two workers answering at once lose nothing (:mod:`everyday.publish.subscribers`, which
``everyday newsletter-unsubscribe`` uses too).
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import logging
import os
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import ConfigError, RecordError
from ..publish.mail import ONE_CLICK, hub_secret, is_valid_token
from ..publish.subscribers import remove_subscriber
from .auth import client_address
from .responses import BodyTooLarge, read_capped
from .state import ServeState

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096  # the body is 26 bytes; RFC 8058 gives it no other fields
_HEADERS = {
    "Cache-Control": "no-store",
    # The URL carries the token: never send it on as a Referer, never index the page.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}


class Refusal(Exception):
    """A request that cannot unsubscribe anyone: its status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------- requests


def _secret(state: ServeState) -> bytes:
    try:
        return hub_secret(state.settings.smtp, os.environ)
    except ConfigError as e:
        log.warning("unsubscribe unavailable: %s", e)
        raise Refusal(
            503,
            "Unsubscribing is not available: the newsletter secret is not configured on "
            f"this server ({state.settings.smtp.secret_env}).",
        ) from e


def _checked_address(request: Request, state: ServeState) -> str:
    """The link's address once its token is right."""
    secret = _secret(state)
    address = request.query_params.get("address", "").strip()
    token = request.query_params.get("token", "").strip()
    if not address or not token or not is_valid_token(address, token, secret):
        log.info("unsubscribe refused client=%s reason=token", client_address(request))
        raise Refusal(
            403,
            "This unsubscribe link is not valid (its token is missing or wrong). "
            "Use the link from the newsletter as it is.",
        )
    return address


def is_one_click(content_type: str, body: bytes) -> bool:
    """Whether a POST body is RFC 8058's ``List-Unsubscribe=One-Click``.

    RFC 8058 §3.1: sent as ``multipart/form-data`` (SHOULD) or
    ``application/x-www-form-urlencoded`` (MAY); both are read here.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    key, value = ONE_CLICK.split("=", 1)
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return False
        return (key, value) in pairs
    if kind == "multipart/form-data":
        head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        if not message.is_multipart():
            return False
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if name == key and isinstance(payload, bytes) and payload.strip() == value.encode():
                return True
    return False


async def _read_body(request: Request) -> bytes:
    try:
        return await read_capped(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        raise Refusal(413, f"The request body is over {MAX_BODY_BYTES} bytes.") from None


async def one_click(request: Request) -> Response:
    """POST: check the link and the body, then remove the address."""
    state: ServeState = request.app.state.serve
    wants_html = _wants_html(request)
    try:
        address = _checked_address(request, state)
        body = await _read_body(request)
        if not is_one_click(request.headers.get("content-type", ""), body):
            raise Refusal(400, f"The request body must be {ONE_CLICK} (RFC 8058).")
        try:
            removed = await anyio.to_thread.run_sync(remove_subscriber, state.hub_dir, address)
        except (ConfigError, RecordError) as e:
            log.error("unsubscribe failed address=%s error=%s", address, e)
            raise Refusal(500, "The subscriber list could not be changed; try again later.") from e
    except Refusal as refusal:
        return _answer(state, refusal.status, refusal.message, wants_html)
    log.info("unsubscribed address=%s lines=%d", address, removed)
    done = f"{address} is unsubscribed and will get no more newsletters."
    return _answer(state, 200, done, wants_html)


async def confirm_page(request: Request) -> Response:
    """GET: a page with a button that sends the one-click POST; unsubscribes no one."""
    state: ServeState = request.app.state.serve
    try:
        address = _checked_address(request, state)
    except Refusal as refusal:
        return _answer(state, refusal.status, refusal.message, True)
    key, value = ONE_CLICK.split("=", 1)
    # No action attribute: the form posts to this very URL, query (token, address) included,
    # which stays right behind a proxy that serves this under another path.
    form = (
        f"<p>Stop sending the newsletter to <strong>{html.escape(address)}</strong>?</p>"
        f'<form method="post"><input type="hidden" name="{key}" value="{value}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(_page(state, "Unsubscribe", form), headers=_HEADERS)


def _wants_html(request: Request) -> bool:
    """A browser (the confirmation page's button) gets a page; a mail provider gets text."""
    return "text/html" in request.headers.get("accept", "")


def _answer(state: ServeState, status: int, message: str, as_html: bool) -> Response:
    if as_html:
        title = "Unsubscribed" if status == 200 else "Cannot unsubscribe"
        body = _page(state, title, f"<p>{html.escape(message)}</p>")
        return HTMLResponse(body, status_code=status, headers=_HEADERS)
    return PlainTextResponse(message + "\n", status_code=status, headers=_HEADERS)


def _page(state: ServeState, title: str, content: str) -> str:
    hub = state.settings.site.title
    heading = html.escape(f"{title} – {hub}" if hub else title)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading}</title><style>body{{font:1.1rem/1.5 system-ui,sans-serif;"
        "max-width:32rem;margin:3rem auto;padding:0 1rem}button{font-size:1.1rem;"
        f"padding:.4rem 1.2rem}}</style></head><body><h1>{html.escape(title)}</h1>"
        f"{content}</body></html>"
    )


def routes() -> list[Route]:
    """The unsubscribe routes (before the site mount, which would shadow them)."""
    return [
        Route("/unsubscribe", confirm_page, methods=["GET"]),
        Route("/unsubscribe", one_click, methods=["POST"]),
    ]
