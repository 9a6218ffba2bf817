"""Text and URLs taken from sources, made safe for the pages, feeds and sitemaps we write.

Nothing a source sends is trusted: titles and excerpts lose the control characters HTML
and XML readers reject or mangle, links are kept only when they are absolute http(s)
URLs (no ``javascript:``, no spaces), and outlet domains only when they are plain host
names, so each can be pasted into an attribute, a URL path or JSON without surprises.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SAFE_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: str | None) -> str:
    """Text without control characters (HTML and XML readers reject or mangle them)."""
    return _CONTROL.sub("", text or "")


# The common case, decided without urlsplit: http(s), a plain host name, then a path.
_PLAIN_URL = re.compile(
    r"(?i:https?)://[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?(?:[/?#][^\s]*)?\Z"
)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL without spaces or controls, else None."""
    if not url or url[:4].lower() != "http" or _CONTROL.search(url):
        return None  # (any other scheme, a relative URL, or no scheme at all)
    if _PLAIN_URL.match(url):
        return url
    if any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in {"http", "https"} and parts.hostname else None


def safe_domain(domain: str) -> str | None:
    """``domain`` lower-cased if it is safe as a URL segment, else None."""
    domain = domain.strip().lower()
    return domain if _SAFE_DOMAIN.match(domain) else None
