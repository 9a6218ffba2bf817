"""Provider logos end to end: the sample newswire's icons, and sites that get icons wrong."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from everyday.demo.content import PROVIDER_BY_SLUG
from everyday.demo.newswire import Newswire
from everyday.enrich.logos import home_url_of
from everyday.enrich.provider import provider_for, registrable_domain
from everyday.fetch.http import Fetcher
from everyday.models import Image as ImageEntry
from everyday.registry import LogoAttempts, ensure_provider_logo
from everyday.settings import FetchSettings
from everyday.taxonomy import Organization, Taxonomy, load_organizations
from logo_servers import (
    BLUE,
    GREEN,
    RED,
    IconSite,
    Route,
    home_page,
    ico_bytes,
    icon_image,
    loopback_fetch_settings,
    png_bytes,
)

DOMAIN = "hostile.test"
HTML = "text/html; charset=utf-8"


def run(settings: FetchSettings, *calls: tuple[Path, str, str, str]) -> list[Organization | None]:
    """Run ``ensure_provider_logo`` for each (hub, domain, name, home) in one pass."""

    async def go() -> list[Organization | None]:
        attempts = LogoAttempts()
        async with Fetcher(settings) as fetcher:
            jobs = [
                ensure_provider_logo(
                    fetcher, hub, domain, name, home, hub / "assets" / "images", attempts=attempts
                )
                for hub, domain, name, home in calls
            ]
            return await asyncio.gather(*jobs)

    return asyncio.run(go())


def logo(hub: Path, domain: str, size: int) -> Image.Image:
    path = hub / "assets" / "images" / "organizations" / f"{domain}-{size}x{size}.jpg"
    img = Image.open(io.BytesIO(path.read_bytes()))
    img.load()
    return img


def near(pixel: tuple[int, ...], color: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))


def files_under(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def expected_org(domain: str, name: str) -> Organization:
    prefix = "/assets/images/organizations/" + domain
    return Organization(
        id=domain,
        name=name,
        domain=domain,
        images=(
            ImageEntry(f"{prefix}-50x50.jpg", 50, 50),
            ImageEntry(f"{prefix}-400x400.jpg", 400, 400),
        ),
        curated=False,  # written by everyday from an icon, not a curated registry entry
    )


# --- the sample newswire ------------------------------------------------------------------


@pytest.fixture(scope="module")
def wire() -> Iterator[Newswire]:
    with Newswire(broken=False) as wire:
        yield wire


def test_every_newswire_provider_gets_its_apple_touch_icon(tmp_path: Path, wire: Newswire) -> None:
    settings = loopback_fetch_settings(tuple(wire.hosts))
    firsts = {a.provider: a for a in reversed(wire.articles)}
    calls = []
    for slug, article in firsts.items():
        home = home_url_of(article.url)
        assert home is not None
        calls.append((tmp_path, registrable_domain(article.url), PROVIDER_BY_SLUG[slug].name, home))
    before = len(wire.request_log)
    orgs = run(settings, *calls)

    written = load_organizations(tmp_path / "_data" / "organizations")
    assert len(written) == len(firsts) >= 6
    for (_, domain, name, _), org in zip(calls, orgs, strict=True):
        assert org == expected_org(domain, name) == written[domain]
        spec = next(p for p in PROVIDER_BY_SLUG.values() if p.domain == domain)
        for size in (50, 400):
            img = logo(tmp_path, domain, size)
            assert (img.format, img.size) == ("JPEG", (size, size))
            assert near(img.getpixel((2, 2)), spec.color)
    paths = [target for _, target, _ in wire.request_log[before:]]
    assert paths.count("/apple-touch-icon.png") == len(firsts)  # ranked above icon-192 and ico
    assert "/favicon.ico" not in paths and "/icon-192.png" not in paths
    assert not [p for p in (tmp_path / "_data").rglob(".tmp-*")]


def test_provider_for_shows_the_new_logo_once_the_taxonomy_has_it(
    tmp_path: Path, wire: Newswire
) -> None:
    article = wire.articles[0]
    domain = registrable_domain(article.url)
    home = home_url_of(article.url) or ""
    before = provider_for(article.url, "Whatever", Taxonomy(), "https://hub.example/ai")
    assert before.images == ()
    (org,) = run(loopback_fetch_settings(tuple(wire.hosts)), (tmp_path, domain, before.name, home))
    assert org is not None
    taxonomy = Taxonomy(organizations={org.domain: org})
    after = provider_for(article.url, "Whatever", taxonomy, "https://hub.example/ai")
    assert after.images == (
        ImageEntry(
            f"https://hub.example/ai/assets/images/organizations/{domain}-50x50.jpg", 50, 50
        ),
    )


def test_an_existing_file_is_kept_and_nothing_is_fetched(tmp_path: Path, wire: Newswire) -> None:
    article = wire.articles[0]
    domain = registrable_domain(article.url)
    folder = tmp_path / "_data" / "organizations"
    folder.mkdir(parents=True)
    (folder / domain).write_text(f"---\nname: Hand Made\ndomain: {domain}\n---\n")  # no .md
    before = len(wire.request_log)
    (org,) = run(
        loopback_fetch_settings(tuple(wire.hosts)),
        (tmp_path, domain, "Other", home_url_of(article.url) or ""),
    )
    assert org is not None and org.name == "Hand Made"
    assert len(wire.request_log) == before
    assert files_under(folder) == [domain]


# --- hostile sites ------------------------------------------------------------------------


def attempt_site(tmp_path: Path, routes: dict[str, Route]) -> tuple[Organization | None, IconSite]:
    with IconSite(routes) as site:
        (org,) = run(loopback_fetch_settings(), (tmp_path, DOMAIN, "Hostile", site.url("/")))
    return org, site


def test_an_icon_that_is_html_falls_through_to_the_favicon(tmp_path: Path) -> None:
    favicon = ico_bytes([icon_image(16, BLUE), icon_image(48, RED)])
    org, site = attempt_site(
        tmp_path,
        {
            "/": (200, HTML, home_page('<link rel="apple-touch-icon" href="/touch.png">')),
            "/touch.png": (200, "image/png", b"<html><body>Image unavailable</body></html>"),
            "/favicon.ico": (200, "image/x-icon", favicon),
        },
    )
    assert org == expected_org(DOMAIN, "Hostile")
    assert site.order == ["/", "/touch.png", "/apple-touch-icon.png", "/favicon.ico"]
    assert near(logo(tmp_path, DOMAIN, 400).getpixel((300, 300)), RED)  # the largest frame


def test_huge_icons_are_refused_by_size_and_by_pixels(tmp_path: Path) -> None:
    huge = os.urandom(3_000_000)
    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, "PNG")  # ~10 KB on the wire, 81 Mpx decoded
    links = (
        '<link rel="icon" sizes="2048x2048" href="/huge-bytes.png">'
        '<link rel="icon" sizes="1024x1024" href="/huge-pixels.png">'
        '<link rel="icon" sizes="32x32" href="/small.png">'
    )
    org, site = attempt_site(
        tmp_path,
        {
            "/": (200, HTML, home_page(links)),
            "/huge-bytes.png": (200, "image/png", huge),
            "/huge-pixels.png": (200, "image/png", buf.getvalue()),
            "/small.png": (200, "image/png", png_bytes(icon_image(32, GREEN))),
        },
    )
    assert org is not None
    assert site.order[:3] == ["/", "/huge-bytes.png", "/huge-pixels.png"]
    assert "/small.png" in site.order and "/favicon.ico" not in site.order
    assert near(logo(tmp_path, DOMAIN, 50).getpixel((40, 40)), GREEN)


def test_a_site_with_only_svg_icons_gets_no_file(tmp_path: Path) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>'
    links = (
        '<link rel="icon" type="image/svg+xml" href="/icon.svg">'
        '<link rel="mask-icon" href="/mask.svg" color="#000">'
    )
    org, site = attempt_site(
        tmp_path,
        {
            "/": (200, HTML, home_page(links)),
            "/icon.svg": (200, "image/svg+xml", svg),
            "/mask.svg": (200, "image/svg+xml", svg),
        },
    )
    assert org is None
    assert site.order == ["/", "/apple-touch-icon.png", "/favicon.ico"]
    assert files_under(tmp_path) == []


def test_404_everywhere_tries_the_favicon_then_gives_up(tmp_path: Path) -> None:
    org, site = attempt_site(tmp_path, {})
    assert org is None
    assert site.order == ["/", "/apple-touch-icon.png", "/favicon.ico"]
    assert files_under(tmp_path) == []


def test_a_home_page_that_is_not_html_still_allows_the_favicon(tmp_path: Path) -> None:
    org, site = attempt_site(
        tmp_path,
        {
            "/": (200, "application/pdf", b"%PDF-1.4 <link rel=icon href=/never.png>"),
            "/favicon.ico": (200, "image/x-icon", ico_bytes([icon_image(32, BLUE)])),
        },
    )
    assert org is not None and "/never.png" not in site.order


def test_manifest_icons_are_used_when_larger(tmp_path: Path) -> None:
    manifest = {"icons": [{"src": "/android-512.png", "sizes": "512x512", "type": "image/png"}]}
    links = (
        '<link rel="manifest" href="/site.webmanifest"><link rel="apple-touch-icon" href="/t.png">'
    )
    org, site = attempt_site(
        tmp_path,
        {
            "/": (200, HTML, home_page(links)),
            "/site.webmanifest": (200, "application/manifest+json", json.dumps(manifest).encode()),
            "/android-512.png": (200, "image/png", png_bytes(icon_image(512, GREEN))),
            "/t.png": (200, "image/png", png_bytes(icon_image(180, RED))),
        },
    )
    assert org is not None
    assert site.order == ["/", "/site.webmanifest", "/android-512.png"]
    assert near(logo(tmp_path, DOMAIN, 400).getpixel((300, 300)), GREEN)


def test_a_domain_is_tried_once_per_pass_even_when_it_fails(tmp_path: Path) -> None:
    with IconSite({}) as site:
        calls = [(tmp_path, DOMAIN, "Hostile", site.url("/"))] * 3
        assert run(loopback_fetch_settings(), *calls) == [None, None, None]
        assert site.hits["/"] == 1 and site.hits["/favicon.ico"] == 1
        run(loopback_fetch_settings(), calls[0])  # a new pass tries again
        assert site.hits["/"] == 2


@pytest.mark.parametrize(
    "domain", ["", "../../etc", "a/b.test", "UPPER..test", "127.0.0.1", "localhost"]
)
def test_unusable_domains_fetch_and_write_nothing(tmp_path: Path, domain: str) -> None:
    with IconSite({}) as site:
        assert run(loopback_fetch_settings(), (tmp_path, domain, "X", site.url("/"))) == [None]
        assert site.order == []
    assert files_under(tmp_path) == []


def test_an_unwritable_assets_folder_is_logged_not_raised(tmp_path: Path) -> None:
    (tmp_path / "assets").write_text("a file where a folder should be")
    org, _ = attempt_site(
        tmp_path, {"/favicon.ico": (200, "image/x-icon", ico_bytes([icon_image(32, BLUE)]))}
    )
    assert org is None
    assert not (tmp_path / "_data").exists()


def test_logo_urls_follow_the_hub_assets_folder(tmp_path: Path) -> None:
    routes = {"/favicon.ico": (200, "image/x-icon", ico_bytes([icon_image(32, BLUE)]))}

    async def go(site: IconSite) -> Organization | None:
        async with Fetcher(loopback_fetch_settings()) as fetcher:
            assets = tmp_path / "static" / "img"
            return await ensure_provider_logo(
                fetcher, tmp_path, DOMAIN, "Hostile", site.url("/"), assets
            )

    with IconSite(routes) as site:
        org = asyncio.run(go(site))
    assert org is not None
    assert [i.url for i in org.images] == [
        f"/static/img/organizations/{DOMAIN}-50x50.jpg",
        f"/static/img/organizations/{DOMAIN}-400x400.jpg",
    ]
    assert (tmp_path / "static" / "img" / "organizations" / f"{DOMAIN}-400x400.jpg").is_file()
