"""Turn an article page's HTML into a :class:`~everyday.models.Page`: main text plus metadata.

The HTML is parsed once (with trafilatura's own loader, so the tree is exactly the one
trafilatura would build). :func:`read_metadata` reads that tree first; then the elements
trafilatura would delete anyway (``head``, ``script``, ``style``...) are dropped, which
makes the copy trafilatura takes of a tree it is given cheaper, and the same tree goes to
:func:`trafilatura.bare_extraction` (same text as giving it the string: checked by
``bench/bench_extract.py`` on 100 pages). trafilatura runs with precision favoured, no
comments, no images/links and ``with_metadata=False`` (our reader covers titles and dates
without htmldate's slower heuristics), and ``fast=True``: its justext fallback is quadratic
in the number of paragraphs (measured: a 1.5 MB page with 20,000 comment divs took 31 s and
returned the comments as the article; with ``fast`` 0.95 s and the right text).

Input rules (decided here, relied on by the pipeline):

* ``bytes`` are decoded as browsers do: BOM > ``encoding`` argument (the HTTP charset) >
  ``<meta charset>`` / ``<?xml encoding?>`` > UTF-8 > windows-1252 (WHATWG maps
  ISO-8859-1 and ASCII labels to windows-1252).
* Input longer than :data:`MAX_HTML_SIZE` (5 M chars, counted after decoding) is
  cut there before parsing: article text sits near the top and libxml2's time grows with
  size. The fetch seam caps bodies at 10 MB, so the cut only bites on freak pages.
* Empty, whitespace-only or tag-less input gives a Page with empty text (nothing to say,
  not an error).
* Clearly binary input (PDF, images, archives, NUL bytes in the first KB) raises
  :class:`~everyday.errors.ParseError`: the fetcher handed over something that is not a page,
  which the caller should record against the source rather than store as an empty article.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree

from .. import charset
from ..domains import registrable_domain
from ..errors import ParseError
from ..models import Page
from .metadata import read_metadata

log = logging.getLogger(__name__)

MAX_HTML_SIZE = 5_000_000
# One place for trafilatura's options: bench/bench_extract.py times the same call.
TRAFILATURA_OPTIONS: dict[str, object] = {
    "favor_precision": True,
    "fast": True,  # skip justext/readability fallbacks: justext is quadratic in paragraphs
    "include_comments": False,
    "include_tables": True,
    "include_images": False,
    "include_links": False,
    "with_metadata": False,
    "deduplicate": False,
}
# Deleted from our tree once metadata is read, before trafilatura copies it: trafilatura
# deletes all but <template> itself (MANUALLY_CLEANED), so its text is unchanged and the
# copy and cleaning get cheaper. <template> is inert in browsers but trafilatura keeps its
# text (MANUALLY_STRIPPED), so deleting it here also keeps templated widgets out.
_NOT_PROSE = (
    "head", "script", "style", "noscript", "template", "svg", "iframe", "embed", "object",
    "canvas", "video", "audio", "select", "textarea",
)  # fmt: skip
# PDF, PNG, GIF, JPEG, ZIP/Office, gzip (the fetch seam decodes Content-Encoding), RIFF/WebP.
_BINARY_MAGIC = (
    b"%PDF-",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
)


def extract_page(html: str | bytes, url: str, encoding: str | None = None) -> Page:
    """Extract the main text and metadata of an article page.

    Args:
        html: the page markup, decoded or raw bytes.
        url: the final URL the page was fetched from (after redirects).
        encoding: charset from the HTTP Content-Type header, used for ``bytes`` only.

    Returns:
        A :class:`Page`; ``text`` is ``""`` when no article text was found.

    Raises:
        ParseError: the input is binary (PDF, image, archive), not HTML.
    """
    markup = decode_html(html, encoding) if isinstance(html, bytes) else _check_text(html)
    if len(markup) > MAX_HTML_SIZE:
        log.info("page cut url=%s chars=%d cap=%d", url, len(markup), MAX_HTML_SIZE)
        markup = markup[:MAX_HTML_SIZE]
    if "<" not in markup:
        return Page(url=url)
    tree = trafilatura.load_html(markup)
    if tree is None:
        log.debug("not a parsable page url=%s", url)
        return Page(url=url)
    meta = read_metadata(tree, url)
    etree.strip_elements(tree, *_NOT_PROSE, with_tail=False)
    text = _main_text(tree, url)
    return Page(
        url=url,
        title=meta.title,
        description=meta.description,
        text=text,
        canonical_url=choose_canonical(meta.canonical_candidates, url),
        image_url=meta.image_url,
        site_name=meta.site_name,
        published=meta.published,
        modified=meta.modified,
        authors=meta.authors,
        language=meta.language,
        amp_url=meta.amp_url,
    )


def _main_text(tree: lxml.html.HtmlElement, url: str) -> str:
    try:
        document = trafilatura.bare_extraction(tree, url=url, **TRAFILATURA_OPTIONS)  # type: ignore[arg-type]
    except (ValueError, TypeError, RecursionError) as e:  # trafilatura's own guards leak these
        log.warning("text extraction failed url=%s error=%s", url, e)
        return ""
    text = getattr(document, "text", None) if document is not None else None
    return text.strip() if isinstance(text, str) else ""


def choose_canonical(candidates: tuple[str, ...] | list[str], fetched_url: str) -> str | None:
    """The first candidate that is a plausible canonical of ``fetched_url``, else None."""
    return next((c for c in candidates if is_sensible_canonical(c, fetched_url)), None)


def is_sensible_canonical(candidate: str, fetched_url: str) -> bool:
    """True for an http(s) URL on the same site that is not the home page of an article.

    Cross-site canonicals are refused: the seed's webUrl/originalUrl mismatches
    (beckershospitalreview.com -> pwc.com) are resolution errors, and a canonical to
    the home page is a common CMS misconfiguration that would merge every article.
    """
    try:
        cand, fetched = urlsplit(candidate), urlsplit(fetched_url)
    except ValueError:
        return False
    if cand.scheme not in ("http", "https") or not cand.hostname:
        return False
    if fetched.hostname and registrable_domain(cand.hostname) != registrable_domain(
        fetched.hostname
    ):
        return False
    return not (_is_home(cand.path, cand.query) and not _is_home(fetched.path, fetched.query))


def _is_home(path: str, query: str) -> bool:
    return not query and re.fullmatch(r"/?([a-z]{2}([-_][a-z]{2})?/?)?", path.lower()) is not None


def decode_html(data: bytes, encoding: str | None = None) -> str:
    """Decode page bytes as a browser would (:mod:`everyday.charset`).

    Raises:
        ParseError: the bytes are a known binary format or hold NUL bytes.
    """
    head = data[:1024]
    if head.startswith(_BINARY_MAGIC) or (b"\x00" in head and charset.bom_codec(head) is None):
        raise ParseError(f"not HTML: binary content starting {data[:8]!r}")
    return charset.decode(data, encoding)


def _check_text(markup: str) -> str:
    if "\x00" in markup[:1024] or markup.startswith("%PDF-"):
        raise ParseError("not HTML: binary content in text input")
    return markup
