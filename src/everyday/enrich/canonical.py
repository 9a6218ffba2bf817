"""Canonical article URLs: normalised, untracked, and chosen with care (pure).

:func:`canonical_url` is the address a record stores (``webUrl``); it must still work in a
browser, so it only makes changes that keep the resource the same:

* scheme and host lowercased, IDNA hosts in ASCII (``xn--``), default ports, userinfo and
  fragments dropped (a ``#!`` hash-bang route is kept: it names the content);
* percent-encoding normalised (RFC 3986 §6.2.2): escapes of unreserved characters decoded,
  hex digits uppercased, spaces and non-ASCII characters encoded as UTF-8; dot segments
  removed (§5.2.4); an empty path becomes ``/``;
* tracking parameters removed (``utm_*``, click ids, mailing ids, ...) and parameters with
  an explicitly empty value (``a=``) dropped; a bare flag such as ``?amp`` is kept. The
  order of the rest is kept: some servers care, and people recognise their URL;
* ``www.`` and trailing slashes are kept: ``/a`` and ``/a/`` can be different resources and
  the site's own form is what rel=canonical names. :func:`url_key` folds those (and
  http/https, parameter order) for comparing URLs, not for showing them.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import unquote_plus, urljoin, urlsplit

import idna

from ..domains import registrable_domain
from ..errors import ParseError

TRACKING_PARAMS = frozenset(
    {
        # ad click ids
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "epik", "rb_clickid", "irclickid",
        # analytics and campaign tags
        "_ga", "_gl", "cmpid", "ocid", "ncid", "icid", "s_cid", "cmp", "xtor", "sr_share",
        "wt.mc_id", "wt_mc_id", "at_medium", "at_campaign", "trk", "trkcampaign",
        "smid", "smtyp", "soc_src", "soc_trk", "spm", "igshid", "igsh", "ref_src", "ref_url",
        # mailing tools
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "vero_id", "vero_conv",
        "oly_anon_id", "oly_enc_id", "__s", "ck_subscriber_id",
        # consent and social share leftovers
        "guccounter", "guce_referrer", "guce_referrer_sig", "fb_action_ids",
        "fb_action_types", "fb_source", "fb_ref", "action_object_map", "action_type_map",
        "action_ref_map", "__twitter_impression",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
# Share ids that only mean "tracking" on these hosts (elsewhere `si` or `t` may matter).
HOST_TRACKING_PARAMS = {
    "youtube.com": frozenset({"si", "feature", "pp"}),
    "youtu.be": frozenset({"si", "feature"}),
    "twitter.com": frozenset({"s", "t"}),
    "x.com": frozenset({"s", "t"}),
    "spotify.com": frozenset({"si"}),
}
# `ref` carries a referrer label on blogs (`?ref=producthunt`), but a branch on GitHub
# (`?ref=main`): drop it only when its value looks like a referrer.
_REF_LABELS = frozenset(
    {"rss", "feed", "feedly", "twitter", "facebook", "linkedin", "reddit", "hn",
     "hackernews", "newsletter", "email", "social", "share", "homepage", "producthunt"}
)  # fmt: skip
_HOSTNAME = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _UNRESERVED | frozenset("!$'()*+,;=:@/?")
_HEX = frozenset("0123456789abcdefABCDEF")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOCALE = re.compile(r"^[a-z]{2}([-_][a-z]{2})?$", re.IGNORECASE)
_INDEX = re.compile(r"^(index|default|home)\.(html?|php|aspx?|jsp)$", re.IGNORECASE)
_PLACEHOLDER = ("{{", "%7B%7B", "${", "%24%7B")
AMP_CACHE_DOMAIN = "cdn.ampproject.org"


def canonical_url(url: str) -> str:
    """Normalise an http(s) URL (see the module docstring); other input comes back stripped."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return text
    host = _ascii_host(parts.hostname)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _remove_dot_segments(_normalise_escapes(parts.path, _PATH_SAFE)) or "/"
    query = _clean_query(parts.query, registrable_domain(host))
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    out = f"{scheme}://{netloc}{path}"
    if query:
        out += "?" + query
    if fragment:
        out += "#" + _normalise_escapes(fragment, _QUERY_SAFE)
    return out


def url_key(url: str) -> str:
    """A comparison key: canonical URL without scheme, ``www.``, trailing slash or param order."""
    canon = canonical_url(url)
    parts = urlsplit(canon)
    if parts.scheme not in _DEFAULT_PORTS:
        return canon
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""  # only hash-bangs survive
    return f"{host}{path}" + (f"?{query}" if query else "") + fragment


def choose_canonical(fetched_url: str, rel_canonical: str | None, og_url: str | None) -> str:
    """Pick the article's canonical URL: ``rel=canonical``, else ``og:url``, else the fetched URL.

    A candidate is refused when it is not http(s), is an unfilled template, or points
    to a home page (the site root, ``/index.html``, ``/en/``) while the fetched page is
    not one: paywalls, consent walls and broken themes point every page at the home.
    """
    fetched = canonical_url(fetched_url)
    for candidate in (rel_canonical, og_url):
        if not candidate or not candidate.strip():
            continue
        if any(p in candidate for p in _PLACEHOLDER):
            continue
        resolved = canonical_url(urljoin(fetched, candidate.strip()))
        if _is_acceptable(resolved, fetched):
            return resolved
    return fetched


def amp_cache_url(amp_url: str) -> str:
    """Google AMP cache URL of an AMP page, as the seed's ``cdnAmpWebUrl``.

    ``https://www.wired.com/story/x/amp`` →
    ``https://www-wired-com.cdn.ampproject.org/c/s/www.wired.com/story/x/amp``.

    Raises:
        ParseError: the URL is not an absolute http(s) URL.
    """
    parts = urlsplit(amp_url.strip())
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise ParseError(f"not an http(s) URL: {amp_url!r}")
    host = _ascii_host(parts.hostname)
    rest = host + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    secure = "s/" if parts.scheme.lower() == "https" else ""
    return f"https://{amp_cache_subdomain(host)}.{AMP_CACHE_DOMAIN}/c/{secure}{rest}"


def amp_cache_subdomain(host: str) -> str:
    """The AMP cache's subdomain for a host (amp-toolbox ``createCurlsSubdomain``).

    Decode IDNA, ``-`` → ``--``, ``.`` → ``-``, wrap as ``0-…-0`` when positions 3-4 are
    ``--`` (a label form DNS reserves), punycode non-ASCII back. A host without a dot, or
    whose label would pass 63 characters, gets the base32 SHA-256 of its ASCII form.
    """
    ascii_host = _ascii_host(host)
    label = _unicode_host(ascii_host).replace("-", "--").replace(".", "-")
    if label[2:4] == "--":
        label = f"0-{label}-0"
    if not label.isascii():
        label = "xn--" + label.encode("punycode").decode("ascii")
    if "." not in ascii_host or len(ascii_host) > 63 or len(label) > 63:
        digest = hashlib.sha256(ascii_host.encode("ascii", "replace")).digest()
        return base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return label


def _is_acceptable(candidate: str, fetched: str) -> bool:
    parts = urlsplit(candidate)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return False
    # A home page is only a fair canonical for the same site's home page.
    return not _is_home(candidate) or (_is_home(fetched) and _same_site(candidate, fetched))


def _same_site(a: str, b: str) -> bool:
    return registrable_domain(a) == registrable_domain(b)


def _is_home(url: str) -> bool:
    """True for a site root or a root in disguise (``/index.html``, ``/en-us/``)."""
    parts = urlsplit(url)
    if parts.query:
        return False  # `/?p=123` is how WordPress addresses a post
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return True
    return len(segments) == 1 and bool(_INDEX.match(segments[0]) or _LOCALE.match(segments[0]))


def _clean_query(query: str, site: str) -> str:
    host_params = HOST_TRACKING_PARAMS.get(site, frozenset())
    kept = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        name = unquote_plus(key).strip().lower()
        if sep and not value:
            continue
        if _is_tracking(name, unquote_plus(value), host_params):
            continue
        item = _normalise_escapes(key, _QUERY_SAFE - {"="})
        if sep:
            item += "=" + _normalise_escapes(value, _QUERY_SAFE)
        kept.append(item)
    return "&".join(kept)


def _is_tracking(name: str, value: str, host_params: frozenset[str]) -> bool:
    if name in TRACKING_PARAMS or name in host_params or name.startswith(TRACKING_PREFIXES):
        return True
    if name == "ref":
        label = value.strip().lower()
        return label in _REF_LABELS or bool(_HOSTNAME.match(label))
    return False


def _normalise_escapes(text: str, safe: frozenset[str]) -> str:
    """RFC 3986 §6.2.2: decode unreserved escapes, uppercase the rest, encode the unsafe."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "%" and i + 2 < len(text) and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if ch in safe:
            out.append(ch)
        else:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, on an absolute path."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _ascii_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host


def _unicode_host(host: str) -> str:
    try:
        return idna.decode(host)
    except idna.IDNAError:
        return host
