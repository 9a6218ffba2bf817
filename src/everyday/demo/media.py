"""Binary files the sample newswire serves: lead images, provider icons and a PDF."""

from __future__ import annotations

import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont


@lru_cache(maxsize=512)
def render_image(
    seed: str, size: tuple[int, int], fmt: str, color: tuple[int, ...], accent: tuple[int, ...]
) -> bytes:
    """A lead image: gradient, a few shapes and a caption band; cached per seed and size."""
    w, h = size
    rng = random.Random(seed)
    dark = tuple(max(0, c - 60) for c in color)
    mask = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize((w, h))
    img = Image.composite(Image.new("RGB", size, color), Image.new("RGB", size, dark), mask)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randint(4, 8)):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randint(h // 12, h // 3)
        shade = tuple(int(a * 0.6 + c * 0.4) for a, c in zip(accent, color, strict=True))
        box = (x - r, y - r, x + r, y + r)
        (draw.ellipse if rng.random() < 0.6 else draw.rectangle)(box, outline=shade, width=3)
    band = h // 7
    draw.rectangle((0, h - band, w, h), fill=dark)
    font = ImageFont.load_default(size=max(12, band // 2))
    draw.text((band // 3, h - band + band // 5), seed.upper()[:40], fill=accent, font=font)
    buf = io.BytesIO()
    if fmt == "PNG":
        img.save(buf, "PNG", optimize=False)
    else:
        img.save(buf, "JPEG", quality=78)
    return buf.getvalue()


@lru_cache(maxsize=64)
def render_icon(p_slug: str, letter: str, color: tuple[int, ...], size: int, fmt: str) -> bytes:
    """A provider icon: its initial on its colour (PNG, or ICO for favicon.ico)."""
    img = Image.new("RGBA", (size, size), (*color, 255))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=int(size * 0.62))
    draw.text((size / 2, size / 2), letter, fill=(255, 255, 255, 255), font=font, anchor="mm")
    buf = io.BytesIO()
    if fmt == "ICO":
        img.save(buf, "ICO", sizes=[(16, 16), (32, 32), (48, 48)])
    else:
        img.save(buf, "PNG")
    return buf.getvalue()


def pdf_bytes(title: str) -> bytes:
    """A small valid one-page PDF: a feed item that is not HTML."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode("latin-1", "replace")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        xref,
    )
    return bytes(out)
