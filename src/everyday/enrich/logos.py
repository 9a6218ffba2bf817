"""Provider logos from a site's own icons: find them, rank them, render the seed's sizes (pure).

A provider without an organizations file gets one made from its home page: the icon links
(``apple-touch-icon``, ``icon`` with ``sizes``, ``shortcut icon``; optionally the web app
manifest's icons) are ranked, the first that decodes is flattened onto white, padded to a
square and resized to the seed's 50x50 and 400x400 JPEGs (``SCHEMA.md`` §iii). Downloading
and writing happen in :mod:`everyday.registry`; here it is bytes and text in, values out.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import cast
from urllib.parse import urljoin, urlsplit

import yaml
from PIL import Image as PILImage
from PIL.IcoImagePlugin import IcoImageFile

from ..errors import ImageError
from ..models import Image
from ..taxonomy import Organization

LOGO_SIZES = (50, 400)
LOGO_URL_PREFIX = "/assets/images/organizations"
LARGE_ICON = 400
APPLE_TOUCH_SIZE = 180
MIN_ICON_SIZE = 16
MAX_ICON_PIXELS = 4096 * 4096
MAX_HEAD_CHARS = 300_000
JPEG_QUALITY = 90
# Raster formats only: Pillow hands EPS to Ghostscript, and SVG it cannot draw at all.
ICON_FORMATS = ("PNG", "ICO", "JPEG", "GIF", "WEBP", "BMP")
ICON_RELS = frozenset({"icon", "apple-touch-icon", "apple-touch-icon-precomposed"})
SVG_TYPES = frozenset({"image/svg+xml", "image/svg"})
WHITE = (255, 255, 255)

_SIZE = re.compile(r"^(\d{1,5})[xX](\d{1,5})$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*$")
_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.IGNORECASE)


@dataclass(frozen=True)
class IconCandidate:
    """One icon a site offers; ``size`` is its declared (largest square) edge, 0 if unknown.

    ``kind`` is ``apple-touch-icon``, ``icon``, ``manifest`` or ``favicon`` (the implicit
    ``/favicon.ico`` and ``/apple-touch-icon.png`` nobody linked).
    """

    url: str
    kind: str
    size: int = 0
    implicit: bool = False


@dataclass(frozen=True)
class IconLinks:
    """What a home page says about its icons: the links in order, and its manifest."""

    icons: tuple[IconCandidate, ...] = ()
    manifest_url: str | None = None


# --- finding -------------------------------------------------------------------------------


class _LinkParser(HTMLParser):
    """Collects ``<base href>`` and ``<link>`` attributes; tolerant of any markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "").strip() for k, v in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "link" and values.get("href"):
            self.links.append(values)

    handle_startendtag = handle_starttag


def find_icon_links(html: str, page_url: str) -> IconLinks:
    """Read the icon links and the manifest link of a home page, resolved against its URL.

    ``mask-icon`` (Safari's one-colour SVG) and SVG icons are left out: neither is a logo
    Pillow can draw. Links that are not http(s) (``data:``, ``javascript:``) are ignored.
    """
    parser = _LinkParser()
    head = html[:MAX_HEAD_CHARS]
    end = _HEAD_END.search(head)
    try:
        parser.feed(head[: end.end()] if end else head)
        parser.close()
    except (AssertionError, ValueError):  # the stdlib parser's rare complaints
        pass
    base = _resolve(page_url, parser.base) or page_url
    icons: list[IconCandidate] = []
    manifest: str | None = None
    for link in parser.links:
        rels = set(link.get("rel", "").lower().split())
        url = _resolve(base, link["href"])
        if url is None:
            continue
        if "manifest" in rels and manifest is None:
            manifest = url
        kind = _icon_kind(rels)
        if kind and not _is_svg(url, link.get("type", "")):
            icons.append(IconCandidate(url=url, kind=kind, size=parse_sizes(link.get("sizes", ""))))
    return IconLinks(icons=tuple(icons), manifest_url=manifest)


def find_manifest_icons(data: bytes, manifest_url: str) -> tuple[IconCandidate, ...]:
    """The raster icons of a web app manifest (W3C Web App Manifest ``icons``); () if unreadable."""
    try:
        manifest = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return ()
    icons = manifest.get("icons") if isinstance(manifest, dict) else None
    if not isinstance(icons, list):
        return ()
    found: list[IconCandidate] = []
    for item in icons:
        if not isinstance(item, dict) or not isinstance(item.get("src"), str):
            continue
        purpose = str(item.get("purpose") or "any").lower().split()
        url = _resolve(manifest_url, item["src"])
        if url is None or ("monochrome" in purpose and "any" not in purpose):
            continue
        if not _is_svg(url, str(item.get("type") or "")):
            found.append(IconCandidate(url, "manifest", parse_sizes(str(item.get("sizes") or ""))))
    return tuple(found)


def parse_sizes(sizes: str) -> int:
    """The largest square edge in a ``sizes`` attribute (``"16x16 32x32"`` → 32); 0 if none.

    A non-square entry counts by its shorter edge; ``any`` (a vector icon) counts as unknown.
    """
    best = 0
    for token in sizes.split():
        match = _SIZE.match(token)
        if match:
            best = max(best, min(int(match.group(1)), int(match.group(2))))
    return best


def rank_icons(icons: Iterable[IconCandidate], home_url: str) -> tuple[IconCandidate, ...]:
    """Icons in the order to try them, best first, each URL once.

    Large square rasters (declared ≥ 400) first, largest first; then apple-touch-icons
    (180x180 by Apple's convention when undeclared), including the implicit
    ``/apple-touch-icon.png``; then other icons by declared size; ``/favicon.ico`` last.
    """
    root = _origin(home_url)
    implicit = [
        IconCandidate(root + "/apple-touch-icon.png", "apple-touch-icon", 0, implicit=True),
        IconCandidate(root + "/favicon.ico", "favicon", 0, implicit=True),
    ]
    ordered = sorted(enumerate([*icons, *implicit]), key=lambda pair: _rank_key(*pair))
    seen: set[str] = set()
    ranked: list[IconCandidate] = []
    for _, icon in ordered:
        if icon.url not in seen:
            seen.add(icon.url)
            ranked.append(icon)
    return tuple(ranked)


def _rank_key(position: int, icon: IconCandidate) -> tuple[int, int, int]:
    if icon.size >= LARGE_ICON:
        return (0, -icon.size, position)
    if icon.kind == "apple-touch-icon":
        return (1, int(icon.implicit), -(icon.size or APPLE_TOUCH_SIZE))
    if icon.kind == "favicon":
        return (3, 0, position)
    return (2, -icon.size, position)


def _icon_kind(rels: set[str]) -> str | None:
    if "mask-icon" in rels:
        return None
    if rels & {"apple-touch-icon", "apple-touch-icon-precomposed"}:
        return "apple-touch-icon"
    if "icon" in rels:  # also "shortcut icon"
        return "icon"
    return None


def _is_svg(url: str, media_type: str) -> bool:
    path = urlsplit(url).path.lower()
    return media_type.lower().split(";")[0].strip() in SVG_TYPES or path.endswith((".svg", ".svgz"))


def _resolve(base: str, href: str | None) -> str | None:
    """An absolute http(s) URL for ``href``, or None."""
    if not href:
        return None
    try:
        url = urljoin(base, href.strip())
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return url


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def home_url_of(article_url: str) -> str | None:
    """The provider's home page for an article: its scheme and host (and port), path ``/``."""
    try:
        parts = urlsplit(article_url.strip())
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/"


# --- rendering ----------------------------------------------------------------------------


def render_logos(data: bytes) -> dict[int, bytes]:
    """Decode an icon and return JPEG bytes for each of :data:`LOGO_SIZES`, keyed by edge.

    ICO files give their largest frame, animations their first; transparency is flattened
    onto white and a non-square icon is padded (not cropped: a wordmark keeps its ends).

    Raises:
        ImageError: not a raster image (HTML, SVG, EPS...), broken, tiny, blank or huge.
    """
    square = _square(_flatten(_decode(data)))
    out: dict[int, bytes] = {}
    for size in LOGO_SIZES:
        buf = io.BytesIO()
        square.resize((size, size), PILImage.Resampling.LANCZOS).save(
            buf, "JPEG", quality=JPEG_QUALITY, optimize=True
        )
        out[size] = buf.getvalue()
    return out


def _decode(data: bytes) -> PILImage.Image:
    if not data:
        raise ImageError("empty icon body")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            img = PILImage.open(io.BytesIO(data), formats=ICON_FORMATS)
            if isinstance(img, IcoImageFile):
                img.size = max(img.info.get("sizes") or {img.size}, key=lambda s: s[0] * s[1])
            width, height = img.size
            if width * height > MAX_ICON_PIXELS:
                raise ImageError(f"icon too large: {width}x{height}")
            if min(width, height) < MIN_ICON_SIZE:
                raise ImageError(f"icon too small: {width}x{height}")
            img.seek(0)
            img.load()
    except ImageError:
        raise
    except Exception as e:
        raise ImageError(f"not a decodable icon: {type(e).__name__}: {e}") from e
    return img


def _flatten(img: PILImage.Image) -> PILImage.Image:
    """RGB on white; a blank (one-colour) result is refused."""
    rgba = img.convert("RGBA")
    flat = PILImage.new("RGB", rgba.size, WHITE)
    flat.paste(rgba, mask=rgba.getchannel("A"))
    bands = cast(tuple[tuple[int, int], ...], flat.getextrema())  # RGB: one pair per band
    if all(low == high for low, high in bands):
        raise ImageError("icon is blank (a single colour)")
    return flat


def _square(img: PILImage.Image) -> PILImage.Image:
    width, height = img.size
    if width == height:
        return img
    edge = max(width, height)
    canvas = PILImage.new("RGB", (edge, edge), WHITE)
    canvas.paste(img, ((edge - width) // 2, (edge - height) // 2))
    return canvas


# --- the organizations file ----------------------------------------------------------------


def is_valid_domain(domain: str) -> bool:
    """Whether ``domain`` can name an organization: lowercase labels, safe as a file name.

    IP addresses and single-label hosts (``localhost``) are refused: every site on them
    would share one organization, and so one name and logo.
    """
    if len(domain) > 253 or not _DOMAIN.match(domain) or "." not in domain:
        return False
    return not domain.rsplit(".", 1)[1].isdigit()  # no top-level domain is numeric


def logo_filename(domain: str, size: int) -> str:
    """The cached logo's file name, as in the seed: ``<domain>-<w>x<h>.jpg``."""
    return f"{domain}-{size}x{size}.jpg"


def organization_for(
    domain: str, name: str, url_prefix: str = LOGO_URL_PREFIX, *, curated: bool = True
) -> Organization:
    """The organization a new logo makes: its name, domain and both logo images."""
    prefix = url_prefix.rstrip("/")
    images = tuple(Image(f"{prefix}/{logo_filename(domain, s)}", s, s) for s in LOGO_SIZES)
    name = _one_line(name) or domain
    return Organization(id=domain, name=name, domain=domain, images=images, curated=curated)


def organization_text(org: Organization) -> str:
    """The ``_data/organizations/<domain>.md`` file in the seed's layout and key order."""
    lines = [
        "---",
        "taxonomy: organization",
        f"_id: {_scalar(org.id)}",
        f"name: {_scalar(org.name)}",
    ]
    if org.other_names:
        lines += ["otherNames:", *(f"  - {_scalar(n)}" for n in org.other_names)]
    lines.append(f"domain: {_scalar(org.domain)}")
    if org.description:
        lines.append(f"description: {_scalar(org.description)}")
    if org.images:
        lines.append("images:")
        for image in org.images:
            lines.append(f"  - url: {_scalar(image.url)}")
            if image.width is not None and image.height is not None:
                lines += [f"    width: {image.width}", f"    height: {image.height}"]
    if not org.curated:
        lines.append("curated: false")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _scalar(value: str) -> str:
    """Plain when YAML reads it back as the same string (as the seed writes), else quoted."""
    text = _one_line(value)
    if text and text[0] not in "-?:,[]{}#&*!|>'\"%@`" and ": " not in text and " #" not in text:
        try:
            if yaml.safe_load(f"k: {text}\n") == {"k": text}:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text)  # ASCII escapes: YAML refuses some raw code points (NEL, C1)
