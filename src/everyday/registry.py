"""The organizations registry's I/O edge: make a logo and a file for a provider that has none.

For a provider without ``_data/organizations/<domain>.md`` this fetches its home page, ranks
the icons it links (:mod:`everyday.enrich.logos`), downloads them best first until one
decodes, and writes ``<assets>/organizations/<domain>-50x50.jpg`` and ``-400x400.jpg`` and
then the organizations file, each atomically: a file that exists always has its logos.
Nothing here raises for bad input: a site without a usable icon is logged and skipped, and
:class:`LogoAttempts` makes sure a pass tries each domain once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from .enrich.logos import (
    LOGO_URL_PREFIX,
    IconCandidate,
    find_icon_links,
    find_manifest_icons,
    is_valid_domain,
    logo_filename,
    organization_for,
    organization_text,
    rank_icons,
    render_logos,
)
from .errors import EverydayError, FetchError, ImageError
from .fetch.http import Fetcher, decode_text
from .records.files import atomic_write
from .taxonomy import ORGANIZATIONS_DIR, Organization, load_organizations

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 2_000_000
MAX_MANIFEST_BYTES = 200_000
MAX_ICON_BYTES = 1_000_000
MAX_ICON_TRIES = 6
HTML_TYPES = ("text/html", "application/xhtml+xml")
LOGOS_SUBDIR = "organizations"


class LogoAttempts:
    """One pass's memory: each domain is tried at most once, and concurrent callers share it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._results: dict[str, Organization | None] = {}

    async def once(
        self, domain: str, attempt: Callable[[], Awaitable[Organization | None]]
    ) -> Organization | None:
        """Run ``attempt`` for the first caller of ``domain``; later callers get its result."""
        lock = self._locks.setdefault(domain, asyncio.Lock())
        async with lock:
            if domain not in self._results:
                self._results[domain] = await attempt()
            return self._results[domain]

    def tried(self) -> frozenset[str]:
        """Domains whose attempt finished this pass."""
        return frozenset(self._results)


async def ensure_provider_logo(
    fetcher: Fetcher,
    hub_dir: Path,
    domain: str,
    name: str,
    home_url: str,
    assets_dir: Path,
    *,
    attempts: LogoAttempts | None = None,
) -> Organization | None:
    """Return the provider's organization, creating its logos and file when it has none.

    Args:
        fetcher: the pass's open :class:`Fetcher` (its caps and address guard apply).
        hub_dir: the hub; the file goes to ``<hub>/_data/organizations/<domain>.md``.
        domain: the provider domain (``Provider.domain``), also the file's name and ``_id``.
        name: the display name to record (``Provider.name``).
        home_url: where to look for icons: scheme and host of an article URL
            (:func:`everyday.enrich.logos.home_url_of`).
        assets_dir: the hub's image folder (``settings.storage.assets_dir``); logos go to
            its ``organizations/`` subfolder.
        attempts: the pass's :class:`LogoAttempts`, so a domain is tried once per pass.

    Returns:
        The organization (the existing one if its file is already there), or ``None`` when
        the domain is unusable, no icon decodes, or the files cannot be written.
    """
    domain = domain.strip().lower()
    if not is_valid_domain(domain):
        log.info("logo skipped domain=%r reason=not a usable domain", domain)
        return None

    async def attempt() -> Organization | None:
        return await _create(fetcher, Path(hub_dir), domain, name, home_url, Path(assets_dir))

    if attempts is None:
        return await attempt()
    return await attempts.once(domain, attempt)


async def _create(
    fetcher: Fetcher, hub_dir: Path, domain: str, name: str, home_url: str, assets_dir: Path
) -> Organization | None:
    """Find, decode and write the logo; ``None`` (logged) on any failure."""
    folder = hub_dir / ORGANIZATIONS_DIR
    if _org_path(folder, domain) is not None:
        return _existing(folder, domain)
    candidates = await find_icons(fetcher, home_url)
    logos = await _first_decodable(fetcher, domain, candidates)
    if logos is None:
        log.info("logo not found domain=%s home=%s tried=%d", domain, home_url, len(candidates))
        return None
    org = organization_for(domain, name, _url_prefix(hub_dir, assets_dir), curated=False)
    try:
        target = assets_dir / LOGOS_SUBDIR
        target.mkdir(parents=True, exist_ok=True)
        for size, data in logos.items():
            atomic_write(target / logo_filename(domain, size), data)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / f"{domain}.md", organization_text(org))
    except (OSError, EverydayError) as e:
        log.warning("logo write failed domain=%s reason=%s", domain, e)
        return None
    log.info("logo created domain=%s name=%s", domain, org.name)
    return org


async def find_icons(fetcher: Fetcher, home_url: str) -> tuple[IconCandidate, ...]:
    """The icons to try for a site, best first; the implicit ones when the page fails."""
    icons: list[IconCandidate] = []
    base = home_url
    try:
        page = await fetcher.get(home_url, accept="text/html", max_bytes=MAX_PAGE_BYTES)
    except FetchError as e:
        log.info("home page not fetched url=%s reason=%s", home_url, e)
    else:
        base = page.final_url
        if (page.content_type or "text/html").startswith(HTML_TYPES):
            links = find_icon_links(decode_text(page), page.final_url)
            icons.extend(links.icons)
            if links.manifest_url:
                icons.extend(await _manifest_icons(fetcher, links.manifest_url))
    ranked = list(rank_icons(icons, base))
    if base != home_url:  # redirected elsewhere: the original host's favicon is a last resort
        ranked += [c for c in rank_icons((), home_url) if c.url not in {r.url for r in ranked}]
    return tuple(ranked[:MAX_ICON_TRIES])


async def _manifest_icons(fetcher: Fetcher, url: str) -> tuple[IconCandidate, ...]:
    try:
        resp = await fetcher.get(
            url, accept="application/manifest+json, application/json", max_bytes=MAX_MANIFEST_BYTES
        )
    except FetchError as e:
        log.info("manifest not fetched url=%s reason=%s", url, e)
        return ()
    return find_manifest_icons(resp.content, resp.final_url)


async def _first_decodable(
    fetcher: Fetcher, domain: str, candidates: tuple[IconCandidate, ...]
) -> dict[int, bytes] | None:
    for icon in candidates:
        try:
            resp = await fetcher.get(icon.url, accept="image/*", max_bytes=MAX_ICON_BYTES)
            return render_logos(resp.content)
        except (FetchError, ImageError) as e:
            log.info("icon rejected domain=%s url=%s reason=%s", domain, icon.url, e)
    return None


def _org_path(folder: Path, domain: str) -> Path | None:
    """The domain's organizations file; the seed has one without ``.md`` (theguardian.com)."""
    for path in (folder / f"{domain}.md", folder / domain):
        if path.is_file():
            return path
    return None


def _existing(folder: Path, domain: str) -> Organization | None:
    try:
        return load_organizations(folder).get(domain)
    except EverydayError as e:
        log.warning("organizations file unreadable domain=%s reason=%s", domain, e)
        return None


def _url_prefix(hub_dir: Path, assets_dir: Path) -> str:
    """Site URL of the logos folder: the assets folder's place in the hub (the seed's default)."""
    try:
        relative = assets_dir.resolve().relative_to(hub_dir.resolve())
    except (ValueError, OSError):
        return LOGO_URL_PREFIX
    return "/" + (relative / LOGOS_SUBDIR).as_posix()
