"""Test helpers for the taxonomy and enrich tests: where the seed corpus is, and its records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
HUBS = {"ai": "AI", "powerapps": "Power Apps"}  # corpus folder -> root topic
LOGO_BASE = {hub: f"https://everyday-cc.github.io/{hub}" for hub in HUBS}


@dataclass(frozen=True)
class SeedRecord:
    """The few front matter fields these tests compare against."""

    path: Path
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data["title"])

    @property
    def excerpt(self) -> str:
        return str(self.data.get("excerpt") or "")

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self.data.get("topics") or ())


def corpus_hub(hub: str) -> Path:
    """The corpus folder of one seed hub, or skip the test when the corpus is absent."""
    path = CORPUS / hub
    if not (path / "_data" / "topics").is_dir():
        pytest.skip(f"seed corpus not found at {path} (it lives beside the repo, in ../shared)")
    return path


def seed_records(hub: str) -> list[SeedRecord]:
    """Every ``_news`` record of a corpus hub, front matter parsed."""
    records = []
    for path in sorted((corpus_hub(hub) / "_news").glob("*.md")):
        front = path.read_text(encoding="utf-8").split("---\n", 2)[1]
        records.append(SeedRecord(path, yaml.safe_load(front)))
    return records
