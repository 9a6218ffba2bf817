"""The SSRF guard and body caps: address policy, odd notations, per-hop checks, pinning, bombs."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from ipaddress import IPv4Address, ip_address

import pytest

from everyday.errors import BlockedURLError, TooLargeError
from everyday.fetch.guard import (
    IPAddress,
    allow_any_address,
    check_url,
    is_public_address,
    parse_ip_literal,
    read_capped,
    resolve_checked,
)
from fetch_servers import TEST_SETTINGS, FetchTestServer, fetch, gzip_bomb

STRICT = replace(TEST_SETTINGS, allow_private=False)


@pytest.fixture
def server() -> Iterator[FetchTestServer]:
    with FetchTestServer() as srv:
        yield srv


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "::127.0.0.1",  # IPv4-compatible form
    ],
)
def test_non_public_addresses(ip: str) -> None:
    assert not is_public_address(ip)
    assert not is_public_address(ip_address(ip))


@pytest.mark.parametrize(
    "ip",
    ["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"],
)
def test_public_addresses(ip: str) -> None:
    assert is_public_address(ip)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("example.org", None),
        ("deadbeef.example", None),
        ("cafe", None),
    ],
)
def test_ip_literals_in_odd_notations(host: str, expected: str | None) -> None:
    ip = parse_ip_literal(host)
    assert (str(ip).split("%")[0] if ip else None) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://10.0.0.1/",
        "file:///etc/passwd",
        "ftp://example.org/",
        "javascript:alert(1)",
        "http:///nohost",
    ],
)
def test_check_url_blocks(url: str) -> None:
    with pytest.raises(BlockedURLError):
        check_url(url, is_public_address)


def test_check_url_leaves_names_to_connect_time() -> None:
    check_url("https://example.org/feed.xml", is_public_address)
    check_url("http://127.0.0.1/", allow_any_address)


def test_resolve_checked_blocks_a_name_for_loopback() -> None:
    with pytest.raises(BlockedURLError, match="localhost"):
        asyncio.run(resolve_checked("localhost", 80, is_public_address, 5.0))


# --- against a real server -------------------------------------------------------------------


def test_loopback_blocked_before_anything_is_sent(server: FetchTestServer) -> None:
    with pytest.raises(BlockedURLError) as info:
        fetch(server.url("/ok"), settings=STRICT)
    assert info.value.url == server.url("/ok")
    assert not server.requests  # not even robots.txt


def test_name_resolving_to_loopback_is_blocked_at_connect(server: FetchTestServer) -> None:
    url = f"http://localhost:{server.port}/ok"
    with pytest.raises(BlockedURLError) as info:
        fetch(url, settings=STRICT)
    assert info.value.url == url
    assert not server.requests


def _only_127_0_0_1(seen: list[IPAddress]):
    def policy(ip: IPAddress) -> bool:
        seen.append(ip)
        return ip == IPv4Address("127.0.0.1")

    return policy


def test_policy_is_checked_on_every_redirect_hop(server: FetchTestServer) -> None:
    seen: list[IPAddress] = []
    target = f"http://127.0.0.2:{server.port}/ok"
    with pytest.raises(BlockedURLError) as info:
        fetch(
            server.url(f"/redirect?to={target}"),
            settings=STRICT,
            address_policy=_only_127_0_0_1(seen),
        )
    assert info.value.url == target
    assert IPv4Address("127.0.0.2") in seen
    assert server.hits["/redirect"] == 1


def test_host_names_connect_to_the_checked_address(server: FetchTestServer) -> None:
    seen: list[IPAddress] = []

    def loopback_only(ip: IPAddress) -> bool:
        seen.append(ip)
        return ip.is_loopback

    r = fetch(f"http://localhost:{server.port}/ok", settings=STRICT, address_policy=loopback_only)
    assert r.content == b"hello"
    assert IPv4Address("127.0.0.1") in seen  # resolved and vetted by the guard, not by httpx


def test_allow_private_setting_allows_loopback(server: FetchTestServer) -> None:
    assert fetch(server.url("/ok")).status == 200


# --- body caps, pure -------------------------------------------------------------------------


async def _chunks(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def _read(data: bytes, encoding: str, **caps: int | bool) -> bytes:
    options = {"max_raw": 10**7, "max_decoded": 10**7, **caps}
    return asyncio.run(read_capped(_chunks(data), encoding, url="u", **options))  # type: ignore[arg-type]


def test_bomb_refused_without_inflating_it() -> None:
    with pytest.raises(TooLargeError, match="decoded"):
        _read(gzip_bomb(), "gzip", max_decoded=1_000_000)


def test_truncate_keeps_the_head() -> None:
    assert _read(b"a" * 5000, "", max_raw=1000, truncate=True) == b"a" * 1000
    assert _read(gzip_bomb(), "gzip", max_decoded=1234, truncate=True) == bytes(1234)


def test_raw_cap() -> None:
    with pytest.raises(TooLargeError, match="body over 1000"):
        _read(b"a" * 5000, "", max_raw=1000)


def test_stacked_and_identity_encodings() -> None:
    body = b"twice " * 1000
    assert _read(gzip.compress(gzip.compress(body)), "gzip, gzip") == body
    assert _read(zlib.compress(body), "deflate") == body
    assert _read(body, "identity") == body
