"""The website in a real browser: Debian chromium driven by Playwright, site on 127.0.0.1.

The sample hub (tests/site_samples.py) is built into ``<tmp>/robots`` and served from the
``/robots`` sub-path by a stdlib HTTP server, so every link must honour the base URL. Each
page visit fails on console errors, page errors, failed or >= 400 same-origin requests,
dialogs (a hostile title must never run) and broken images; every same-origin link of a
visited page must answer 200. Screenshots go to tests/screenshots/ for a person to look at.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from site_samples import HOSTILE_EXCERPT, HOSTILE_TITLE, build_sample_site

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the browser hangs up on cancelled requests; that is not a site error


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The sample site built and served on 127.0.0.1; yields ``http://127.0.0.1:<port>``."""
    root = tmp_path_factory.mktemp("www")
    server = _Server(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    url = f"http://127.0.0.1:{server.server_port}"
    build_sample_site(root, url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium (never a Playwright-downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing: `apt-get install -y chromium` (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Collects what must not happen on a page: errors, failed requests, dialogs."""

    def __init__(self, page: Any, origin: str) -> None:
        self.origin = origin
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request: Any) -> None:
        if request.failure == "net::ERR_ABORTED":
            return  # leaving a page cancels its lazy images; a missing file shows as a 404
        self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response: Any) -> None:
        if response.url.startswith(self.origin) and response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog fired: {dialog.type} {dialog.message}")
        dialog.dismiss()


_STATUS: dict[str, int] = {}


def status_of(url: str) -> int:
    """HTTP status of a HEAD request (cached: pages share most links)."""
    if url not in _STATUS:
        request = urllib.request.Request(url, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                _STATUS[url] = response.status
        except urllib.error.HTTPError as e:
            _STATUS[url] = e.code
    return _STATUS[url]


def check_page(page: Any, watch: Watch) -> None:
    """Images all load, same-origin links answer 200, and nothing went wrong so far."""
    page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.src)"
    )
    assert broken == [], f"broken images on {page.url}: {broken}"
    missing_alt = page.evaluate(
        "Array.from(document.images).filter(i => !i.hasAttribute('alt')).map(i => i.src)"
    )
    assert missing_alt == []
    urls = page.evaluate(
        "Array.from(document.querySelectorAll('a[href], link[href], script[src], img[src]'))"
        ".map(e => e.href || e.src)"
    )
    local = sorted({u.split("#")[0] for u in urls if u.startswith(watch.origin)})
    assert local, page.url
    bad = [(u, status_of(u)) for u in local if status_of(u) != 200]
    assert bad == [], f"dead links on {page.url}: {bad}"
    assert watch.problems == [], watch.problems


def new_page(
    browser: Any, origin: str, viewport: dict[str, int], scheme: str = "light"
) -> tuple[Any, Any, Watch]:
    context = browser.new_context(viewport=viewport, base_url=origin, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page, Watch(page, origin)


def test_home_topic_article_related_and_back(browser: Any, origin: str) -> None:
    context, page, watch = new_page(browser, origin, DESKTOP)
    page.goto("/robots/")
    assert page.title() == "Robots Every Day"
    assert page.locator(".top .card").count() == 5
    assert page.locator(".sources", has_text="3 sources").count() >= 1  # the c-winter cluster
    check_page(page, watch)

    page.locator('.chips a[href="/robots/topics/drones/"]').first.click()
    page.wait_for_url("**/robots/topics/drones/")
    assert page.locator("h1").inner_text() == "Drones"
    check_page(page, watch)

    first = page.locator(".stories .card__title a").first
    title = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text() == title
    assert page.locator('script[type="application/ld+json"]').count() == 1
    check_page(page, watch)

    related = page.locator('.related a[href^="/robots/"]').first
    related_title = related.inner_text()
    related.click()
    assert page.locator("h1").inner_text() == related_title != title
    check_page(page, watch)

    page.go_back()
    assert page.locator("h1").inner_text() == title
    page.go_back()
    assert page.locator("h1").inner_text() == "Drones"
    assert watch.problems == []
    context.close()


def test_paging_through_the_latest_stories(browser: Any, origin: str) -> None:
    context, page, watch = new_page(browser, origin, DESKTOP)
    page.goto("/robots/")
    seen: set[str] = set(page.locator(".stories .card__title a").all_inner_texts())
    for number in (2, 3):
        page.locator('.pager a[rel="next"]').click()
        page.wait_for_url(f"**/robots/page/{number}/")
        assert f"Page {number} of" in page.locator(".pager__count").inner_text()
        titles = set(page.locator(".stories .card__title a").all_inner_texts())
        assert titles and not titles & seen, "a story shown on two pages"
        seen |= titles
        check_page(page, watch)
    page.locator('.pager a[rel="prev"]').click()
    page.wait_for_url("**/robots/page/2/")
    assert watch.problems == []
    context.close()


def test_search_finds_and_opens_a_story(browser: Any, origin: str) -> None:
    context, page, watch = new_page(browser, origin, DESKTOP)
    page.goto("/robots/search/")
    page.fill("#q", "lunar rover")
    results = page.locator("#search-results li")
    results.first.wait_for()
    texts = results.all_inner_texts()
    assert texts and all("lunar rover" in t.lower() for t in texts)
    assert "match" in page.locator("#search-status").inner_text()
    assert "q=lunar" in page.url
    check_page(page, watch)

    page.fill("#q", "zzqx nothing")
    page.locator("#search-status", has_text="No stories match").wait_for()
    assert results.count() == 0

    page.fill("#q", "script vacuum")
    results.first.wait_for()
    assert results.first.locator("a").inner_text() == HOSTILE_TITLE
    page.fill("#q", "lunar")
    results.first.wait_for()
    link = results.first.locator("a")
    title = link.inner_text()
    link.click()
    assert page.locator("h1").inner_text() == title
    check_page(page, watch)
    context.close()


def test_hostile_markup_shows_as_text_and_never_runs(browser: Any, origin: str) -> None:
    context, page, watch = new_page(browser, origin, DESKTOP)
    page.goto("/robots/search/?q=vacuum")
    page.locator("#search-results li a").first.click()
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.locator(".article__excerpt").inner_text() == HOSTILE_EXCERPT
    assert page.locator("main script, main img[src=x]").count() == 0
    assert page.locator("a.button").count() == 0  # its webUrl is javascript:, never linked
    page.goto("/robots/providers/gearjournal.example/")
    assert page.get_by_text(HOSTILE_TITLE, exact=True).count() == 1
    page.goto("/robots/newsletters/")
    assert page.locator("main a[href^='javascript']").count() == 0
    assert page.get_by_text("<b>bold</b> claims").count() == 1
    assert watch.problems == []
    context.close()


@pytest.mark.parametrize(
    ("name", "viewport", "scheme"),
    [("desktop", DESKTOP, "light"), ("phone", PHONE, "light"), ("phone-dark", PHONE, "dark")],
)
def test_screenshots_and_no_sideways_scroll(
    browser: Any, origin: str, name: str, viewport: dict[str, int], scheme: str
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    context, page, watch = new_page(browser, origin, viewport, scheme)
    page.goto("/robots/")
    article = page.locator(".stories .card__title a").nth(1).get_attribute("href")
    shots = {
        "home": "/robots/",
        "topic": "/robots/topics/robot-arms/",
        "article": article,
        "search": "/robots/search/?q=drone",
    }
    for shot, path in shots.items():
        page.goto(path)
        if shot == "search":
            page.locator("#search-results li").first.wait_for()
        check_page(page, watch)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{shot} scrolls sideways on {name}: {width}px"
        page.screenshot(path=str(SCREENSHOTS / f"{shot}-{name}.png"), full_page=True)
    context.close()


def test_skip_link_moves_focus_to_main(browser: Any, origin: str) -> None:
    context, page, _watch = new_page(browser, origin, DESKTOP)
    page.goto("/robots/topics/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("e => e === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()
