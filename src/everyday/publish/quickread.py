"""A fast reader for record files in the canonical layout, exactly as format_record writes it.

The YAML parser costs about 0.13 ms a record, most of a from-scratch build of a big hub.
Records that everyday wrote are in one fixed layout (:mod:`everyday.records.layout`), which
a few compiled patterns take apart: one for the whole file, one per repeated entry (image,
related). The patterns follow ``format_record`` line for line (key order, indents, blank
lines, which keys are optional) and every value is checked to be written the way
``format_record`` writes it (quoting, escapes, integers, datetimes), so a text is accepted
only if ``format_record(result) == text``; the tests check that equality on every text
they accept. The layout round-trips (``parse_record(format_record(r)) == r``) except for
records the YAML parser reads differently or refuses (an empty ``category`` or ``type``
becomes the default; no topics, no URL or an escaped surrogate is an error), which are
refused here, so an accepted record is exactly the one the YAML parser would return.
Anything else (hand edits, legacy keys, extra keys, another layout) returns None and goes
to :func:`everyday.records.frontmatter.parse_record`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from everyday.models import Image, Provider, Record, Related
from everyday.records.layout import NEVER_RAW, is_plain_safe, quote

_Q = r'(".*")'  # a double-quoted string: checked by _quoted
_P = r"(.*)"  # plain, or double-quoted when plain would read as something else: _plain
_I = r"(0|-?[1-9][0-9]*)"  # an integer as str(int) writes it
# format_datetime: seconds always, a fraction without trailing zeros, years from 1000.
_T = r"([1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{0,5}[1-9])?Z)"


def _image_pattern(ind: str) -> re.Pattern[str]:
    """One image entry of a block list whose ``- `` sits at ``ind``."""
    return re.compile(
        rf"{ind}- url: {_Q}\n"
        rf"(?:{ind}  width: {_I}\n)?"
        rf"(?:{ind}  height: {_I}\n)?"
        rf"(?:{ind}  isCached: (true|false)\n)?"
        rf"(?:{ind}  title: {_Q}\n)?"
    )


# Indent of an image list's "- " -> its entry pattern: a record's images, provider logos,
# a related entry's images, a related provider's logos.
_IMAGE = {len(ind): _image_pattern(ind) for ind in ("  ", "    ", "      ", "        ")}

# A list block is captured whole (its lines by indent) and split by the entry patterns.
_RECORD = re.compile(
    rf"---\ncategory: {_P}\ntitle: {_Q}\nexcerpt: {_Q}\npublishedDateTime: {_T}\n"
    rf"(?:originalUrl: {_Q}\n)?"
    rf"(?:webUrl: {_Q}\n)?"
    rf"(?:ampWebUrl: {_Q}\n)?"
    rf"(?:cdnAmpWebUrl: {_Q}\n)?"
    rf"type: {_P}\n"
    rf"(?:quality: {_I}\n)?"
    rf"(?:heat: {_I}\n)?"
    r"(?:published: (true|false)\n)?"
    rf"\nprovider:\n  name: {_P}\n  domain: {_P}\n"
    r"(?:  images:\n((?:    .*\n)+))?"
    r"\ntopics:\n((?:  - .*\n)+)"  # the YAML parser refuses a record without topics
    r"(?:\nimages:\n((?:  .*\n)+))?"
    r"(?:\nrelated:\n((?:  .*\n)+))?"
    rf"(?:\nsecured: {_Q}\n)?"
    r"---\n\n"
)

_RELATED = re.compile(
    rf"  - title: {_Q}\n    excerpt: {_Q}\n    publishedDateTime: {_T}\n    webUrl: {_Q}\n"
    rf"(?:    ampWebUrl: {_Q}\n)?"
    rf"(?:    cdnAmpWebUrl: {_Q}\n)?"
    rf"    type: {_P}\n"
    rf"(?:    provider:\n      name: {_P}\n      domain: {_P}\n"
    r"(?:      images:\n((?:        .*\n)+))?)?"
    rf"(?:    quality: {_I}\n)?"
    r"(?:    images:\n((?:      .*\n)+))?"
)

_ASCII_RAW = b"\n" + bytes(range(0x20, 0x7F))  # the ASCII that NEVER_RAW allows
_SURROGATE = re.compile("[\ud800-\udfff]")
_BOOL = {"true": True, "false": False, None: None}


class _Unsure(Exception):
    """The text is not exactly what format_record writes, or YAML would read it otherwise."""


def quick_record(text: str) -> Record | None:
    """The record in ``text`` if it is in the canonical layout, else None."""
    if _has_never_raw(text):
        return None  # also makes a quoted value without a backslash canonical
    match = _RECORD.fullmatch(text)
    if match is None:
        return None
    try:
        return _record(match)
    except (_Unsure, ValueError):
        return None


def _has_never_raw(text: str) -> bool:
    if text.isascii():  # deleting the allowed bytes is three times faster than the regex
        return bool(text.encode("ascii").translate(None, _ASCII_RAW))
    return NEVER_RAW.search(text) is not None


def _record(match: re.Match[str]) -> Record:
    (category, title, excerpt, when, original, web, amp, cdn, kind, quality, heat, published,
     name, domain, logos, topics, images, related, secured) = match.groups()  # fmt: skip
    original_url = _opt_quoted(original)
    web_url = "" if web is None else _nonempty(_quoted(web))  # "" is not written
    if not (web_url or original_url):
        raise _Unsure("no URL")  # the YAML parser refuses the file
    return Record(
        title=_quoted(title),
        excerpt=_quoted(excerpt),
        published=_moment(when),
        web_url=web_url,
        provider=Provider(_plain(name), _plain(domain), _images(logos, 4)),
        original_url=original_url,
        category=_nonempty(_plain(category)),
        type=_nonempty(_plain(kind)),
        amp_web_url=_opt_quoted(amp),
        cdn_amp_web_url=_opt_quoted(cdn),
        quality=_int(quality),
        heat=_int(heat),
        is_published=_BOOL[published],
        topics=tuple(map(_plain, topics[4:-1].split("\n  - "))),
        images=_images(images, 2),
        related=None if related is None else _related(related),
        secured=_opt_quoted(secured),
    )


def _related(block: str) -> tuple[Related, ...]:
    entries = []
    pos = 0
    while pos < len(block):
        match = _RELATED.match(block, pos)
        if match is None:
            raise _Unsure(block[pos:])
        pos = match.end()
        (title, excerpt, when, web, amp, cdn, kind, name, domain, logos, quality,
         images) = match.groups()  # fmt: skip
        provider = None
        if name is not None and domain is not None:
            provider = Provider(_plain(name), _plain(domain), _images(logos, 8))
        entries.append(
            Related(
                title=_quoted(title),
                excerpt=_quoted(excerpt),
                published=_moment(when),
                web_url=_quoted(web),
                type=_nonempty(_plain(kind)),
                provider=provider,
                quality=_int(quality),
                amp_web_url=_opt_quoted(amp),
                cdn_amp_web_url=_opt_quoted(cdn),
                images=_images(images, 6),
            )
        )
    return tuple(entries)


def _images(block: str | None, indent: int) -> tuple[Image, ...]:
    if block is None:
        return ()
    pattern = _IMAGE[indent]
    images = []
    pos = 0
    while pos < len(block):
        match = pattern.match(block, pos)
        if match is None:
            raise _Unsure(block[pos:])
        pos = match.end()
        url, width, height, cached, title = match.groups()
        image = Image(_quoted(url), _int(width), _int(height), _BOOL[cached], _opt_quoted(title))
        images.append(image)
    return tuple(images)


def _quoted(raw: str) -> str:
    """A value written by :func:`quote`: ``"..."`` around the text, or around its escapes."""
    inner = raw[1:-1]
    if "\\" not in inner:
        # quote() would escape a '"'; the caller has refused NEVER_RAW characters.
        if '"' in inner or len(raw) < 2 or raw[-1] != '"':
            raise _Unsure(raw)
        return inner
    value = json.loads(raw)  # JSON reads quote()'s escapes as YAML does, but surrogates:
    if not isinstance(value, str) or quote(value) != raw or _SURROGATE.search(value):
        raise _Unsure(raw)  # libyaml refuses escaped surrogates; JSON joins a pair of them
    return value


def _opt_quoted(raw: str | None) -> str | None:
    return None if raw is None else _quoted(raw)


def _plain(raw: str) -> str:
    """A value written by ``layout._plain``: as is when YAML reads it back as the same text."""
    if raw.startswith('"'):
        value = _quoted(raw)
        if is_plain_safe(value):
            raise _Unsure(raw)  # format_record would not quote it
        return value
    if not is_plain_safe(raw):
        raise _Unsure(raw)
    return raw


def _nonempty(value: str) -> str:
    if not value:
        raise _Unsure("empty")  # the YAML parser reads an empty category or type as the default
    return value


def _int(raw: str | None) -> int | None:
    return None if raw is None else int(raw)


def _moment(raw: str) -> datetime:
    value = datetime.fromisoformat(raw)  # _T admits only format_datetime's spelling
    if value.tzinfo is not UTC:
        raise _Unsure(raw)
    return value
