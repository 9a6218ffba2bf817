"""Time our per-article processing against the bare trafilatura call it wraps.

(a) ``trafilatura.bare_extraction(html, url=..., **TRAFILATURA_OPTIONS)``: the very call
    ``extract_page`` makes, with the same options, on the same HTML strings;
(b) ``extract_page`` + ``merge`` + ``make_excerpt``: everything we do per article.

Pages: the golden pages of ``tests/golden/pages`` plus generated variants (longer bodies,
heavier boilerplate, comment threads), 100 pages in all, processed ``--rounds`` times.
The two sides alternate order each round so warm caches favour neither. Target: b/a <= 1.3.

Run: ``.venv/bin/python bench/bench_extract.py [--rounds 5] [--pages 100]``
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from everyday.enrich.excerpt import make_excerpt
from everyday.extract.merge import merge
from everyday.extract.page import TRAFILATURA_OPTIONS, decode_html, extract_page
from everyday.models import FeedEntry

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from extract_golden import golden_pages

_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
_WORDS = (
    "model", "survey", "council", "robot", "cable", "lender", "sensor", "market", "harbour",
    "vineyard", "budget", "winter", "signal", "archive", "network", "engineer", "policy",
)  # fmt: skip


def corpus(count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(html, url) pairs: every golden page, then generated variants up to ``count``."""
    rng = random.Random(seed)
    base = [
        (decode_html(g.markup) if isinstance(g.markup, bytes) else g.markup, g.url)
        for g in golden_pages()
    ]
    pages = list(base)
    while len(pages) < count:
        html, url = rng.choice(base)
        pages.append((_variant(html, rng), f"{url.split('?')[0]}?v={len(pages)}"))
    return pages[:count]


def _variant(html: str, rng: random.Random) -> str:
    """A bigger, noisier page: repeated and reworded paragraphs, long nav, many comments."""
    paragraphs = _PARAGRAPH.findall(html)
    extra = "".join(
        f"<p>{_reword(rng.choice(paragraphs), rng)}</p>\n" for _ in range(rng.randint(4, 30))
    )
    html = html.replace("</article>", extra + "</article>", 1) if "</article>" in html else html
    nav = "".join(f'<li><a href="/s/{i}">Section {i}</a></li>' for i in range(rng.randint(20, 200)))
    comments = "".join(
        f'<li class="comment"><b>reader{i}</b><p>{_reword("I disagree with this.", rng)}</p></li>'
        for i in range(rng.randint(0, 120))
    )
    boiler = f'<nav class="mega"><ul>{nav}</ul></nav><section id="comments"><ol>{comments}</ol></section>'
    return html.replace("</body>", boiler + "</body>", 1)


def _reword(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(max(1, len(words) // 8)):
        words[rng.randrange(len(words))] = rng.choice(_WORDS)
    return " ".join(words)


def trafilatura_only(html: str, url: str) -> object:
    return trafilatura.bare_extraction(html, url=url, **TRAFILATURA_OPTIONS)  # type: ignore[arg-type]


def full_processing(html: str, url: str) -> object:
    entry = FeedEntry(url=url, source_url="https://example.org/feed.xml", title="A feed title")
    merged = merge(entry, extract_page(html, url), url)
    return make_excerpt(merged.description, merged.text)


def run(pages: list[tuple[str, str]], fn: Callable[[str, str], object]) -> float:
    start = time.perf_counter()
    for html, url in pages:
        fn(html, url)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    pages = corpus(args.pages)
    size = sum(len(h) for h, _ in pages)
    run(pages[:10], trafilatura_only)  # warm imports and caches
    run(pages[:10], full_processing)
    a_times, b_times = [], []
    for i in range(args.rounds):
        order = [(a_times, trafilatura_only), (b_times, full_processing)]
        for times, fn in order if i % 2 == 0 else reversed(order):
            times.append(run(pages, fn))
    a, b = statistics.median(a_times), statistics.median(b_times)
    print(f"pages={len(pages)} html={size / 1e6:.1f}MB rounds={args.rounds}")
    print(f"(a) trafilatura alone : {a * 1000 / len(pages):7.2f} ms/page  ({a:.2f}s per pass)")
    print(f"(b) extract+merge+excerpt: {b * 1000 / len(pages):7.2f} ms/page  ({b:.2f}s per pass)")
    print(f"ratio b/a = {b / a:.3f}  (target <= 1.3)")


if __name__ == "__main__":
    main()
