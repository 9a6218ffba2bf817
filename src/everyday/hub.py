"""Create a hub folder with working defaults, and find the hub a command runs in.

A fresh hub holds ``everyday.toml`` (every setting, commented, with its default),
``_data/topics/`` (our AI taxonomy, or just a root topic for another subject),
``_data/organizations/``, ``_news/`` and a ``.gitignore`` for the private index folder.
The defaults ship as package data in :mod:`everyday.hubdefaults`.
"""

from __future__ import annotations

import json
import logging
import re
import string
import unicodedata
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError
from .settings import CONFIG_NAME, SiteSettings, load_settings
from .taxonomy import ORGANIZATIONS_DIR, TOPICS_DIR

log = logging.getLogger(__name__)

DEFAULT_TOPIC = SiteSettings.topic
PRIVATE_DIR = ".everyday/"
NEWS_DIR = "_news"


def defaults_dir() -> Traversable:
    """The packaged defaults (template, topics, organizations README, sources)."""
    return resources.files("everyday") / "hubdefaults"


def default_sources() -> list[str]:
    """The public AI news feeds a new AI hub starts with."""
    text = (defaults_dir() / "sources.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def init_hub(
    path: Path,
    *,
    title: str | None = None,
    topic: str | None = None,
    url: str | None = None,
    sources: list[str] | None = None,
    force: bool = False,
) -> Path:
    """Create a hub in ``path`` and return its directory.

    Args:
        title: hub title; defaults to the settings default (or "<topic> Every Day").
        topic: root topic; ``None`` or ``AI`` installs the default AI taxonomy, any other
            value a taxonomy of just that root topic.
        url: public address of the site, e.g. ``https://example.org/ai`` (sets
            ``url``, ``baseurl`` and ``web_url``).
        sources: feed URLs; ``None`` means the default AI feeds for an AI hub, none else.
        force: overwrite the config and default topic files of an existing hub.

    Raises:
        ConfigError: the hub exists and ``force`` is false, or a value is invalid.
    """
    hub = Path(path)
    config = hub / CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError(f"{config}: a hub already exists here (use force to overwrite)")
    root = (topic or DEFAULT_TOPIC).strip()
    if not root:
        raise ConfigError("topic: must not be empty")
    is_ai = root == DEFAULT_TOPIC
    if title is None:
        title = SiteSettings.title if is_ai else f"{root} Every Day"
    if sources is None:
        sources = default_sources() if is_ai else []
    text = render_config(title=title, topic=root, url=url, sources=sources)
    for folder in (TOPICS_DIR, ORGANIZATIONS_DIR, Path(NEWS_DIR)):
        (hub / folder).mkdir(parents=True, exist_ok=True)
    _write_topics(hub / TOPICS_DIR, root, is_ai)
    _copy(defaults_dir() / "organizations" / "README.md", hub / ORGANIZATIONS_DIR / "README.md")
    _ensure_gitignore(hub / ".gitignore")
    config.write_text(text, encoding="utf-8")
    log.info("hub created path=%s topic=%s sources=%d", hub, root, len(sources))
    return hub


def find_hub(start: Path) -> Path:
    """Return the nearest directory at or above ``start`` holding ``everyday.toml``.

    Raises:
        ConfigError: no hub is found up to the filesystem root.
    """
    here = Path(start).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"{start}: not inside a hub (no {CONFIG_NAME} here or above); "
        "create one with `everyday init`"
    )


def render_config(*, title: str, topic: str, url: str | None, sources: list[str]) -> str:
    """Fill the ``everyday.toml`` template; values are written as TOML strings."""
    site_url, baseurl, web_url = split_site_url(url)
    for source in sources:
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(f"sources: expected URLs, got {source!r}")
    template = string.Template((defaults_dir() / "everyday.toml").read_text(encoding="utf-8"))
    return template.substitute(
        title=_toml(title),
        topic=_toml(topic),
        url=_toml(site_url),
        baseurl=_toml(baseurl),
        web_url=_toml(web_url),
        sources=_toml_list([s.strip() for s in sources]),
    )


def split_site_url(url: str | None) -> tuple[str, str, str]:
    """Split ``https://host/prefix`` into settings ``url``, ``baseurl`` and ``web_url``."""
    if url is None:
        return SiteSettings.url, SiteSettings.baseurl, SiteSettings.web_url
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"url: expected http(s)://host[/path], got {url!r}")
    origin = f"{parts.scheme}://{parts.netloc.lower()}"
    baseurl = parts.path.rstrip("/")
    return origin, baseurl, origin + baseurl


def slugify(text: str) -> str:
    """Topic id from a name, like the seed's (``AI in Healthcare`` → ``ai-in-healthcare``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "topic"


def _write_topics(folder: Path, root: str, is_ai: bool) -> None:
    if is_ai:
        for item in sorted(defaults_dir().joinpath("topics").iterdir(), key=lambda t: t.name):
            if item.name.endswith(".yaml"):
                _copy(item, folder / item.name)
        return
    slug = slugify(root)
    hashtag = "#" + re.sub(r"[^0-9A-Za-z]", "", root.title())
    lines = [
        "taxonomy: topic",
        f"_id: {slug}",
        f"name: {_yaml(root)}",
        "keywords:",
        f"  - {_yaml(root.lower())}",
        "hashtags:",
        f"  - {_yaml(hashtag)}",
    ]
    (folder / f"00-{slug}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _copy(source: Traversable, target: Path) -> None:
    target.write_bytes(source.read_bytes())


def _ensure_gitignore(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if PRIVATE_DIR in lines or PRIVATE_DIR.rstrip("/") in lines:
        return
    text = "\n".join([*lines, "# everyday's private index and caches", PRIVATE_DIR]) + "\n"
    path.write_text(text.lstrip("\n"), encoding="utf-8")


def _toml(value: str) -> str:
    # A JSON string is a TOML basic string (same escapes), except that TOML also bans a
    # raw DEL and \uD800-style surrogate escapes (hence ensure_ascii=False).
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_list(values: list[str]) -> str:
    if not values:
        return "[]"
    return "[\n" + "".join(f"    {_toml(v)},\n" for v in values) + "]"


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_config_sources(hub_dir: Path, urls: list[str]) -> None:
    """Rewrite the ``[sources]`` table of everyday.toml, keeping the rest byte for byte.

    Raises:
        ConfigError: the rewritten file would not load (it is then left as it was).
    """
    path = hub_dir / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    match = re.search(r"(?ms)^\[sources\]\n(.*?)(?=^\[|\Z)", text)
    comments = "".join(re.findall(r"(?m)^#.*\n", match.group(1))) if match else ""
    block = f"[sources]\n{comments}urls = {_toml_list(urls)}\n"
    if match:
        tail = text[match.end() :]
        text = text[: match.start()] + block + ("\n" if tail else "") + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    tmp = path.with_name(f".{CONFIG_NAME}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_settings(tmp.parent, env={}, name=tmp.name)
    except ConfigError:
        tmp.unlink()
        raise
    tmp.replace(path)
