"""Read an article page's metadata: OpenGraph, Twitter cards, <link>s, <html lang> and JSON-LD.

Pure: markup in, a :class:`Metadata` out; nothing is fetched. Each field takes the first
source that has a usable value, in the order listed in ``docs/extraction.md``:

* title: JSON-LD ``headline`` > ``og:title`` > ``twitter:title`` > ``<title>`` > first ``<h1>``
  (a headline cut at 110 chars with "..." yields to the og:title it is a prefix of; a
  `` | Site`` suffix equal to the site name is dropped)
* description: ``og:description`` > JSON-LD ``description`` > ``twitter:description`` >
  ``<meta name=description>``
* image: ``og:image`` (+ width/height) > JSON-LD ``image`` > ``twitter:image`` > ``rel=image_src``
* published: JSON-LD ``datePublished`` > ``article:published_time`` > other date metas
* canonical: ``rel=canonical`` > ``og:url`` > JSON-LD ``mainEntityOfPage`` / ``url``
  (raw candidates; :func:`everyday.extract.page.extract_page` judges whether to trust them)

JSON-LD is read by :mod:`.jsonld`; broken JSON-LD is skipped, never fatal.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from .jsonld import article_node, first_text, name_of, ref_of

log = logging.getLogger(__name__)

# Date metas besides the two primary ones, in order of trust.
_PUBLISHED_KEYS = (
    "og:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.created", "dc.date", "date",
)  # fmt: skip
_MODIFIED_KEYS = ("og:updated_time", "datemodified", "dcterms.modified", "last-modified")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)
_XML_PROLOG = re.compile(r"\s*<\?xml[^>]*\?>")
_LATEST_YEAR, _EARLIEST_YEAR = 2100, 1990


@dataclass(frozen=True)
class Metadata:
    """Best value of each metadata field found on one page (None when absent)."""

    title: str | None = None
    description: str | None = None
    image_url: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    site_name: str | None = None
    canonical_url: str | None = None
    canonical_candidates: tuple[str, ...] = ()  # every candidate, best first
    amp_url: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    publisher: str | None = None


def read_metadata(page: lxml.html.HtmlElement | str, url: str) -> Metadata:
    """Collect a page's metadata, resolving relative URLs against ``url``.

    Args:
        page: a parsed lxml tree (preferred: parse once, share it) or the HTML text.
        url: the address the page was fetched from.

    Returns:
        A :class:`Metadata`; empty when the markup holds nothing usable.
    """
    tree = _as_tree(page)
    if tree is None:
        return Metadata()
    scan = _scan(tree, url)
    metas, links = scan.metas, scan.links
    ld = article_node(scan.json_ld)

    def meta(*keys: str) -> str | None:
        return next((v for k in keys for v in metas.get(k, ()) if v), None)

    site_name = clean_text(meta("og:site_name")) or _name_of(ld.get("publisher"))
    canonicals = _canonicals(links, meta("og:url"), ld, url)
    image, width, height = _pick_image(metas, ld, links, url)
    return Metadata(
        title=_pick_title(ld, meta, scan, site_name),
        description=clean_text(
            meta("og:description")
            or first_text(ld.get("description"))
            or meta("twitter:description", "description", "dc.description")
        ),
        image_url=image,
        image_width=width,
        image_height=height,
        site_name=site_name or clean_text(meta("application-name")),
        canonical_url=canonicals[0] if canonicals else None,
        canonical_candidates=canonicals,
        amp_url=links.get("amphtml"),
        published=parse_date(first_text(ld.get("datePublished")))
        or parse_date(meta("article:published_time"))
        or _first_date(metas, _PUBLISHED_KEYS),
        modified=parse_date(first_text(ld.get("dateModified")))
        or parse_date(meta("article:modified_time"))
        or _first_date(metas, _MODIFIED_KEYS),
        authors=_authors(ld, metas),
        language=_language(tree, meta("og:locale", "content-language"), ld),
        publisher=_name_of(ld.get("publisher")),
    )


def parse_date(value: str | None) -> datetime | None:
    """Parse ISO 8601 or RFC 2822 into an aware UTC datetime; naive times are taken as UTC."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed if _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR else None


def clean_text(value: str | None) -> str | None:
    """Unescape entities (twice-escaped too), drop tags and scripts, collapse whitespace."""
    if not value:
        return None
    for _ in range(2):  # "&amp;#8217;" is common in CMS output: unescape at most twice
        if "&" not in value:
            break
        value = html.unescape(value)
    if "<" in value:
        value = _TAGS.sub(" ", value)
    value = " ".join(value.split())
    return value or None


def _as_tree(page: lxml.html.HtmlElement | str) -> lxml.html.HtmlElement | None:
    if not isinstance(page, str):
        return page
    if not page.strip():
        return None
    # Parse text as text: bytes would let a stale <meta charset> re-decode it. Only a
    # text with an XML encoding declaration (which lxml refuses) goes in as UTF-8 bytes.
    xml_prolog = _XML_PROLOG.match(page)
    try:
        if xml_prolog:
            return lxml.html.document_fromstring(page[xml_prolog.end() :])
        return lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return None


@dataclass
class _Scan:
    """What one walk over the tree collects (one walk: the metadata cost is per element)."""

    metas: dict[str, list[str]] = field(default_factory=dict)  # lowercased key -> contents
    links: dict[str, str] = field(default_factory=dict)  # rel -> first absolute href
    json_ld: list[str] = field(default_factory=list)
    title: str | None = None
    h1: str | None = None


_META_KEYS = ("property", "name", "itemprop", "http-equiv")
_LINK_RELS = frozenset({"canonical", "amphtml", "image_src"})


def _scan(tree: lxml.html.HtmlElement, base: str) -> _Scan:
    """Collect metas, links, JSON-LD, <title> and the first <h1> in a single pass."""
    scan = _Scan()
    for el in tree.iter("meta", "link", "script", "title", "h1"):
        tag = el.tag
        if tag == "meta":
            content = el.get("content")
            if content is not None:
                for attr in _META_KEYS:
                    key = el.get(attr)
                    if key:
                        scan.metas.setdefault(key.strip().lower(), []).append(content.strip())
        elif tag == "link":
            for rel in (el.get("rel") or "").lower().split():
                if rel in _LINK_RELS and rel not in scan.links:
                    href = _url(el.get("href"), base)
                    if href:
                        scan.links[rel] = href
        elif tag == "script":
            if el.text and "ld+json" in (el.get("type") or "").lower():
                scan.json_ld.append(el.text)
        elif tag == "title":
            # RCDATA: a "<script>" inside <title> arrives as literal text; clean_text drops it.
            if scan.title is None:
                scan.title = el.text or ""
        elif scan.h1 is None:
            scan.h1 = " ".join(el.itertext())
    return scan


def _canonicals(
    links: dict[str, str], og_url: str | None, ld: dict[str, Any], base: str
) -> tuple[str, ...]:
    """rel=canonical, og:url, then JSON-LD mainEntityOfPage/url; absolute and deduplicated."""
    ld_url = ref_of(ld.get("mainEntityOfPage")) or first_text(ld.get("url"))
    found = (links.get("canonical"), _url(og_url, base), _url(ld_url, base, strip_fragment=True))
    return tuple(dict.fromkeys(u for u in found if u))


def _url(value: str | None, base: str, strip_fragment: bool = False) -> str | None:
    """Resolve ``value`` against ``base``; None unless the result is an http(s) URL."""
    if not value or not isinstance(value, str):
        return None
    try:
        absolute = urljoin(base, value.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urldefrag(absolute).url if strip_fragment else absolute


def _name_of(value: Any) -> str | None:
    """A JSON-LD name, as clean text."""
    return clean_text(name_of(value))


# ---------------------------------------------------------------- field pickers


def _pick_title(ld: dict[str, Any], meta: Any, scan: _Scan, site: str | None) -> str | None:
    headline = clean_text(first_text(ld.get("headline")) or first_text(ld.get("name")))
    og = clean_text(meta("og:title"))
    # Google once asked for headlines <= 110 chars, so many are cut with "...".
    cut = headline.rstrip(".… ") if headline else None
    if headline and og and cut != headline and og.startswith(cut or "\0"):
        headline = None
    if headline:
        return headline
    for candidate in (og, clean_text(meta("twitter:title"))):
        if candidate:
            return _strip_site(candidate, site)
    title, h1 = clean_text(scan.title), clean_text(scan.h1)
    if title and h1 and len(h1) < len(title) and h1.casefold() in title.casefold():
        return h1  # "<h1> | Site" without a site name to strip: the <h1> is the headline
    return _strip_site(title, site) if title else h1


def _strip_site(title: str, site: str | None) -> str:
    """Drop a " | Site Name" suffix (or prefix) when it repeats the site name."""
    if not site:
        return title
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        if parts[-1].casefold() == site.casefold():
            return title[: title.rfind(parts[-1])].rstrip(" |-–—:·•»")
        if parts[0].casefold() == site.casefold():
            return title[len(parts[0]) :].lstrip(" |-–—:·•»")
    return title


def _pick_image(
    metas: dict[str, list[str]], ld: dict[str, Any], links: dict[str, str], base: str
) -> tuple[str | None, int | None, int | None]:
    for key in ("og:image:secure_url", "og:image", "og:image:url"):
        image = _url(next(iter(metas.get(key, ())), None), base)
        if image:
            return image, _int(metas.get("og:image:width")), _int(metas.get("og:image:height"))
    found = _ld_image(ld.get("image") or ld.get("thumbnailUrl"), base)
    if found[0]:
        return found
    for key in ("twitter:image", "twitter:image:src"):
        image = _url(next(iter(metas.get(key, ())), None), base)
        if image:
            return image, None, None
    return links.get("image_src"), None, None


def _ld_image(value: Any, base: str) -> tuple[str | None, int | None, int | None]:
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        url = _url(first_text(value.get("url")) or first_text(value.get("contentUrl")), base)
        return url, _int([value.get("width")]), _int([value.get("height")])
    return _url(first_text(value), base), None, None


def _int(values: list[Any] | None) -> int | None:
    if not values:
        return None
    value = values[0]
    if isinstance(value, dict):  # schema.org QuantitativeValue
        value = value.get("value")
    try:
        number = int(str(value).strip().removesuffix("px"))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _first_date(metas: dict[str, list[str]], keys: tuple[str, ...]) -> datetime | None:
    for key in keys:
        for value in metas.get(key, ()):
            parsed = parse_date(value)
            if parsed:
                return parsed
    return None


def _authors(ld: dict[str, Any], metas: dict[str, list[str]]) -> tuple[str, ...]:
    raw = ld.get("author") or ld.get("creator")
    found = [_name_of(a) for a in (raw if isinstance(raw, list) else [raw])] if raw else []
    names = [n for n in found if n]
    if not names:
        names = [v for v in metas.get("article:author", ()) if not _is_url(v)]
        names = names or metas.get("author", []) or metas.get("dc.creator", [])
    seen: dict[str, None] = {}
    for raw_name in names:
        name = clean_text(raw_name)
        if name and not _is_url(name):
            name = re.sub(r"^by\s+", "", name, flags=re.I)
            seen.setdefault(name, None)
    return tuple(seen)


def _is_url(value: str) -> bool:
    return value.startswith(("http://", "https://", "//", "www."))


def _language(tree: lxml.html.HtmlElement, fallback: str | None, ld: dict[str, Any]) -> str | None:
    """BCP 47 tag, lowercased with "-" (``en_US`` -> ``en-us``), like the seed's locale."""
    for value in (
        tree.get("lang"),
        tree.get("xml:lang"),
        fallback,
        first_text(ld.get("inLanguage")),
    ):
        if value and re.fullmatch(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*", value.strip()):
            return value.strip().replace("_", "-").lower()
    return None
