"""fetch stage: the one HTTP seam (caps, SSRF guard, robots.txt, retries, conditional GET)."""

from .http import Fetcher, Response, decode_text

__all__ = ["Fetcher", "Response", "decode_text"]
