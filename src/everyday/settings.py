"""Every hub setting, with its default and help text, in one place.

A hub is configured by ``everyday.toml`` in the hub directory. Values come from, in
order of precedence (later wins): the defaults below, the config file, environment
variables ``EVERYDAY_<SECTION>_<NAME>`` (e.g. ``EVERYDAY_FETCH_TIMEOUT=5``), then CLI
flags. Settings are passed in to the stages that need them; there is no global.
``docs/settings.md`` documents each one and a test checks it stays in step.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAME = "everyday.toml"
# The usual name for a database URL in a deployment's environment (12-factor style).
DATABASE_URL_ENV = "EVERYDAY_DATABASE_URL"


def _opt(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class SiteSettings:
    """What the hub is and where it is published."""

    title: str = _opt("A.I. Every Day", "Hub title, used in pages, feeds and the newsletter.")
    url: str = _opt("https://example.org", "Scheme and host the static site is served from.")
    baseurl: str = _opt("", "Path prefix of the site under `url`, e.g. `/ai`.")
    web_url: str = _opt("https://example.org", "Public web address of the hub's pages.")
    locale: str = _opt("en-us", "Locale written into API items.")
    topic: str = _opt("AI", "Root topic: every record carries it.")
    page_size: int = _opt(20, "Items per page of the JSON API and site lists.")
    publish_threshold: int = _opt(60, "A record is published when heat >= this.")


@dataclass(frozen=True)
class FetchSettings:
    """How politely and defensively everyday downloads."""

    user_agent: str = _opt(
        "everyday/0.1 (+https://github.com/everyday-cc/everyday; news hub bot)",
        "User-Agent sent with every request and matched against robots.txt.",
    )
    timeout: float = _opt(20.0, "Seconds to wait for connect and for each read.")
    max_body_bytes: int = _opt(10_000_000, "Largest response body accepted (bytes on the wire).")
    max_decompressed_bytes: int = _opt(
        30_000_000, "Largest body after gzip/deflate/brotli decoding (gzip bomb guard)."
    )
    max_redirects: int = _opt(5, "Redirect hops followed before giving up.")
    retries: int = _opt(2, "Retries after a timeout, 429 or 5xx, with exponential backoff.")
    backoff: float = _opt(0.5, "First backoff delay in seconds; doubles on each retry.")
    max_retry_after: float = _opt(60.0, "Longest Retry-After honoured inline (seconds).")
    per_host: int = _opt(2, "Concurrent requests to one host.")
    concurrency: int = _opt(16, "Concurrent requests overall.")
    respect_robots: bool = _opt(True, "Obey robots.txt for article pages and feeds.")
    hosts: tuple[str, ...] = _opt(
        (),
        "Static name resolution, like curl's --resolve: entries `name=address`, e.g. "
        "`news.test=127.0.0.1`. The SSRF guard still checks the address.",
    )
    allow_private: bool = _opt(
        False,
        "Allow loopback/private/link-local addresses. Off by default (SSRF guard); "
        "the demo and the tests turn it on for 127.0.0.1.",
    )


@dataclass(frozen=True)
class CollectSettings:
    """What a pass collects."""

    interval: int = _opt(1800, "Default seconds between two polls of a source.")
    min_interval: int = _opt(300, "Shortest poll interval adaptive scheduling may choose.")
    max_interval: int = _opt(86400, "Longest poll interval (also the cap for backing off errors).")
    max_items_per_source: int = _opt(100, "Newest items taken from one feed per pass.")
    max_age_days: int = _opt(30, "Items older than this are skipped.")
    fetch_pages: bool = _opt(True, "Download each article page for text, image and metadata.")
    cache_images: bool = _opt(True, "Download lead images to read their size and cache them.")
    fetch_logos: bool = _opt(
        True,
        "Fetch a site's icon and write an organizations file for providers without one.",
    )
    excerpt_length: int = _opt(
        260, "Longest excerpt, cut at a word boundary with ' ...' (the seed's 260)."
    )
    exclude: tuple[str, ...] = _opt(
        (),
        "Skip items whose title or URL matches one of these case-insensitive regular "
        "expressions, before their page is fetched (e.g. ^sponsored, /podcasts?/).",
    )
    require_topic: bool = _opt(
        False,
        "Keep only articles in which the taxonomy finds a topic (its root's keywords "
        "count): for hubs that poll general news feeds.",
    )
    dedicated_sources: tuple[str, ...] = _opt(
        (),
        "Sources about the hub's topic only (a robotics feed for a robotics hub), by URL "
        "or URL prefix: require_topic keeps all their articles.",
    )


@dataclass(frozen=True)
class EnrichSettings:
    """How related lists, stories, heat and the published decision are made (docs/enrich.md)."""

    window_days: int = _opt(7, "Articles this many days apart or less can be related.")
    min_score: float = _opt(
        0.25, "TF-IDF cosine (title, excerpt and text) at which two articles are related."
    )
    excerpt_min_score: float = _opt(
        0.05, "Cosine at which two articles are related when one has no text (imported records)."
    )
    story_score: float = _opt(0.5, "Cosine at which two articles tell one story (a cluster).")
    excerpt_story_score: float = _opt(
        0.4, "Cosine at which two articles tell one story when one has no text."
    )
    duplicate_jaccard: float = _opt(
        0.5, "MinHash Jaccard of word 3-shingles at which an article is a near-copy of another."
    )
    max_related: int = _opt(0, "Longest related list (0: no cap, which keeps lists symmetric).")
    related_bonus: int = _opt(10, "Heat a leader gains per related article.")


@dataclass(frozen=True)
class TopicsSettings:
    """How records get their topics."""

    mode: str = _opt(
        "keywords",
        "`keywords` (the taxonomy's keywords), `model` (the classifier trained with "
        "`everyday topics train`) or `union` of both.",
    )
    min_examples: int = _opt(3, "Fewest labelled records a topic needs to be learned.")


@dataclass(frozen=True)
class PublishSettings:
    """What `everyday build` writes and when."""

    out_dir: str = _opt("_site", "Folder of the built site (JSON API, pages, feeds).")
    build_after_run: bool = _opt(True, "Rebuild what changed after every `everyday run` pass.")
    paging: str = _opt(
        "seed",
        "How lists are cut into pages: `seed` (page 1 is the newest, as the seed's API; one new "
        "record shifts every page) or `stable` (page 1 is the oldest; a new record changes only "
        "the newest pages).",
    )


@dataclass(frozen=True)
class StorageSettings:
    """Where records and the index live."""

    backend: str = _opt("sqlite", "Index backend: `sqlite` (embedded) or `postgresql`.")
    database: str = _opt(".everyday/everyday.db", "SQLite file, relative to the hub directory.")
    dsn: str = _opt(
        "",
        "PostgreSQL connection string when backend = postgresql, e.g. "
        "`postgresql://everyday@db.example.org/everyday`; the `EVERYDAY_DATABASE_URL` "
        "environment variable overrides it, so no password need sit in this file.",
    )
    news_dir: str = _opt("_news", "Folder of record files, relative to the hub directory.")
    assets_dir: str = _opt("assets/images", "Folder of cached images, relative to the hub.")


@dataclass(frozen=True)
class SmtpSettings:
    """How the newsletter is sent (``everyday newsletter --send``)."""

    host: str = _opt("localhost", "SMTP server that relays the newsletter.")
    port: int = _opt(587, "SMTP port (587 submission with STARTTLS, 25 for a local relay).")
    username: str = _opt("", "Login name; empty means no login.")
    password_env: str = _opt(
        "EVERYDAY_SMTP_PASSWORD", "Environment variable holding the password (never the file)."
    )
    from_address: str = _opt("", "Sender address, e.g. `news@example.org` (required to send).")
    starttls: bool = _opt(True, "Upgrade the connection with STARTTLS before anything else.")
    timeout: float = _opt(30.0, "Seconds to wait for the server on each step.")
    secret_env: str = _opt(
        "EVERYDAY_NEWSLETTER_SECRET",
        "Environment variable holding the secret that signs unsubscribe links (16+ chars).",
    )
    unsubscribe_url: str = _opt(
        "", "HTTPS endpoint of one-click unsubscribe; empty means `<web_url>/unsubscribe`."
    )
    unsubscribe_mailto: str = _opt(
        "", "Address that takes unsubscribe mails; empty means `from_address`."
    )

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> SmtpSettings:
        """Build from a TOML table or environment-style strings; unknown keys are an error.

        Raises:
            ConfigError: an unknown key or a value of the wrong type.
        """
        return _section(cls, dict(data), {}, "smtp")  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ServeSettings:
    """The live API and website of `everyday serve`."""

    host: str = _opt("127.0.0.1", "Address to listen on (0.0.0.0 for every interface).")
    port: int = _opt(8000, "Port to listen on.")
    workers: int = _opt(1, "Server processes (each keeps its own cache and rate limits).")
    private_reads: bool = _opt(False, "Require an API key (scope read) for every API read.")
    page_size_max: int = _opt(100, "Largest `pageSize` a client may ask for.")
    max_page: int = _opt(10_000, "Highest page number served (deep pages cost a scan).")
    search_rate: float = _opt(10.0, "Searches per second per key or client address (0: off).")
    search_burst: int = _opt(30, "Searches allowed at once before the rate applies.")
    admin_rate: float = _opt(1.0, "Admin requests per second per key and per address (0: off).")
    admin_burst: int = _opt(20, "Admin requests allowed at once before the rate applies.")
    max_body_bytes: int = _opt(65_536, "Largest admin request body (413 beyond).")
    max_query_bytes: int = _opt(4096, "Longest query string accepted (414 beyond).")
    cache_max_age: int = _opt(
        0, "Cache-Control max-age of API reads in seconds; 0 follows [collect] min_interval."
    )
    cache_entries: int = _opt(2048, "Responses kept in memory per process.")
    cors_origins: tuple[str, ...] = _opt(("*",), "Origins allowed to read the API (CORS, GET).")
    site_dir: str = _opt("_site", "Built static site served at /, relative to the hub.")


@dataclass(frozen=True)
class Settings:
    """All settings of one hub."""

    site: SiteSettings = field(default_factory=SiteSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    collect: CollectSettings = field(default_factory=CollectSettings)
    enrich: EnrichSettings = field(default_factory=EnrichSettings)
    topics: TopicsSettings = field(default_factory=TopicsSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)
    sources: tuple[str, ...] = ()
    hub_dir: Path = field(default=Path("."), compare=False)

    def path(self, relative: str) -> Path:
        """Resolve a hub-relative setting (database, news_dir, ...) to a path."""
        return self.hub_dir / relative


SECTIONS = {
    "site": SiteSettings,
    "fetch": FetchSettings,
    "collect": CollectSettings,
    "enrich": EnrichSettings,
    "topics": TopicsSettings,
    "publish": PublishSettings,
    "storage": StorageSettings,
    "smtp": SmtpSettings,
    "serve": ServeSettings,
}


def _coerce(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of text values, got {value!r}")
        return tuple(value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        }:
            return value.lower() in {"1", "true", "yes", "on"}
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            return int(value)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: expected a whole number, got {value!r}") from e
    if isinstance(default, float):
        try:
            return float(value)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: expected a number, got {value!r}") from e
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected text, got {value!r}")
    return value


def _section(cls: type, data: dict[str, Any], env: dict[str, str], name: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(f"[{name}]: unknown setting(s) {', '.join(sorted(unknown))}")
    values = {}
    for key, f in known.items():
        default = f.default
        env_key = f"EVERYDAY_{name.upper()}_{key.upper()}"
        if env_key in env:
            values[key] = _coerce(env[env_key], default, env_key)
        elif key in data:
            values[key] = _coerce(data[key], default, f"[{name}] {key}")
    return cls(**values)


def _database_url(storage: StorageSettings, env: dict[str, str]) -> StorageSettings:
    """``EVERYDAY_DATABASE_URL`` overrides ``[storage] dsn`` (it is where passwords go).

    Raises:
        ConfigError: it and ``EVERYDAY_STORAGE_DSN`` are both set, to different values
            (neither is shown: they may hold a password).
    """
    url = env.get(DATABASE_URL_ENV)
    if not url:
        return storage
    other = env.get("EVERYDAY_STORAGE_DSN")
    if other and other != url:
        raise ConfigError(
            f"{DATABASE_URL_ENV} and EVERYDAY_STORAGE_DSN are both set and differ: keep one"
        )
    return replace(storage, dsn=url)


def load_settings(
    hub_dir: Path | str, env: dict[str, str] | None = None, name: str = CONFIG_NAME
) -> Settings:
    """Read ``everyday.toml`` of a hub, apply environment overrides, and validate.

    Raises:
        ConfigError: the file is missing, is not valid TOML, or holds a bad value.
    """
    hub = Path(hub_dir)
    env = dict(os.environ) if env is None else env
    path = hub / name
    if not path.is_file():
        raise ConfigError(f"{path}: not a hub (no {CONFIG_NAME}); create one with `everyday init`")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from e
    return settings_from_dict(data, hub, env)


def settings_from_dict(
    data: dict[str, Any], hub: Path, env: dict[str, str] | None = None
) -> Settings:
    """Build settings from parsed TOML data (see :func:`load_settings`)."""
    env = {} if env is None else env
    unknown = set(data) - set(SECTIONS) - {"sources"}
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(sorted(unknown))}")
    parts = {name: _section(cls, data.get(name, {}), env, name) for name, cls in SECTIONS.items()}
    parts["storage"] = _database_url(parts["storage"], env)
    _check_patterns(parts["collect"].exclude)
    sources = data.get("sources", {}).get("urls", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ConfigError("[sources] urls: expected a list of URLs")
    return Settings(**parts, sources=tuple(sources), hub_dir=hub)


def _check_patterns(patterns: tuple[str, ...]) -> None:
    """``[collect] exclude`` must hold regular expressions, as :mod:`everyday.relevance`
    compiles them (the ``regex`` engine in ``re``'s syntax, imported only when needed)."""
    if not patterns:
        return
    import regex

    for pattern in patterns:
        try:
            regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)
        except regex.error as e:
            raise ConfigError(f"[collect] exclude: {pattern!r} is not a pattern: {e}") from e


def with_overrides(settings: Settings, section: str, **values: Any) -> Settings:
    """Return settings with some values of one section replaced (CLI flags, tests)."""
    return replace(settings, **{section: replace(getattr(settings, section), **values)})


def settings_markdown() -> str:
    """The settings reference (``docs/settings.md``), generated so it cannot drift."""
    lines = [
        "# Settings",
        "",
        "Set in `everyday.toml` of a hub, by section; overridden by environment variables",
        "`EVERYDAY_<SECTION>_<NAME>`. This file is generated by "
        "`python -m everyday.settings > docs/settings.md`.",
    ]
    for name, cls in SECTIONS.items():
        lines += [
            "",
            f"## [{name}]",
            "",
            (cls.__doc__ or "").strip(),
            "",
            "| setting | default | what |",
            "|---|---|---|",
        ]
        for f in fields(cls):
            lines.append(f"| `{f.name}` | `{f.default!r}` | {f.metadata['help']} |")
    lines += [
        "",
        "## [sources]",
        "",
        "| setting | default | what |",
        "|---|---|---|",
        "| `urls` | `[]` | Feed, sitemap or page URLs to poll (`everyday sources add`). |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_markdown(), end="")
