"""Read the real hubs' records for the enrich tests (../shared/corpus; nothing copied)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from everyday.enrich.quality import quality_score, signals_for, tier_for
from everyday.models import Record, Related
from everyday.records.frontmatter import parse_record

AI_DIRS = ("ai/_news", "ai/_archive/_news")
POWERAPPS_DIRS = ("powerapps/_news",)


@cache
def records(corpus: Path, dirs: tuple[str, ...]) -> tuple[Record, ...]:
    """Every record under ``dirs`` of the corpus, in file-name order."""
    return tuple(
        parse_record(path.read_text(encoding="utf-8"), path=str(path))
        for folder in dirs
        for path in sorted((corpus / folder).glob("*.md"))
    )


@cache
def scored_articles(corpus: Path) -> tuple[Record | Related, ...]:
    """Every distinct article with a seed quality (records and related entries), oldest first.

    Related entries count too: they carry title, excerpt, provider, image and quality.
    """
    everything = records(corpus, AI_DIRS) + records(corpus, POWERAPPS_DIRS)
    seen: dict[str, Record | Related] = {}
    for record in everything:
        if record.quality is not None:
            seen.setdefault(record.web_url, record)
    for record in everything:
        for entry in record.related or ():
            if entry.quality is not None:
                seen.setdefault(entry.web_url, entry)
    return tuple(sorted(seen.values(), key=lambda a: (a.published, a.web_url)))


def domain_of(article: Record | Related) -> str:
    """The article's provider domain, ``""`` when it has none."""
    return article.provider.domain if article.provider else ""


def our_quality(article: Record | Related, tiers: dict[str, int]) -> int:
    """Our score for a seed article from what the record shows (no text: excerpt only)."""
    image = article.images[0] if article.images else None
    signals = signals_for(
        article.title,
        article.excerpt,
        None,
        provider_tier=tier_for(domain_of(article), tiers),
        image_size=(image.width, image.height) if image else None,
    )
    return quality_score(signals).value
