"""Parse untrusted XML (OPML, sitemaps) without entity tricks, and sniff a document's root.

Source files come from strangers. Like defusedxml's ``forbid_entities``, a document that
declares entities is refused outright: no feed format needs them, and refusing closes
both the "billion laughs" expansion and XXE (external entities reading local files).
"""

from __future__ import annotations

import re

from lxml import etree

from ..errors import ParseError

# XML declaration, comments, processing instructions and a doctype may come before the
# root element; its (optionally prefixed) name follows.
_PROLOG_ROOT = re.compile(
    rb"""\A\s*
    (?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)*
    <(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)""",
    re.DOTALL | re.VERBOSE,
)
_HTML_DOCTYPE = re.compile(rb"\A\s*(?:<!--.*?-->\s*)*<!DOCTYPE\s+html\b", re.DOTALL | re.IGNORECASE)
_SNIFF_BYTES = 8192


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _ascii_prefix(content: bytes) -> bytes:
    """Return the start of the document as ASCII-compatible bytes (UTF-16 BOMs decoded)."""
    head = content[:_SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", "replace").encode("utf-8", "replace")
    return head.removeprefix(b"\xef\xbb\xbf")


def root_name(content: bytes) -> str | None:
    """Return the local name of the root element, or None when the prolog cannot be read."""
    match = _PROLOG_ROOT.match(_ascii_prefix(content))
    return match[1].decode("ascii", "replace") if match else None


def is_html_page(content: bytes) -> bool:
    """Tell whether the bytes are an HTML page (an HTML doctype or an ``<html>`` root)."""
    head = _ascii_prefix(content)
    if _HTML_DOCTYPE.match(head):
        return True
    name = root_name(head)
    return name is not None and name.lower() in ("html", "head", "body")


def parse_xml(content: bytes, what: str) -> etree._Element:
    """Parse bytes as XML and return the root element, refusing entity declarations.

    Raises:
        ParseError: the bytes are not well-formed XML or declare entities.
    """
    if not content.strip():
        raise ParseError(f"{what}: empty document")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as e:
        raise ParseError(f"{what}: not well-formed XML ({e})") from e
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ParseError(f"{what}: entity declarations are not allowed")
    return root


def local_name(el: etree._Element) -> str:
    """Return an element's tag without its namespace (sitemaps use several namespaces)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def child_text(el: etree._Element, name: str) -> str | None:
    """Return the stripped text of the first child with local name ``name``."""
    for child in el:
        if local_name(child) == name:
            text = "".join(child.itertext()).strip()
            return text or None
    return None
