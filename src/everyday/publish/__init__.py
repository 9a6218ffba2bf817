"""Publish: turn stored records into the static site folder (JSON API, feeds, pages)."""

from .entries import Entry
from .output import BuildReport, Output, PublishError

__all__ = ["BuildReport", "Entry", "Output", "PublishError"]
