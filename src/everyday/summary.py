"""What one pass did, for the run summary, the log and the ``runs`` table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

EXCLUDED = "excluded"  # skip reasons of the hub's own rules (:mod:`.relevance`), by kind
OFF_TOPIC = "off-topic"


def is_filtered(reason: str) -> bool:
    """Whether a skip reason is one of the hub's own rules, not a failure to look into."""
    return reason.split(":", 1)[0] in (EXCLUDED, OFF_TOPIC)


@dataclass
class RunSummary:
    """Counts and reasons collected while a pass runs (mutable: the pass appends to it)."""

    sources_polled: int = 0
    sources_unchanged: int = 0
    sources_failed: dict[str, str] = field(default_factory=dict)
    entries_seen: int = 0
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # record paths enrichment wrote
    demoted: list[str] = field(default_factory=list)  # were published, no longer are

    def skip(self, url: str, reason: str) -> None:
        """Note an article that was not stored, once, with its reason."""
        self.skipped.setdefault(url, reason)

    def skip_reasons(self) -> Counter[str]:
        """How many articles were skipped for each kind of reason."""
        return Counter(reason.split(":", 1)[0] for reason in self.skipped.values())

    def counts(self) -> dict[str, int]:
        """The headline numbers."""
        return {
            "sources_polled": self.sources_polled,
            "sources_unchanged": self.sources_unchanged,
            "sources_failed": len(self.sources_failed),
            "entries_seen": self.entries_seen,
            "new": len(self.new),
            "updated": len(self.updated),
            "skipped": len(self.skipped),
            "rewritten": len(self.rewritten),
            "demoted": len(self.demoted),
        }

    def as_dict(self) -> dict[str, object]:
        """Everything, JSON-ready, for the ``runs`` table."""
        return {
            **self.counts(),
            "failed_sources": self.sources_failed,
            "skipped_articles": self.skipped,
            "warnings": self.warnings,
        }
