"""Turn what a reader types into a safe search expression: SQLite FTS5 or PostgreSQL tsquery.

The syntax readers get (a small, forgiving subset of what search boxes accept)::

    robot arms            both words, anywhere (AND)
    "robot arms"          the phrase
    robo*                 words starting with "robo" (prefix: at least 2 letters)
    drones OR robots      either side of OR (upper case)
    -toys                 without the word (needs at least one word to look for)

Every word reaches FTS5 as a double-quoted string made of letters and digits only, so
nothing a reader types (``NEAR(``, ``:``, ``^``, ``" OR 1=1 --``) can become FTS5 syntax,
and the SQL around it takes the expression as a bound parameter. Anything we cannot
read is a :class:`QueryError` the API answers with 400 and the message.

The same terms become a PostgreSQL ``tsquery`` (:func:`parse_tsquery`) for a hub whose
index is there: each word folded and split by :mod:`everyday.store.postgres_text`, the
tokenizer the articles' vectors were made with, and quoted as a lexeme, so the one
syntax above means the same on both backends. (``websearch_to_tsquery`` reads a
different syntax, has no prefix search, and folds words by the server's configuration.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..store.postgres_text import lexemes, quote

MAX_QUERY_LENGTH = 256
MAX_TERMS = 16
MIN_PREFIX = 2
_WORD = re.compile(r"[^\W_]+")  # the letters and digits FTS5's unicode61 keeps
_CHUNK = re.compile(r'"[^"]*"?|[^\s"]+')


class QueryError(ValueError):
    """The search text cannot be read; the message says why, for the reader."""


@dataclass(frozen=True)
class Term:
    """One word or phrase: ``prefix`` on its last word; ``negated`` excludes it."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False

    def fts(self) -> str:
        """The FTS5 string for this term: a quoted phrase, ``*`` outside the quotes."""
        return '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")

    def tsquery(self) -> str:
        """The tsquery for this term: lexemes in a row (``<->``), ``:*`` on the last."""
        found = [lexeme for word in self.words for lexeme in lexemes(word)]
        found = found or [word.lower() for word in self.words]  # never empty
        parts = [quote(lexeme) for lexeme in found]
        if self.prefix:
            parts[-1] += ":*"
        phrase = " <-> ".join(parts)
        return phrase if len(parts) == 1 else f"({phrase})"


@dataclass(frozen=True)
class Search:
    """What a reader asked for: every group (any of its terms) and none of ``negated``."""

    groups: tuple[tuple[Term, ...], ...]
    negated: tuple[Term, ...] = ()


def parse_query(text: str) -> str:
    """A safe FTS5 expression for ``text``.

    Raises:
        QueryError: too long, unbalanced quotes, no word to look for, or too many terms.
    """
    search = parse_search(text)
    return _expression([list(g) for g in search.groups], list(search.negated))


def parse_tsquery(text: str) -> str:
    """A safe PostgreSQL ``tsquery`` literal for ``text`` (cast it with ``::tsquery``).

    Raises:
        QueryError: as :func:`parse_query`.
    """
    search = parse_search(text)
    expression = " & ".join(_any(group) for group in search.groups)
    if search.negated:
        excluded = " | ".join(t.tsquery() for t in search.negated)
        expression = f"({expression}) & !({excluded})"
    return expression


def _any(terms: tuple[Term, ...]) -> str:
    inner = " | ".join(t.tsquery() for t in terms)
    return f"({inner})" if len(terms) > 1 else inner


def parse_search(text: str) -> Search:
    """The terms of ``text``, checked.

    Raises:
        QueryError: too long, unbalanced quotes, no word to look for, or too many terms.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"search text is longer than {MAX_QUERY_LENGTH} characters")
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: close the phrase with another "')
    groups: list[list[Term]] = [[]]  # AND of OR-groups
    negated: list[Term] = []
    pending_or = False
    for chunk in _CHUNK.findall(text):
        if chunk == "OR":
            pending_or = bool(groups[-1])
            continue
        term = _term(chunk)
        if term is None:
            continue
        if term.negated:
            negated.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    groups = [g for g in groups if g]
    if sum(len(g) for g in groups) + len(negated) > MAX_TERMS:
        raise QueryError(f"too many search terms (at most {MAX_TERMS})")
    if not groups:
        raise QueryError("nothing to search for: give at least one word (letters or digits)")
    return Search(tuple(tuple(g) for g in groups), tuple(negated))


def _term(chunk: str) -> Term | None:
    if chunk.startswith('"'):
        words = tuple(_WORD.findall(chunk))
        return Term(words) if words else None
    negated = chunk.startswith("-") and len(chunk) > 1
    prefix = chunk.endswith("*")
    words = tuple(_WORD.findall(chunk))
    if not words:
        return None
    if prefix and len(words[-1]) < MIN_PREFIX:
        raise QueryError(f"a prefix search needs at least {MIN_PREFIX} letters before *")
    return Term(words, prefix=prefix, negated=negated)


def _expression(groups: list[list[Term]], negated: list[Term]) -> str:
    parts = []
    for group in groups:
        inner = " OR ".join(t.fts() for t in group)
        parts.append(f"({inner})" if len(group) > 1 else inner)
    expression = " AND ".join(parts)
    if negated:
        expression = f"({expression}) NOT ({' OR '.join(t.fts() for t in negated)})"
    return expression
