"""The sample newswire's deliberate defects: what a robust collector must survive.

A feed item that 404s, one that is a PDF, one whose image is not an image, one behind a
redirect, one under a robots-disallowed path, and a truncated feed (see ``Newswire``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .content import WireArticle

GONE_PATH = "/circuitledger/2024/01/09/chipmaker-pulls-roadmap-slides-after-leak/"
PDF_PATH = "/harborhealth/reports/clinical-ai-readiness-report.pdf"
PRIVATE_PATH = "/private/tickerside/premium-briefing-ai-chip-outlook"
REDIRECT_PATH = "/mercervalley/r/65519"
CUT_PATH = "/northgate/2025/01/notes-from-the-city-technology-forum/"


@dataclass(frozen=True)
class BrokenItem:
    """A deliberate defect and what a robust collector is expected to do with it."""

    kind: str  # gone | pdf | bad-image | private | redirect | malformed-feed
    provider: str
    url: str
    expect: str


def broken_extras(bad: WireArticle, base: datetime) -> list[WireArticle]:
    """Feed items that fail in their own way, dated like ``bad`` (the bad-image article)."""

    def extra(aid: str, path: str, title: str, hours: int) -> WireArticle:
        slug = path.split("/")[2] if path.startswith("/private/") else path.split("/")[1]
        when = base - timedelta(hours=hours, minutes=17)
        return replace(
            bad,
            id=aid,
            provider=slug,
            title=title,
            published=when,
            url=path,
            feed_url=path,
            canonical_url=path,
            image_url=f"/{slug}/apple-touch-icon.png",
            image_size=(180, 180),
            image_format="PNG",
        )

    return [
        bad,
        extra("cl-gone", GONE_PATH, "Chipmaker pulls roadmap slides after leak", 5),
        extra("hh-pdf", PDF_PATH, "Download: Clinical AI readiness report (PDF)", 8),
        extra("ts-private", PRIVATE_PATH, "Premium briefing: the AI chip outlook", 9),
        # the oldest northgate item, so the truncation falls inside it and every real
        # northgate article stays readable by a lenient parser
        extra("ng-cut", CUT_PATH, "Notes from the city technology forum", 400),
    ]
