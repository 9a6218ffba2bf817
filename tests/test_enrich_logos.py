"""Provider logos (pure): icon links, ranking, decoding to the seed's sizes, the org file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from everyday.enrich.logos import (
    IconCandidate,
    find_icon_links,
    find_manifest_icons,
    home_url_of,
    is_valid_domain,
    organization_for,
    organization_text,
    parse_sizes,
    rank_icons,
    render_logos,
)
from everyday.errors import ImageError
from everyday.models import Image as ImageEntry
from everyday.taxonomy import load_organizations
from logo_servers import BLUE, RED, ico_bytes, icon_image, png_bytes

HOME = "https://www.example.com/"


def decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def near(pixel: tuple[int, ...], color: tuple[int, ...], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color, strict=True))


# --- finding links --------------------------------------------------------------------------


def test_find_icon_links_reads_every_kind_and_resolves_urls() -> None:
    html = """<html><head>
      <link rel="shortcut icon" href="/favicon.ico">
      <link rel="icon" type="image/png" sizes="16x16 32x32" href="img/fav-32.png">
      <LINK REL="Apple-Touch-Icon" HREF="//cdn.example.com/touch.png">
      <link rel="apple-touch-icon-precomposed" sizes="152x152" href="/touch-152.png">
      <link rel="mask-icon" href="/safari.svg" color="#000">
      <link rel="icon" type="image/svg+xml" href="/icon.svg">
      <link rel="icon" href="/vector.SVG">
      <link rel="icon" href="data:image/png;base64,AAAA">
      <link rel="stylesheet" href="/site.css">
      <link rel="manifest" href="/site.webmanifest">
    </head><body><link rel="icon" href="/in-body.png"></body></html>"""
    links = find_icon_links(html, "https://www.example.com/news/")
    assert [(i.url, i.kind, i.size) for i in links.icons] == [
        ("https://www.example.com/favicon.ico", "icon", 0),
        ("https://www.example.com/news/img/fav-32.png", "icon", 32),
        ("https://cdn.example.com/touch.png", "apple-touch-icon", 0),
        ("https://www.example.com/touch-152.png", "apple-touch-icon", 152),
    ]
    assert links.manifest_url == "https://www.example.com/site.webmanifest"


def test_find_icon_links_honours_base_href() -> None:
    html = '<head><base href="https://static.example.net/assets/"><link rel=icon href=i.png>'
    (icon,) = find_icon_links(html, HOME).icons
    assert icon.url == "https://static.example.net/assets/i.png"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "not html at all",
        "<link rel=icon>",
        "<<<>>><link rel='icon' href='http://[bad'>",
        "\x00" * 50,
    ],
)
def test_find_icon_links_survives_junk(html: str) -> None:
    assert find_icon_links(html, HOME).icons == ()


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ("16x16", 16),
        ("16x16 32x32 192X192", 192),
        ("any", 0),
        ("", 0),
        ("400x200", 200),
        ("axb", 0),
    ],
)
def test_parse_sizes(sizes: str, expected: int) -> None:
    assert parse_sizes(sizes) == expected


def test_manifest_icons_skip_svg_and_monochrome() -> None:
    manifest = {
        "icons": [
            {"src": "/android-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "icons/mono.png", "sizes": "512x512", "purpose": "monochrome"},
            {"src": "icons/logo.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "icons/mask.png", "sizes": "192x192", "purpose": "maskable any"},
            {"sizes": "48x48"},
            "junk",
        ]
    }
    icons = find_manifest_icons(json.dumps(manifest).encode(), "https://example.com/app/m.json")
    assert [(i.url, i.size) for i in icons] == [
        ("https://example.com/android-512.png", 512),
        ("https://example.com/app/icons/mask.png", 192),
    ]


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b'{"icons": "x"}', b"\xff\xfe\x00"])
def test_manifest_icons_of_bad_manifests_are_empty(data: bytes) -> None:
    assert find_manifest_icons(data, "https://example.com/m.json") == ()


# --- ranking --------------------------------------------------------------------------------


def test_rank_prefers_large_square_then_apple_then_others_then_favicon() -> None:
    icons = [
        IconCandidate("https://example.com/fav-32.png", "icon", 32),
        IconCandidate("https://example.com/touch.png", "apple-touch-icon", 0),
        IconCandidate("https://example.com/icon-192.png", "icon", 192),
        IconCandidate("https://example.com/big-512.png", "manifest", 512),
        IconCandidate("https://example.com/big-1024.png", "icon", 1024),
        IconCandidate("https://example.com/touch-120.png", "apple-touch-icon", 120),
        IconCandidate("https://example.com/unsized.png", "icon", 0),
    ]
    ranked = [i.url.rsplit("/", 1)[1] for i in rank_icons(icons, "https://example.com/a/b")]
    assert ranked == [
        "big-1024.png",
        "big-512.png",
        "touch.png",  # undeclared apple-touch-icon counts as 180
        "touch-120.png",
        "apple-touch-icon.png",  # implicit, after the linked ones
        "icon-192.png",
        "fav-32.png",
        "unsized.png",
        "favicon.ico",
    ]


def test_rank_lists_each_url_once_and_always_ends_with_favicon() -> None:
    linked = IconCandidate("https://example.com/favicon.ico", "icon", 0)
    ranked = rank_icons([linked, linked], "https://example.com/")
    assert [i.url for i in ranked] == [
        "https://example.com/apple-touch-icon.png",
        "https://example.com/favicon.ico",
    ]
    assert rank_icons([], "http://127.0.0.1:8080/x")[-1].url == "http://127.0.0.1:8080/favicon.ico"


@pytest.mark.parametrize(
    ("url", "home"),
    [
        ("https://news.example.com/2024/01/a?utm=1", "https://news.example.com/"),
        ("http://user:pw@example.com:8080/x", "http://example.com:8080/"),
        ("ftp://example.com/x", None),
        ("not a url", None),
    ],
)
def test_home_url_of(url: str, home: str | None) -> None:
    assert home_url_of(url) == home


# --- rendering ------------------------------------------------------------------------------


def test_render_png_gives_both_seed_sizes_as_jpeg() -> None:
    logos = render_logos(png_bytes(icon_image(180, RED)))
    assert sorted(logos) == [50, 400]
    for size, data in logos.items():
        img = decoded(data)
        assert (img.format, img.size, img.mode) == ("JPEG", (size, size), "RGB")
        assert near(img.getpixel((size - 3, size - 3)), RED)
        assert near(img.getpixel((1, 1)), (0, 0, 0))  # the mark stays top-left


def test_render_ico_uses_the_largest_frame() -> None:
    data = ico_bytes([icon_image(16, BLUE), icon_image(32, BLUE), icon_image(64, RED)])
    assert Image.open(io.BytesIO(data)).info["sizes"] == {(16, 16), (32, 32), (64, 64)}
    large = decoded(render_logos(data)[400])
    assert near(large.getpixel((300, 300)), RED)


def test_render_flattens_transparency_onto_white() -> None:
    large = decoded(render_logos(png_bytes(icon_image(200, BLUE, transparent=True)))[400])
    assert near(large.getpixel((398, 398)), (255, 255, 255))
    assert near(large.getpixel((200, 200)), BLUE)


def test_render_pads_a_wide_icon_to_a_square_without_cropping() -> None:
    wide = Image.new("RGB", (200, 100), RED)
    wide.paste((0, 0, 0), (0, 0, 10, 10))  # a mark at the far left must survive
    large = decoded(render_logos(png_bytes(wide))[400])
    assert large.size == (400, 400)
    assert near(large.getpixel((200, 10)), (255, 255, 255))  # padding above
    assert near(large.getpixel((200, 200)), RED)
    assert near(large.getpixel((3, 103)), (0, 0, 0))


def test_render_takes_the_first_frame_of_a_gif() -> None:
    frames = [icon_image(64, RED).convert("RGB"), icon_image(64, BLUE).convert("RGB")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    assert near(decoded(render_logos(buf.getvalue())[50]).getpixel((40, 40)), RED)


def _huge_png() -> bytes:
    buf = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buf, "PNG")  # small on the wire, 64 Mpx decoded
    return buf.getvalue()


def _eps() -> bytes:
    return b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 32 32\nshowpage\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"<html><body>Not found</body></html>", "decodable"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>', "decodable"),
        (_eps(), "decodable"),  # never handed to Ghostscript
        (png_bytes(icon_image(64, RED))[:60], "decodable"),  # truncated
        (png_bytes(Image.new("RGBA", (1, 1))), "small"),  # a tracking pixel
        (png_bytes(Image.new("RGBA", (64, 64), (0, 0, 0, 0))), "blank"),
        (_huge_png(), "large"),
    ],
    ids=["empty", "html", "svg", "eps", "truncated", "pixel", "blank", "huge"],
)
def test_render_refuses_what_is_not_a_usable_icon(data: bytes, reason: str) -> None:
    with pytest.raises(ImageError, match=reason):
        render_logos(data)


# --- the organizations file -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "ok"),
    [
        ("example.com", True),
        ("bbc.co.uk", True),
        ("xn--bcher-kva.de", True),
        ("127.0.0.1", False),
        ("localhost", False),
        ("circuitledger.test", True),
        ("", False),
        ("../etc", False),
        ("a/b.com", False),
        (".hidden.com", False),
        ("Example.com", False),
        ("::1", False),
    ],
)
def test_is_valid_domain(domain: str, ok: bool) -> None:
    assert is_valid_domain(domain) is ok


def test_organization_text_round_trips_through_the_loader(tmp_path: Path) -> None:
    org = organization_for("example.com", "  Example\n  News ")
    assert org.images == (
        ImageEntry("/assets/images/organizations/example.com-50x50.jpg", 50, 50),
        ImageEntry("/assets/images/organizations/example.com-400x400.jpg", 400, 400),
    )
    (tmp_path / "example.com.md").write_text(organization_text(org), encoding="utf-8")
    assert load_organizations(tmp_path) == {"example.com": org}
    assert org.name == "Example News"


@pytest.mark.parametrize(
    "name",
    ["Foo: Bar", "yes", "123", "#1 News", "- dash", "O'Reilly", '"Quoted"', "Süddeutsche", "null"],
)
def test_organization_text_quotes_names_yaml_would_misread(tmp_path: Path, name: str) -> None:
    org = organization_for("example.com", name)
    (tmp_path / "example.com.md").write_text(organization_text(org), encoding="utf-8")
    assert load_organizations(tmp_path)["example.com"].name == name


def test_organization_text_matches_the_seed_byte_for_byte(corpus: Path) -> None:
    folder = corpus / "ai" / "_data" / "organizations"
    organizations = load_organizations(folder)
    assert len(organizations) >= 10
    for domain, org in organizations.items():
        path = next(p for p in (folder / f"{domain}.md", folder / domain) if p.is_file())
        expected = path.read_text(encoding="utf-8")
        assert organization_text(org) in {expected, expected + "\n"}, path  # ibm.com: no EOL
        if not org.other_names and not org.description:
            assert organization_text(organization_for(domain, org.name)) == organization_text(org)
