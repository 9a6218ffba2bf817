"""File names of news records: ``YYYY-MM-DD-<slug>.md``, the slug made the way the seed made it.

Rule, checked against every file name of the corpus (767/767, see ``tests/test_records_slug.py``):

1. If the title is longer than ``max_length`` (140) characters, cut it at the first space at or
   after that position (a title with no later space is kept whole). This explains the three
   long names: 143- and 140-character title prefixes cut, a 146-character title without a
   space after position 140 kept whole (slug of 144 characters).
2. Canonical decomposition (NFD) and drop what is not ASCII: ``é`` -> ``e`` while ``™`` and
   mojibake such as ``€˜`` vanish. SCHEMA.md says NFKD, but NFKD would turn ``™`` into ``tm``,
   which four corpus names contradict.
3. Lowercase, delete every character not in ``[a-z0-9 -]`` (``A.I.`` -> ``ai``), turn runs of
   spaces and hyphens into one ``-`` and trim hyphens at both ends.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date

_NOT_SLUG = re.compile(r"[^a-z0-9 -]")
_RUNS = re.compile(r"[ -]+")


def truncate_title(title: str, max_length: int = 140) -> str:
    """Cut ``title`` at the first space at or after ``max_length``, as the seed did."""
    if len(title) <= max_length:
        return title
    cut = title.find(" ", max_length)
    return title if cut < 0 else title[:cut]


def slugify(title: str, max_length: int = 140) -> str:
    """The slug of ``title``; may be empty when the title has no ASCII letters or digits."""
    text = unicodedata.normalize("NFD", truncate_title(title, max_length))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return _RUNS.sub("-", _NOT_SLUG.sub("", text)).strip("-")


def record_filename(record_date: date, title: str) -> str:
    """``YYYY-MM-DD-<slug>.md``; a title with no slug-able character gets a short hash instead.

    The hash keeps two non-Latin titles of the same day from colliding on one file name.
    """
    slug = slugify(title) or "news-" + hashlib.sha1(title.encode("utf-8")).hexdigest()[:12]
    return f"{record_date.isoformat()}-{slug}.md"
