"""The hub's taxonomy: topics (``_data/topics/*.yaml``) and organizations (providers).

The files follow the seed (``SCHEMA.md`` §iii). Topics are keyed by display name, the
value records carry in ``topics``; ``NN-`` file prefixes only order them (duplicates are
fine). Organizations are Markdown files holding only front matter, keyed by domain; one
real file (``theguardian.com``) has no ``.md`` suffix, so any non-hidden file is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .models import Image
from .records.layout import LOADER

log = logging.getLogger(__name__)

TOPICS_DIR = Path("_data") / "topics"
ORGANIZATIONS_DIR = Path("_data") / "organizations"
_ORDER = re.compile(r"^(\d+)-")
_STRAY_END = re.compile(r"\n?---\s*\Z")


@dataclass(frozen=True)
class Topic:
    """One topic; ``name`` is what records carry, ``parent`` is the parent's name."""

    id: str
    name: str
    shortname: str | None = None
    parent: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    services: tuple[tuple[str, str], ...] = ()
    order: str = ""


@dataclass(frozen=True)
class Organization:
    """A known provider: display name and logos, keyed by ``domain``."""

    id: str
    name: str
    other_names: tuple[str, ...] = ()
    domain: str = ""
    description: str | None = None
    images: tuple[Image, ...] = ()
    # False for entries everyday wrote itself from a site's icon: being in the registry
    # then says nothing about the outlet's standing (no provider-tier boost for quality).
    curated: bool = True


@dataclass(frozen=True)
class Taxonomy:
    """All topics in file order plus organizations by domain; ``root`` is the root topic name."""

    topics: tuple[Topic, ...] = ()
    organizations: dict[str, Organization] = field(default_factory=dict)
    root: str = "AI"

    def topic(self, name: str) -> Topic | None:
        """Return the topic with this display name, if any."""
        return next((t for t in self.topics if t.name == name), None)

    def ancestors(self, name: str) -> tuple[str, ...]:
        """Names of the parents of a topic, nearest first (cycles are cut)."""
        chain: list[str] = []
        topic = self.topic(name)
        while topic is not None and topic.parent and topic.parent not in chain:
            chain.append(topic.parent)
            topic = self.topic(topic.parent)
        return tuple(chain)

    def organization(self, domain: str) -> Organization | None:
        """Return the organization registered for exactly this domain."""
        return self.organizations.get(domain.lower())


def load_taxonomy(hub_dir: Path, root: str) -> Taxonomy:
    """Read the topics and organizations of a hub; missing folders give empty lists.

    Raises:
        ConfigError: a file is not valid YAML, lacks a name, or names an unknown parent.
    """
    topics = load_topics(Path(hub_dir) / TOPICS_DIR)
    organizations = load_organizations(Path(hub_dir) / ORGANIZATIONS_DIR)
    if topics and root not in {t.name for t in topics}:
        log.warning("root topic has no file root=%s hub=%s", root, hub_dir)
    return Taxonomy(topics=topics, organizations=organizations, root=root)


def load_topics(folder: Path) -> tuple[Topic, ...]:
    """Read ``NN-<id>.yaml`` files in name order and check parents exist."""
    if not folder.is_dir():
        return ()
    files = sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"})
    topics: list[Topic] = []
    seen: dict[str, Path] = {}
    for path in files:
        topic = _topic_from(path, _read_yaml(path))
        if topic.name in seen:
            raise ConfigError(f"{path}: topic {topic.name!r} is also defined in {seen[topic.name]}")
        seen[topic.name] = path
        topics.append(topic)
    for topic in topics:
        if topic.parent and topic.parent not in seen:
            raise ConfigError(
                f"{seen[topic.name]}: parent {topic.parent!r} is not a topic name "
                f"(known: {', '.join(seen)})"
            )
    return tuple(topics)


def load_organizations(folder: Path) -> dict[str, Organization]:
    """Read organization front matter files, keyed by lowercase domain."""
    if not folder.is_dir():
        return {}
    organizations: dict[str, Organization] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.stem.upper() == "README":
            continue
        org = _organization_from(path, _read_front_matter(path))
        organizations[org.domain] = org
    return organizations


def _read_yaml(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    # Three seed files end with a stray "---" and no newline; YAML would read a 2nd document.
    text = _STRAY_END.sub("\n", text)
    if text.startswith("---"):
        text = text[3:]
    return _parse_mapping(path, text)


def _read_front_matter(path: Path) -> dict[str, Any]:
    text = _read_text(path).lstrip("\ufeff")
    if text.startswith("---"):
        parts = text.split("\n---", 1)
        text = parts[0][3:]
    return _parse_mapping(path, text)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e


def _parse_mapping(path: Path, text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=LOADER)  # libyaml's: 26 files in 2 ms, not 24 ms
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys, got {type(data).__name__}")
    return data


def _topic_from(path: Path, data: dict[str, Any]) -> Topic:
    name = _text(path, data, "name")
    if not name:
        raise ConfigError(f"{path}: topic has no name")
    match = _ORDER.match(path.stem)
    services = data.get("services") or {}
    if not isinstance(services, dict):
        raise ConfigError(f"{path}: services must be a mapping")
    return Topic(
        id=_text(path, data, "_id") or _ORDER.sub("", path.stem),
        name=name,
        shortname=_text(path, data, "shortname"),
        parent=_text(path, data, "parent"),
        description=_text(path, data, "description"),
        keywords=_strings(path, data, "keywords"),
        hashtags=_strings(path, data, "hashtags"),
        images=_strings(path, data, "images"),
        services=tuple((str(k), str(v)) for k, v in services.items()),
        order=match.group(1) if match else "",
    )


def _organization_from(path: Path, data: dict[str, Any]) -> Organization:
    name = _text(path, data, "name")
    if not name:
        raise ConfigError(f"{path}: organization has no name")
    fallback = path.name.removesuffix(".md")
    domain = (_text(path, data, "domain") or _text(path, data, "_id") or fallback).lower()
    return Organization(
        id=_text(path, data, "_id") or domain,
        name=name,
        other_names=_strings(path, data, "otherNames"),
        domain=domain,
        description=_text(path, data, "description"),
        images=tuple(_image(path, item) for item in _items(path, data, "images")),
        curated=_flag(path, data, "curated", default=True),
    )


def _flag(path: Path, data: dict[str, Any], key: str, *, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {key} must be true or false")
    return value


def _image(path: Path, item: Any) -> Image:
    if isinstance(item, str):
        return Image(url=item)
    if not isinstance(item, dict) or not item.get("url"):
        raise ConfigError(f"{path}: each image needs a url")
    width, height = item.get("width"), item.get("height")
    return Image(
        url=str(item["url"]),
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
    )


def _text(path: Path, data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f"{path}: {key} must be text, got {value!r}")
    return str(value).strip() or None


def _items(path: Path, data: dict[str, Any], key: str) -> Iterable[Any]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{path}: {key} must be a list")
    return value


def _strings(path: Path, data: dict[str, Any], key: str) -> tuple[str, ...]:
    out: list[str] = []
    for item in _items(path, data, key):
        # YAML 1.1 reads a bare `yes`/`on` as a boolean: refuse rather than match "True".
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ConfigError(f"{path}: {key} items must be text, got {item!r} (quote it)")
        text = str(item).strip()
        if text and text not in out:
            out.append(text)
    return tuple(out)
