"""Where the sample newswire's paths live: one host name per provider, or one 127.0.0.1 base.

Inside the server every route is a *path* prefixed with its provider's slug
(``/circuitledger/feed/``; the robots-disallowed page is ``/private/tickerside/...``).
Outside, in every link the network emits, each provider has its own host name, so a hub
sees eight sites, not one::

    /circuitledger/feed/             -> http://circuitledger.test:PORT/feed/
    /private/tickerside/premium-...  -> http://tickerside.test:PORT/private/premium-...
    /opml.xml                        -> http://newswire.test:PORT/opml.xml

Nothing resolves ``.test`` names (RFC 6761 reserves them), so clients pin them to
127.0.0.1: ``FetchSettings.hosts`` takes :attr:`Addresses.hosts`, curl takes ``--resolve``.
With ``hostnames=False`` every URL is ``http://127.0.0.1:PORT/<slug>/...`` instead.

The server accepts both forms whatever the mode: it maps the Host header back to a slug.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .content import PROVIDER_BY_SLUG, PROVIDERS

LOOPBACK = "127.0.0.1"
NETWORK_DOMAIN = "newswire.test"
"""The host of what belongs to no provider: the index page, the OPML file."""
PRIVATE = "/private/"

HOSTS: tuple[str, ...] = tuple(
    f"{name}={LOOPBACK}" for name in [*(p.domain for p in PROVIDERS), NETWORK_DOMAIN]
)
"""``FetchSettings.hosts`` for any newswire in host-name mode (the names do not depend on
the port): every provider's domain and the network's own, pinned to 127.0.0.1."""

_HOST_SLUG = {name: p.slug for p in PROVIDERS for name in (p.domain, f"{p.slug}.localhost")}


@dataclass(frozen=True)
class Addresses:
    """The URL layout of one running newswire (its port and naming mode)."""

    port: int
    hostnames: bool = True

    @property
    def base_url(self) -> str:
        """Where the socket listens: what a client connects to in either mode."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def hosts(self) -> list[str]:
        """``name=127.0.0.1`` entries for ``FetchSettings.hosts`` (empty without host names)."""
        return list(HOSTS) if self.hostnames else []

    def origin(self, slug: str | None) -> str:
        """``http://host:port`` of a provider (``None``: the network's own host)."""
        if not self.hostnames:
            return self.base_url
        domain = PROVIDER_BY_SLUG[slug].domain if slug else NETWORK_DOMAIN
        return f"http://{domain}:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of a server path; absolute URLs pass through unchanged."""
        if not path.startswith("/"):
            return path
        if not self.hostnames:
            return self.base_url + path
        slug, rest = split_path(path)
        return self.origin(slug) + rest


def split_path(path: str) -> tuple[str | None, str]:
    """``/circuitledger/feed/`` -> ``("circuitledger", "/feed/")``; shared paths -> ``None``.

    The private page keeps its ``/private/`` prefix on its provider's host, where that
    host's robots.txt disallows it.
    """
    private = path.startswith(PRIVATE)
    head, _, rest = path.removeprefix(PRIVATE if private else "/").partition("/")
    if head not in PROVIDER_BY_SLUG:
        return None, path
    return head, (PRIVATE if private else "/") + rest


def provider_of_host(host: str) -> str | None:
    """The provider slug a Host header names (``tickerside.test:8765``), else None."""
    try:
        name = urlsplit(f"//{host}").hostname
    except ValueError:
        return None
    return _HOST_SLUG.get((name or "").rstrip("."))


def server_path(host: str, path: str) -> str:
    """The route a request means: a host-name URL's path gets its provider's prefix back.

    Prefix-form paths (``/circuitledger/feed/``) are accepted on the provider's own host
    and on any other name (``127.0.0.1``, ``newswire.test``), so both URL forms work.
    """
    slug = provider_of_host(host)
    if slug is None or split_path(path)[0] == slug:
        return path
    if path.startswith(PRIVATE):
        return f"{PRIVATE}{slug}/{path.removeprefix(PRIVATE)}"
    return f"/{slug}{path}"
