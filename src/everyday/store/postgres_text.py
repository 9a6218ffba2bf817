"""How text becomes PostgreSQL full-text lexemes: one tokenizer for articles and searches.

SQLite's FTS5 index splits and folds text itself (``unicode61 remove_diacritics 2``:
runs of letters and digits, lower case, accents removed). For PostgreSQL the same rules
run here, in Python, on both sides: an article's title, excerpt and text become a
``tsvector`` literal (:func:`search_vector`) and each search word the lexemes of a
``tsquery`` (:func:`lexemes`). Nothing depends on the server's text search
configuration, dictionaries or locale, so the words an article is found by are the
ones SQLite finds it by, and a search can never be parsed as query syntax.

Limits of ``tsvector`` (PostgreSQL docs §8.11.1, §12.11): positions run to 16,383
(later words keep their lexemes at position 16,383, so a phrase that far into a text
is not found), a lexeme is at most 2,047 bytes, and the vector as stored (lexemes and
positions) under 1 MiB; a word or a position past those limits is left out of it. So
a text of more than some 100,000 distinct words is not searchable to its end, where
SQLite's index has no such limit.
"""

from __future__ import annotations

import re
import unicodedata

# The letters and digits FTS5's unicode61 keeps (the same pattern as serve.search).
WORD = re.compile(r"[^\W_]+")
MAX_POSITION = 16383
MAX_POSITIONS = 256  # per lexeme; PostgreSQL keeps no more
MAX_LEXEME_BYTES = 2046
MAX_VECTOR_BYTES = 1_000_000  # as stored (lexemes and positions); the limit is 1 MiB
# Title words weigh most, then the excerpt, then the body (labels A, B, D: see ranking
# in :mod:`.postgres_search`). The gap keeps a phrase from spanning two fields.
FIELDS = ("A", "B", "")
FIELD_GAP = 2


def fold(text: str) -> str:
    """Lower case without accents: ``Été`` -> ``ete``, as FTS5's ``remove_diacritics``."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


def lexemes(text: str) -> list[str]:
    """The words of ``text`` as the index holds them, in order."""
    return WORD.findall(fold(text))


def quote(lexeme: str) -> str:
    """A lexeme as a ``tsvector``/``tsquery`` literal (quotes and backslashes doubled)."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def search_vector(title: str, excerpt: str, text: str) -> str:
    """The ``tsvector`` literal of an article: every word with its positions and weight."""
    places: dict[str, list[tuple[int, str]]] = {}
    size = 0  # bytes of the stored vector: lexemes, position counts, positions
    position = 0
    for label, field in zip(FIELDS, (title, excerpt, text), strict=True):
        for word in lexemes(field):
            position = min(position + 1, MAX_POSITION)
            seen = places.get(word)
            if seen is None:
                length = len(word.encode("utf-8"))
                cost = length + 3  # an alignment byte, the position count
                if length > MAX_LEXEME_BYTES or size + cost + 2 > MAX_VECTOR_BYTES:
                    continue
                size += cost
                seen = places[word] = []
            full = len(seen) >= MAX_POSITIONS or size + 2 > MAX_VECTOR_BYTES
            if not full and (not seen or seen[-1][0] != position):
                seen.append((position, label))
                size += 2
        position += FIELD_GAP
    return " ".join(
        quote(word) + ":" + ",".join(f"{p}{label}" for p, label in seen)
        for word, seen in places.items()
    )
