"""The offline search index: every article page as a small JSON row, searched in the browser.

A static host runs no code, so ``search/index.json`` is built with the site and
``static/search.js`` filters it client-side. Rows are compact (no whitespace, dates as
``YYYY-MM-DD``, the root topic left out) because every visitor of the search page
downloads the whole file; rows keep the site's order, newest first.
"""

from __future__ import annotations

import json

from .views import Index


def search_rows(index: Index) -> list[dict[str, object]]:
    """One row per article page: title, excerpt, url, date, topics, provider."""
    rows: list[dict[str, object]] = []
    for entry in index.listed:
        card = index.card(entry)
        rows.append(
            {
                "title": card.title,
                "excerpt": card.excerpt,
                "url": card.href,
                "date": f"{card.date:%Y-%m-%d}",
                "topics": [t.text for t in card.topics],
                "provider": card.provider.text,
            }
        )
    return rows


def build_search_index(index: Index) -> str:
    """``search/index.json``: the rows as compact UTF-8 JSON."""
    text = json.dumps(search_rows(index), ensure_ascii=False, separators=(",", ":"))
    return text + "\n"
