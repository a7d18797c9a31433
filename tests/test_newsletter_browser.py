"""An edition's e-mail in a real Chromium: at 600 px (a desktop mail client's reading pane) and
360 px (a phone), with images off, and in dark mode. The e-mail's links are absolute under the
show's URL, so the browser's requests for that address are answered from the built site.
Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.newsletter_show import BASE, make_letter_show

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = REPO / "test-artifacts"
EMAIL = f"{BASE}newsletter/2026-11-06/email.html"


@pytest.fixture(scope="module")
def public(built_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_letter_show(built_sample, tmp_path_factory.mktemp("letter-browser") / "show") / "public"


def _open(browser: Any, public: Path, width: int, *, images: bool = True, dark: bool = False,
          url: str = EMAIL) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme="dark" if dark else "light")
    requested: list[str] = []

    def serve(route: Any) -> None:
        url = route.request.url.split("#")[0].split("?")[0]
        requested.append(url)
        path = public / url.removeprefix(BASE)
        if path.is_dir():
            path = path / "index.html"
        if route.request.resource_type == "image" and not images:
            route.abort()
        elif path.is_file():
            kind = mimetypes.guess_type(path.name)[0] or ("text/html" if path.suffix == ".html" else
                                                          "application/octet-stream")
            route.fulfill(path=str(path), content_type=kind)
        else:
            route.fulfill(status=404, body="not found")

    context.route(re.compile(r"^https?://"), serve)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_load_state("load")
    # Nothing is fetched from anywhere but the show's site (no remote fonts, CSS or trackers).
    assert all(u.startswith(BASE) for u in requested), requested
    assert errors == []
    return context, page


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", css)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"newsletter-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [600, 360])
def test_the_email_fits_and_shows_everything(browser: Any, public: Path, width: int) -> None:
    context, page = _open(browser, public, width)
    try:
        _shot(page, f"{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        frame = page.locator("table.frame").bounding_box()
        assert frame is not None and frame["width"] == pytest.approx(min(600, width), abs=1)
        for text in ("Ask not: the first edition", "Two microphones, one conversation", "With Tom Reyes",
                     "The rhythm of political speech", "Past editions"):
            assert page.get_by_text(text, exact=False).first.is_visible(), text
        assert page.locator("p.quote").is_visible()
        img = page.locator("td.art img")
        assert img.evaluate("i => i.complete && i.naturalWidth") == 240
        box = img.bounding_box()
        assert box is not None and box["width"] == (120 if width == 600 else 72)
        # The preheader is for the inbox list, not the message.
        assert not page.locator(".preheader").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [600, 360])
def test_the_email_reads_with_images_off(browser: Any, public: Path, width: int) -> None:
    context, page = _open(browser, public, width, images=False)
    try:
        _shot(page, f"{width}-no-images")
        img = page.locator("td.art img")
        assert img.evaluate("i => i.naturalWidth") == 0  # blocked
        box = img.bounding_box()  # it keeps its place: the layout does not jump
        assert box is not None and box["width"] == (120 if width == 600 else 72)
        assert img.get_attribute("alt") == "Artwork of Two microphones, one conversation"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        body = page.locator("td.cell").nth(0)
        assert _luminance(body.evaluate("e => getComputedStyle(e).color")) < 0.3
        for text in ("Two microphones, one conversation", "Whisper on a laptop CPU", "listen from"):
            assert page.get_by_text(text, exact=False).first.is_visible(), text
    finally:
        context.close()


def test_the_email_in_dark_mode(browser: Any, public: Path) -> None:
    context, page = _open(browser, public, 600, dark=True)
    try:
        _shot(page, "dark")
        frame = page.locator("table.frame").evaluate("e => getComputedStyle(e).backgroundColor")
        text = page.locator("td.cell h1").evaluate("e => getComputedStyle(e).color")
        link = page.locator("td.cell h3 a").first.evaluate("e => getComputedStyle(e).color")
        assert _luminance(frame) < 0.2 and _luminance(text) > 0.7 and _luminance(link) > 0.5
    finally:
        context.close()


def test_site_search_finds_an_edition(browser: Any, public: Path) -> None:
    """A word only an edition has ("Prosody", a link's source) leads to the edition's archive page."""
    context, page = _open(browser, public, 1024, url=f"{BASE}search/?q=Prosody")
    try:
        page.wait_for_selector("#search-results li a", timeout=20000)
        hrefs = page.locator("#search-results li a").evaluate_all("links => links.map(a => a.href)")
        assert any(h.startswith(f"{BASE}newsletter/2026-11-06/") for h in hrefs), hrefs
    finally:
        context.close()
