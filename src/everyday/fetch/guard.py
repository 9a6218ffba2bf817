"""The caps of the HTTP seam: which addresses a download may reach, and how many bytes it brings.

Addresses are checked twice. :func:`check_url` rejects bad schemes and literal IPs (in any
notation ``inet_aton`` accepts: ``2130706433``, ``0x7f.1``, ``0177.0.0.1``) before anything is
sent. :class:`GuardedBackend` then resolves the host name itself, checks every address, and
connects to the checked address: the address we vetted is the address we talk to, so a DNS
answer that changes between check and connect (DNS rebinding) cannot slip through.
TLS still uses the host name for SNI and certificate checks (httpcore does ``start_tls``
with the origin's host name after ``connect_tcp``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any
from urllib.parse import urlsplit

import httpcore

from ..errors import BlockedURLError, ConfigError, TooLargeError

log = logging.getLogger(__name__)

IPAddress = IPv4Address | IPv6Address
AddressPolicy = Callable[[IPAddress], bool]
"""Decides whether we may connect to an address; ``is_public_address`` unless told otherwise."""

ALLOWED_SCHEMES = frozenset({"http", "https"})

# Ranges ipaddress' flags do not all cover in every Python version, spelled out so the list
# reads as the policy (miniflux IsNonPublicIP does the same).
_BLOCKED_V4 = tuple(
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # CGNAT, RFC 6598
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata lives here)
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
)
_BLOCKED_V6 = tuple(
    IPv6Network(n)
    for n in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "fc00::/7",  # unique-local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
        "100::/64",  # discard-only
    )
)
_NAT64 = IPv6Network("64:ff9b::/96")
_V4_COMPAT = IPv6Network("::/96")
_ODD_IPV4 = re.compile(r"^[0-9a-fA-FxX.]+$")


def allow_any_address(ip: IPAddress) -> bool:
    """Address policy for ``allow_private``: the demo and tests talk to 127.0.0.1."""
    return True


def is_public_address(ip: IPAddress | str) -> bool:
    """True when ``ip`` is a globally routable unicast address we may fetch from."""
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, IPv6Address):
        embedded = _embedded_ipv4(addr)
        if embedded is not None:
            return is_public_address(embedded)
        return not any(addr in net for net in _BLOCKED_V6) and not (
            addr.is_private or addr.is_reserved or addr.is_multicast
        )
    return not any(addr in net for net in _BLOCKED_V4) and not (
        addr.is_private or addr.is_reserved or addr.is_multicast
    )


def _embedded_ipv4(addr: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, compatible, NAT64, 6to4), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr in _NAT64 or (addr in _V4_COMPAT and int(addr) > 1):
        return IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host literally names, in standard or legacy notation, else None."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if _ODD_IPV4.match(host) and any(c.isdigit() for c in host):
        try:
            # inet_aton accepts what resolvers accept: 127.1, 0x7f.0.0.1, 0177.0.0.1, 2130706433
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url(url: str, policy: AddressPolicy) -> None:
    """Reject a URL before sending anything: bad scheme, no host, or a blocked literal IP.

    Raises:
        BlockedURLError: the scheme is not http(s), the host is missing, or it is a
            literal address the policy refuses. Host names are checked at connect time.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as e:
        raise BlockedURLError(f"unparsable URL: {e}", url) from e
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedURLError(f"scheme {parts.scheme!r} is not allowed", url)
    if not host:
        raise BlockedURLError("URL has no host", url)
    ip = parse_ip_literal(host)
    if ip is not None and not policy(ip):
        raise BlockedURLError(f"address {ip} is not public", url)


def parse_hosts(entries: Iterable[str]) -> dict[str, IPAddress]:
    """``["news.test=127.0.0.1"]`` -> ``{"news.test": IPv4Address("127.0.0.1")}``.

    Raises:
        ConfigError: an entry is not ``name=address`` with a literal IP address.
    """
    table: dict[str, IPAddress] = {}
    for entry in entries:
        name, _, address = entry.partition("=")
        try:
            table[name.strip().lower().rstrip(".")] = ipaddress.ip_address(address.strip())
        except ValueError as e:
            raise ConfigError(f"[fetch] hosts: {entry!r} is not name=address") from e
    return table


async def resolve_checked(
    host: str,
    port: int,
    policy: AddressPolicy,
    timeout: float | None,
    hosts: Mapping[str, IPAddress] | None = None,
) -> list[IPAddress]:
    """Resolve ``host`` (in a thread) and return its addresses if the policy allows them all.

    One refused address refuses the host: a name that answers both a public and a private
    address is an attack, not a mirror.

    Raises:
        BlockedURLError: an address is refused by the policy.
        OSError: the name does not resolve (``socket.gaierror``).
        TimeoutError: resolution took longer than ``timeout``.
    """
    fixed = parse_ip_literal(host) or (hosts or {}).get(host.lower().rstrip("."))
    addresses: list[IPAddress]
    if fixed is not None:
        addresses = [fixed]
    else:
        infos = await asyncio.wait_for(
            asyncio.to_thread(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM),
            timeout,
        )
        addresses = _unique(ipaddress.ip_address(info[4][0]) for info in infos)
    for ip in addresses:
        if not policy(ip):
            log.warning("blocked address host=%s ip=%s", host, ip)
            raise BlockedURLError(f"{host} resolves to {ip}, which is not public", host)
    return addresses


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    return list(dict.fromkeys(addresses))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows."""

    def __init__(
        self,
        policy: AddressPolicy,
        inner: httpcore.AsyncNetworkBackend | None = None,
        hosts: Mapping[str, IPAddress] | None = None,
    ):
        self._policy = policy
        self._inner = inner or httpcore.AnyIOBackend()
        self._hosts = dict(hosts or {})

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and check ``host``, then connect to the first checked address that answers."""
        try:
            addresses = await resolve_checked(host, port, self._policy, timeout, self._hosts)
        except TimeoutError as e:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from e
        except OSError as e:
            raise httpcore.ConnectError(f"cannot resolve {host}: {e}") from e
        error: Exception = httpcore.ConnectError(f"no address for {host}")
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Unix sockets are never a fetch target."""
        raise BlockedURLError("unix sockets are not allowed", path)

    async def sleep(self, seconds: float) -> None:
        """Delegate to the wrapped backend."""
        await self._inner.sleep(seconds)


# --- body caps -------------------------------------------------------------------------------


class _Decoder:
    """One Content-Encoding layer, decoding with a bound on output per call."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._raw_deflate = False
        self._z = zlib.decompressobj(self._wbits())

    def _wbits(self) -> int:
        if self._encoding in ("gzip", "x-gzip"):
            return zlib.MAX_WBITS | 16
        return -zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS

    @property
    def is_overflowing(self) -> bool:
        """True when the last feed stopped at its limit with input left over."""
        return bool(self._z.unconsumed_tail)

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode ``data`` into at most ``limit + 1`` bytes (one more says "over the cap")."""
        try:
            return self._z.decompress(data, limit + 1)
        except zlib.error:
            # RFC 9110 says deflate is zlib-wrapped; some servers send it raw (httpx copes too).
            if self._encoding != "deflate" or self._raw_deflate:
                raise
            self._raw_deflate = True
            self._z = zlib.decompressobj(self._wbits())
            return self._z.decompress(data, limit + 1)


SUPPORTED_ENCODINGS = ("gzip", "x-gzip", "deflate")
ACCEPT_ENCODING = "gzip, deflate"


def _decoders(content_encoding: str) -> list[_Decoder]:
    """Decoders to apply in order (the header lists encodings in the order they were applied)."""
    names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
    return [_Decoder(n) for n in reversed(names) if n in SUPPORTED_ENCODINGS]


async def read_capped(
    chunks: AsyncIterator[bytes],
    content_encoding: str,
    *,
    url: str,
    max_raw: int,
    max_decoded: int,
    truncate: bool = False,
) -> bytes:
    """Read a body, decoding gzip/deflate, within both caps.

    Decoding never produces more than the remaining budget per step, so a gzip bomb costs at
    most ``max_decoded`` bytes of memory before it is refused.

    Raises:
        TooLargeError: a cap was exceeded and ``truncate`` is false (with ``truncate``, the
            body read so far, cut at the cap, is returned; robots.txt wants that).
        zlib.error: the body is not valid for its Content-Encoding.
    """
    decoders = _decoders(content_encoding)
    raw = 0
    out = bytearray()
    async for chunk in chunks:
        raw += len(chunk)
        if raw > max_raw:
            if truncate:
                chunk = chunk[: len(chunk) - (raw - max_raw)]
            else:
                raise TooLargeError(f"body over {max_raw} bytes", url)
        data = chunk
        for decoder in decoders:
            data = decoder.feed(data, max_decoded - len(out))
        out += data
        if len(out) > max_decoded or any(d.is_overflowing for d in decoders):
            if truncate:
                return bytes(out[:max_decoded])
            raise TooLargeError(f"decoded body over {max_decoded} bytes", url)
        if raw >= max_raw and truncate:
            break
    return bytes(out)
