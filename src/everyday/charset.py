"""Bytes to text the way browsers do it, for feeds, pages and robots.txt alike.

Order (WHATWG Encoding Standard, simplified): a byte-order mark wins; then the charset the
server declared; then one declared in the document (``<?xml encoding>``, ``<meta
charset>``); then UTF-8; then windows-1252, which decodes any byte. Labels that browsers
read as a superset (latin-1, ascii, gb2312) are widened, and a document that can say
"utf-16" in ASCII is not UTF-16. Never raises: wrong or missing charsets are the norm.
"""

from __future__ import annotations

import codecs
import logging
import re

log = logging.getLogger(__name__)

BOMS = (  # UTF-32 first: its little-endian mark starts like UTF-16's
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", re.I)
# Python codec names (after codecs.lookup) that browsers read as a wider encoding.
_WEB_ALIASES = {
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def codec_for(label: str | None) -> str | None:
    """Python codec name for a charset label as a browser reads it, or None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _WEB_ALIASES.get(name, name)


def bom_codec(data: bytes) -> str | None:
    """The encoding a byte-order mark announces, if the data starts with one."""
    return next((name for bom, name in BOMS if data.startswith(bom)), None)


def sniff_charset(data: bytes) -> str | None:
    """Charset from a BOM, an XML declaration or a ``<meta charset>`` near the start."""
    bom = bom_codec(data)
    if bom:
        return bom
    head = data[:4096]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    codec = codec_for(match.group(1).decode("ascii")) if match else None
    return "utf-8" if codec and codec.startswith("utf-16") else codec


def decode(data: bytes, declared: str | None = None) -> str:
    """Decode ``data`` (see the module docstring for the order); never raises."""
    bom = bom_codec(data)
    if bom:
        return data.decode(bom, errors="replace").lstrip("\ufeff")
    candidates = (codec_for(declared), sniff_charset(data), "utf-8")
    for codec in dict.fromkeys(c for c in candidates if c):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            log.debug("charset does not fit the bytes codec=%s", codec)
    return data.decode("cp1252", errors="replace")
