"""Make a record's ``excerpt`` the way the seed's are: a clean description, cut at a word.

Measured on the corpus (``../shared/corpus``, SCHEMA.md §i; ai 93 records, powerapps 674):

* Excerpts that end with an ellipsis end with exactly ``" ..."`` (space + three dots):
  ai 48/93, powerapps 52/674; never ``"..."`` glued to a word, never ``"…"`` (one stray
  publisher ``&hellip;`` aside).
* Their total length, ellipsis included, is at most 260 chars: two caps show up, 200
  (ai 30 of 48, mostly the 2021-03 import) and 260 (every such excerpt from 2022 on, both
  sites). Lengths cluster just under the cap (182-200, 247-260): the text is filled up to
  the cap, then cut back to the last whole word.
* The character before ``" ..."`` is a letter or digit in 100/100: a cut word is dropped
  whole, and so is punctuation before the cut ("(ML) engineers" -> "(ML ...",
  "time-to-market" -> "time-to ...").
* Excerpts without an ellipsis are the provider's description kept whole (ai: 88/93 are
  <= 260 chars, longest 306; powerapps copied feed summaries cut to ~300 with entities and
  ``\\r\\n`` left in, which we do not copy: entities are unescaped and whitespace collapsed).
* Junk exists (newsletter sign-up text, FT's "Keep abreast of significant ...", "Disclaimer |
  Commerce Policy | ...", "Please select sign in to continue", "NA"); we fall back to the
  article's text for those instead of publishing them.

So :data:`DEFAULT_MAX_LENGTH` is 260 and :func:`truncate` reproduces the cut exactly.
"""

from __future__ import annotations

import html
import re

ELLIPSIS = " ..."
DEFAULT_MAX_LENGTH = 260

_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)
_TRAILERS = re.compile(
    r"\s*(\[(…|\.\.\.)\]|The post .{1,300}? appeared first on .{1,120}?"
    r"|(Continue reading|Read more|Read the full (story|article))\b.{0,80}?)\s*$",
    re.I,
)
_GLUED_ELLIPSIS = re.compile(r"\s*(\.\.\.|…)$")
_NOT_WORD_TAIL = re.compile(r"[\W_]+$")
_WORD_TAIL = re.compile(r"[^\W_]+$")
_PLACEHOLDERS = frozenset({"na", "n/a", "none", "null", "undefined", "placeholder", "english"})
_JUNK = re.compile(
    r"|".join(
        (
            r"\bcookies?\b.{0,80}\b(consent|accept|policy|settings|preferences|browsing|experience)",
            r"\b(we|this (web)?site) uses? cookies\b",
            r"\ba cookie is a small\b",
            r"\bif you (buy|purchase|click) (something|anything|on)\b",
            r"\b(may|might) (earn|receive|get) (a |an )?(small )?(affiliate )?commission",
            r"\baffiliate (link|commission)s?\b",
            r"^(to )?sign up for\b",
            r"\bsubscribe (now |today )?(to (read|continue)|for full access)\b",
            r"\bbecome an? .{0,30}subscriber\b",
            r"\bkeep abreast of significant\b",
            r"\b(enable|turn on|activate) javascript\b",
            r"\byour browser (is|does not|doesn't)\b",
            r"\b(please )?(select )?(sign|log) ?in to (continue|read|view)\b",
            r"\bsession id\b",
            r"\b(access denied|are you a robot|checking your browser|just a moment)\b",
            r"^(©|\(c\)|copyright)\s*(©\s*)?\d{4}\b",
            r"\ball rights reserved\b",
        )
    ),
    re.I,
)
_SHORT_LINE = 40  # text lines shorter than this without end punctuation are furniture
_SENTENCE_END = (".", "!", "?", '"', "”", "’", ":", ")")


def make_excerpt(
    description: str | None, text: str | None, max_length: int = DEFAULT_MAX_LENGTH
) -> str:
    """The excerpt of an article: its description, or its opening text when that is junk.

    Args:
        description: provider description (og:description, feed summary); may hold HTML.
        text: the article's main text, paragraphs separated by newlines.
        max_length: longest excerpt in chars, ``" ..."`` included.

    Returns:
        Plain text of at most ``max_length`` chars; ``""`` when neither input has prose.
    """
    cleaned = clean_description(description)
    if cleaned and not is_junk(cleaned):
        return truncate(cleaned, max_length)
    return truncate(lead_text(text, max_length), max_length)


def clean_description(value: str | None) -> str:
    """Unescape entities, drop tags and feed trailers ("[…]", "The post ... appeared first")."""
    if not value:
        return ""
    for _ in range(2):  # twice-escaped "&amp;#8217;" is common in CMS output
        if "&" not in value:
            break
        value = html.unescape(value)
    if "<" in value:
        value = _TAGS.sub(" ", value)
    value = " ".join(value.split())
    value = _TRAILERS.sub("", value)
    if _GLUED_ELLIPSIS.search(value):  # the publisher cut it: say so in the seed's style
        value = _NOT_WORD_TAIL.sub("", _GLUED_ELLIPSIS.sub("", value))
        return value + ELLIPSIS if value else ""
    return value


def is_junk(description: str) -> bool:
    """True for text that is not about the article: cookie notices, paywalls, placeholders."""
    stripped = description.strip()
    if stripped.casefold().rstrip(".") in _PLACEHOLDERS or len(stripped.split()) < 3:
        return True
    if stripped.count(" | ") >= 2:  # a row of footer links
        return True
    return _JUNK.search(stripped) is not None


def lead_text(text: str | None, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """Opening prose of an article: its first paragraphs, skipping headings and junk lines."""
    if not text:
        return ""
    kept: list[str] = []
    size = 0
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line or is_junk(line):
            continue
        if len(line) < _SHORT_LINE and not line.endswith(_SENTENCE_END):
            continue  # "Advertisement", "By Jane Doe", "Share this article", subheadings
        kept.append(line)
        size += len(line) + 1
        if size > max_length:
            break
    return " ".join(kept)


def truncate(text: str, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """Cut ``text`` to ``max_length`` chars at a word end, adding ``" ..."``, as the seed does.

    The kept part is the longest prefix that fits with the ellipsis, ends with a letter or
    digit, and does not split a word; punctuation before the cut is dropped.
    """
    if len(text) <= max_length:
        return text
    limit = max_length - len(ELLIPSIS)
    if limit <= 0:
        return text[:max_length]
    head = text[:limit]
    if text[limit].isalnum() and head[-1].isalnum():  # the cut falls inside a word
        head = _WORD_TAIL.sub("", head) or head  # one giant token: hard cut instead
    head = _NOT_WORD_TAIL.sub("", head) or text[:limit]
    return head + ELLIPSIS
