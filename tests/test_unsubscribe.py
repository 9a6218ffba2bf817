"""One-click unsubscribe (RFC 8058) against a real uvicorn server on 127.0.0.1: the link
the newsletter sends, forged links, GET that changes nothing, and a list that loses
nothing but the one address."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest

from everyday.publish.mail import (
    SUBSCRIBERS_FILE,
    SmtpSettings,
    build_message,
    read_subscribers,
    unsubscribe_token,
)
from everyday.publish.newsletter import UNSUBSCRIBE_PLACEHOLDER, Issue
from everyday.publish.subscribers import remove_subscriber, without_address
from everyday.serve.unsubscribe import is_one_click
from everyday.settings import Settings
from serve_samples import live_server, make_hub

SECRET = "an-unguessable-hub-secret"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
LIST = (
    "# readers of the hub\r\n"
    "ada@example.org\r\n"
    "Reader One <reader@example.com>  # since 2024\n"
    "not an address\n"
    "bob@example.net\n"
    "READER@example.com\n"
    "carol@example.org"
)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("EVERYDAY_NEWSLETTER_SECRET", SECRET)
    settings = make_hub(tmp_path, 2)
    site = settings.hub_dir / "_site"  # mounted at /: the unsubscribe routes must come first
    (site / "unsubscribe").mkdir(parents=True)
    (site / "unsubscribe" / "index.html").write_text("static", encoding="utf-8")
    (settings.hub_dir / SUBSCRIBERS_FILE).write_bytes(LIST.encode("utf-8"))
    return settings


def subscribers(settings: Settings) -> bytes:
    return (settings.hub_dir / SUBSCRIBERS_FILE).read_bytes()


def link(base: str, address: str, token: str | None = None) -> str:
    token = unsubscribe_token(address, SECRET.encode()) if token is None else token
    return f"{base}/unsubscribe?{urlencode({'token': token, 'address': address})}"


def test_one_click_post_removes_only_that_address(settings: Settings) -> None:
    with live_server(settings) as (base, _app):
        answer = httpx.post(link(base, "Reader@Example.com"), data=ONE_CLICK)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain")
        assert "reader@example.com is unsubscribed" in answer.text.lower()
        # Both lines of the address went (any case, with a name); every other byte stayed.
        expected = LIST.replace("Reader One <reader@example.com>  # since 2024\n", "")
        expected = expected.replace("READER@example.com\n", "")
        assert subscribers(settings) == expected.encode()
        assert read_subscribers(settings.hub_dir).addresses == (
            "ada@example.org",
            "bob@example.net",
            "carol@example.org",
        )
        again = httpx.post(link(base, "reader@example.com"), data=ONE_CLICK)
        assert again.status_code == 200  # idempotent: still unsubscribed, nothing else changes
        assert subscribers(settings) == expected.encode()


@pytest.mark.parametrize(
    "query",
    [
        {"address": "bob@example.net", "token": "A" * 43},  # forged
        {"address": "bob@example.net", "token": unsubscribe_token("ada@example.org", b"x" * 16)},
        {"address": "bob@example.net", "token": unsubscribe_token("bob@example.net", b"y" * 16)},
        {"address": "bob@example.net"},  # no token
        {"token": unsubscribe_token("bob@example.net", SECRET.encode())},  # no address
        {},
    ],
)
def test_a_wrong_or_missing_token_is_refused(settings: Settings, query: dict[str, str]) -> None:
    with live_server(settings) as (base, _app):
        answer = httpx.post(f"{base}/unsubscribe?{urlencode(query)}", data=ONE_CLICK)
        assert answer.status_code == 403
        assert "not valid" in answer.text
        page = httpx.get(f"{base}/unsubscribe?{urlencode(query)}")
        assert page.status_code == 403 and "<form" not in page.text
    assert subscribers(settings) == LIST.encode()


def test_a_token_for_one_address_does_not_unsubscribe_another(settings: Settings) -> None:
    token = unsubscribe_token("ada@example.org", SECRET.encode())
    with live_server(settings) as (base, _app):
        answer = httpx.post(link(base, "bob@example.net", token), data=ONE_CLICK)
    assert answer.status_code == 403
    assert subscribers(settings) == LIST.encode()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # no body
        {"data": {"List-Unsubscribe": "Yes"}},
        {"data": {"unsubscribe": "One-Click"}},
        {"content": b"List-Unsubscribe=One-Click", "headers": {"Content-Type": "text/plain"}},
        {"content": b'{"List-Unsubscribe": "One-Click"}', "headers": {"Content-Type": "a/json"}},
        {"content": b"\xff\xfe", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    ],
)
def test_a_wrong_body_is_a_400(settings: Settings, kwargs: dict[str, object]) -> None:
    with live_server(settings) as (base, _app):
        answer = httpx.post(link(base, "bob@example.net"), **kwargs)  # type: ignore[arg-type]
        assert answer.status_code == 400
        assert "List-Unsubscribe=One-Click" in answer.text
    assert subscribers(settings) == LIST.encode()


def test_a_huge_body_is_refused_before_it_is_read(settings: Settings) -> None:
    with live_server(settings) as (base, _app):
        answer = httpx.post(link(base, "bob@example.net"), content=b"x" * 100_000)
        assert answer.status_code == 413
    assert subscribers(settings) == LIST.encode()


def test_get_shows_a_confirmation_page_and_unsubscribes_no_one(settings: Settings) -> None:
    with live_server(settings) as (base, _app):
        url = link(base, "bob@example.net")
        for _ in range(3):  # a scanner prefetching the link, twice, then the person
            page = httpx.get(url)
            assert page.status_code == 200
        assert subscribers(settings) == LIST.encode()
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "bob@example.net" in page.text and 'method="post"' in page.text
        assert "action=" not in page.text  # posts back to this URL, token included
        # The person presses the button: the browser sends the form's fields to the page URL.
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]+)"', page.text))
        pressed = httpx.post(url, data=fields, headers={"Accept": "text/html,*/*"})
        assert pressed.status_code == 200
        assert pressed.headers["content-type"].startswith("text/html")
        assert "Unsubscribed" in pressed.text
    assert b"bob@example.net" not in subscribers(settings)
    assert read_subscribers(settings.hub_dir).addresses == (
        "ada@example.org",
        "reader@example.com",
        "carol@example.org",
    )


def test_the_page_escapes_the_address(settings: Settings) -> None:
    hostile = '<script>alert("x")</script>@example.org'
    with live_server(settings) as (base, _app):
        page = httpx.get(link(base, hostile))
    assert page.status_code == 200
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


def test_without_a_secret_both_answer_503(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVERYDAY_NEWSLETTER_SECRET")
    with live_server(settings) as (base, _app):
        url = link(base, "bob@example.net")
        for answer in (httpx.get(url), httpx.post(url, data=ONE_CLICK)):
            assert answer.status_code == 503
            assert "EVERYDAY_NEWSLETTER_SECRET" in answer.text and "not configured" in answer.text
    assert subscribers(settings) == LIST.encode()


def test_the_link_in_a_sent_newsletter_unsubscribes(settings: Settings) -> None:
    """End to end: mail.py's List-Unsubscribe header, POSTed as RFC 8058 says (multipart)."""
    with live_server(settings) as (base, _app):
        issue = Issue(
            day=date(2024, 1, 1),
            name="serve-test-hub-2024-01-01",
            hub_title="Serve Test Hub",
            hub_url=base,
            title="Serve Test Hub, 1 January 2024",
            excerpt="",
            published=datetime(2024, 1, 1, 19, tzinfo=UTC),
            web_url=f"{base}/newsletter/serve-test-hub-2024-01-01/",
            topic="AI",
            stories=(),
            html=f'<a href="{UNSUBSCRIBE_PLACEHOLDER}">unsubscribe</a>',
            text=f"unsubscribe: {UNSUBSCRIBE_PLACEHOLDER}",
        )
        smtp = SmtpSettings(from_address="news@example.org")
        msg = build_message(
            issue, "bob@example.net", smtp, secret=SECRET.encode(), now=issue.published
        )
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https = re.findall(r"<(https?://[^>]+)>", msg["List-Unsubscribe"])
        assert len(https) == 1 and https[0].startswith(f"{base}/unsubscribe?")
        # RFC 8058 §3.1: the POST SHOULD be multipart/form-data, no cookies, no referrer.
        answer = httpx.post(https[0], files={"List-Unsubscribe": (None, "One-Click")})
        assert answer.status_code == 200, answer.text
    assert read_subscribers(settings.hub_dir).addresses == (
        "ada@example.org",
        "reader@example.com",
        "carol@example.org",
    )


def test_concurrent_unsubscribes_lose_nothing(settings: Settings) -> None:
    many = [f"reader{n}@example.org" for n in range(40)]
    (settings.hub_dir / SUBSCRIBERS_FILE).write_text("\n".join(many) + "\n", encoding="utf-8")
    leaving = many[::2]

    async def go(base: str) -> list[int]:
        async with httpx.AsyncClient() as client:
            answers = await asyncio.gather(
                *(client.post(link(base, a), data=ONE_CLICK) for a in leaving)
            )
        return [a.status_code for a in answers]

    with live_server(settings) as (base, _app):
        assert asyncio.run(go(base)) == [200] * len(leaving)
    assert read_subscribers(settings.hub_dir).addresses == tuple(many[1::2])


# --------------------------------------------------------------------------- units


def test_without_address_keeps_every_other_byte() -> None:
    kept, removed = without_address(LIST, " BOB@example.net ")
    assert removed == 1 and kept == LIST.replace("bob@example.net\n", "")
    assert without_address(LIST, "nobody@example.org") == (LIST, 0)
    # A comment or an invalid line that mentions the address is not the address's line.
    text = "# bob@example.net asked on 1 May\nbob@example.net, ada@example.org\n"
    assert without_address(text, "bob@example.net") == (text, 0)


def test_remove_subscriber_without_a_list_writes_nothing(tmp_path: Path) -> None:
    assert remove_subscriber(tmp_path, "bob@example.net") == 0
    assert not (tmp_path / SUBSCRIBERS_FILE).exists()


def test_remove_subscriber_refuses_a_list_it_cannot_read(tmp_path: Path) -> None:
    from everyday.errors import ConfigError

    (tmp_path / SUBSCRIBERS_FILE).write_bytes(b"bob@example.net\n\xff\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        remove_subscriber(tmp_path, "bob@example.net")
    assert (tmp_path / SUBSCRIBERS_FILE).read_bytes() == b"bob@example.net\n\xff\n"


@pytest.mark.parametrize(
    ("content_type", "body", "ok"),
    [
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=One-Click", True),
        (
            "application/x-www-form-urlencoded; charset=utf-8",
            b"a=1&List-Unsubscribe=One-Click",
            True,
        ),
        ("application/x-www-form-urlencoded", b"List-Unsubscribe=one-click", False),
        ("", b"List-Unsubscribe=One-Click", False),
        (
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            b"One-Click\r\n--XyZ--\r\n",
            True,
        ),
        (
            "multipart/form-data; boundary=XyZ",
            b'--XyZ\r\nContent-Disposition: form-data; name="Other"\r\n\r\n'
            b"One-Click\r\n--XyZ--\r\n",
            False,
        ),
        ("multipart/form-data; boundary=XyZ", b"garbage", False),
        ("multipart/form-data", b"List-Unsubscribe=One-Click", False),
    ],
)
def test_is_one_click(content_type: str, body: bytes, ok: bool) -> None:
    assert is_one_click(content_type, body) is ok


def test_the_query_may_come_percent_encoded_either_way(settings: Settings) -> None:
    token = unsubscribe_token("bob@example.net", SECRET.encode())
    with live_server(settings) as (base, _app):
        url = f"{base}/unsubscribe?address={quote('bob@example.net', safe='@')}&token={token}"
        assert httpx.post(url, data=ONE_CLICK).status_code == 200
    assert b"bob@example.net" not in subscribers(settings)
