"""Host names and registrable domains (eTLD+1), shared by extraction and enrichment.

The Public Suffix List comes with the ``tld`` package (installed with trafilatura); it
is never fetched at run time.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import idna
from tld import get_tld
from tld.exceptions import TldBadUrl, TldDomainNotFound

_HOST = re.compile(r"^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$")


def host_of(url_or_host: str) -> str:
    """Lowercase ASCII (IDNA) host of a URL or bare host, without port or trailing dot."""
    text = url_or_host.strip()
    if "://" not in text:
        text = "//" + text.lstrip("/")
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".").lower()
    if host and not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return ""
    return host if _HOST.match(host) or is_ip(host) else ""


def registrable_domain(url_or_host: str) -> str:
    """Return the registrable domain (eTLD+1) of a URL or host.

    IP addresses and ``localhost`` come back as the host; a host under no known suffix
    gives its last two labels.
    """
    host = host_of(url_or_host)
    if not host or is_ip(host) or "." not in host:
        return host
    try:
        result = get_tld(host, fix_protocol=True, as_object=True)
    except (TldBadUrl, TldDomainNotFound, ValueError):
        # Not under a known suffix (.test, .example, intranet names): take the last two
        # labels, as if the suffix were one label.
        return ".".join(host.split(".")[-2:])
    return str(result.fld).lower()  # type: ignore[union-attr]


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
