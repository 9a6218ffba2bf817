"""Read an image's real size from its bytes, and name its cached copy.

Feeds and pages often lie about image sizes (or say nothing); the seed's ``width`` and
``height`` are the real pixel size, so we decode the header with Pillow. Pure: bytes in,
values out; downloading and writing the cache file happen at the pipeline's edge.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ImageError
from ..models import Image

# Pillow raises DecompressionBombError above 2x this; a news lead image never needs more.
MAX_PIXELS = 60_000_000
EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
    "AVIF": "avif",
}


@dataclass(frozen=True)
class ImageInfo:
    """What the bytes say: pixel size and format (``jpg``, ``png``...)."""

    width: int
    height: int
    ext: str


def inspect_image(data: bytes) -> ImageInfo:
    """Decode enough of ``data`` to know its size and format.

    Raises:
        ImageError: empty bytes, HTML or other non-image bytes, a truncated header,
            or a decompression bomb.
    """
    if not data:
        raise ImageError("empty image body")
    from PIL import Image as PILImage  # here: `everyday build` needs only cache_stem
    from PIL import UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as img:
                width, height = img.size
                fmt = img.format or ""
                if width * height > MAX_PIXELS:
                    raise ImageError(f"image too large: {width}x{height}")
    except (UnidentifiedImageError, PILImage.DecompressionBombError) as e:
        raise ImageError(f"not a decodable image: {e}") from e
    except (OSError, ValueError, PILImage.DecompressionBombWarning) as e:
        raise ImageError(f"broken image: {e}") from e
    if width <= 0 or height <= 0 or fmt not in EXTENSIONS:
        raise ImageError(f"unsupported image format {fmt or 'unknown'}")
    return ImageInfo(width=width, height=height, ext=EXTENSIONS[fmt])


def cache_stem(url: str) -> str:
    """File name, without extension, of an image's cached copy: stable per URL, safe on
    any file system."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
    host = (urlsplit(url).hostname or "img").replace(":", "_")
    return f"{host}-{digest}"


def cache_name(url: str, ext: str) -> str:
    """File name of an image's cached copy (see :func:`cache_stem`)."""
    return f"{cache_stem(url)}.{ext}"


def image_entry(url: str, info: ImageInfo | None) -> Image:
    """The record's image entry: real size when the bytes were read, else ``isCached: false``."""
    if info is None:
        return Image(url=url, is_cached=False)
    return Image(url=url, width=info.width, height=info.height, is_cached=True)
