"""Golden article pages (``tests/golden/pages``): loading them and comparing a Page to its JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from everyday.models import Page

PAGES_DIR = Path(__file__).parent / "golden" / "pages"
# Keys of an .expected.json that name Page fields compared for equality.
PAGE_FIELDS = (
    "title", "description", "canonical_url", "image_url", "site_name", "published",
    "modified", "authors", "language", "amp_url",
)  # fmt: skip


@dataclass(frozen=True)
class GoldenPage:
    """One golden pair: the page markup (text or raw bytes) and what extraction must find."""

    name: str
    markup: str | bytes
    expected: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.expected["url"])


def golden_pages() -> list[GoldenPage]:
    """Every ``<name>.html`` with its ``<name>.expected.json``, sorted by name."""
    pages = []
    for html_path in sorted(PAGES_DIR.glob("*.html")):
        expected = json.loads(html_path.with_suffix(".expected.json").read_text("utf-8"))
        raw = html_path.read_bytes()
        markup = raw if expected.get("read_as") == "bytes" else raw.decode("utf-8")
        pages.append(GoldenPage(html_path.stem, markup, expected))
    return pages


def differences(page: Page, expected: dict[str, Any]) -> list[str]:
    """Human-readable mismatches between an extracted Page and its expectations."""
    problems = []
    for key in PAGE_FIELDS:
        if key not in expected:
            continue
        want = expected[key]
        got = getattr(page, key)
        if isinstance(got, datetime):
            got = got.isoformat()
        if isinstance(got, tuple):
            got = list(got)
        if got != want:
            problems.append(f"{key}: got {got!r}, want {want!r}")
    for snippet in expected.get("text_contains", ()):
        if snippet not in page.text:
            problems.append(f"text lacks {snippet!r}")
    for snippet in expected.get("text_not_contains", ()):
        if snippet in page.text:
            problems.append(f"text holds {snippet!r}")
    return problems
