"""The website in a real browser: Playwright driving Debian's Chromium.

One show is built for the module (the sample episodes, with author text that tries to inject
script into one of them) and served by `podkit serve`'s server. Every test fails on any page
error or console error. Screenshots at 360 px and 1280 px go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
HOSTILE_TITLE = 'Printers <script>window.__pwned = 1</script> & "quotes"'
HOSTILE_NOTES = 'Look: <img src="x" onerror="window.__pwned = 2"> and <script>window.__pwned = 3</script>.'
SLUG = "what-printers-knew-about-pipelines"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from toolkit.build.pipeline import build
    from toolkit.publish.serve import make_server
    from toolkit.scaffold import make_artwork

    root = tmp_path_factory.mktemp("browser") / "show"
    root.mkdir()
    shutil.copy(REPO / "podkit.toml", root)
    shutil.copytree(REPO / "episodes", root / "episodes")
    if (REPO / "artwork.png").is_file():
        shutil.copy(REPO / "artwork.png", root)
    else:
        make_artwork(root / "artwork.png", "Shipped")
    md = root / "episodes" / SLUG / "episode.md"
    text = md.read_text()
    text = text.replace('title = "What the printers knew about pipelines"', f"title = '{HOSTILE_TITLE}'")
    md.write_text(text + "\n" + HOSTILE_NOTES + "\n")
    build(root)
    server = make_server(root / "public", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/bootstrap.sh --test")
    from playwright.sync_api import sync_playwright

    args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
            "--autoplay-policy=no-user-gesture-required"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield b
        b.close()


@dataclass
class Page:
    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = Page(context.new_page())
    p.page.on("pageerror", lambda exc: p.errors.append(f"pageerror: {exc}"))
    p.page.on("console", lambda msg: p.errors.append(f"console: {msg.text}") if msg.type == "error" else None)

    def dialog(d: Any) -> None:
        p.dialogs.append(d.message)
        d.dismiss()

    p.page.on("dialog", dialog)
    yield p
    context.close()
    assert p.errors == [], p.errors
    assert p.dialogs == [], p.dialogs


def wait_for_audio(p: Page) -> None:
    p.page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)


def current_time(p: Page) -> float:
    return float(p.page.evaluate("document.getElementById('player').currentTime"))


def test_click_on_a_paragraph_seeks_to_its_start(page: Page, site_url: str) -> None:
    page.page.goto(site_url + f"episodes/{SLUG}/")
    wait_for_audio(page)
    lines = page.page.locator(".transcript .line[data-start]")
    assert lines.count() >= 2
    target = lines.nth(lines.count() - 1)
    start = float(target.get_attribute("data-start") or "nan")
    assert start > 1
    target.click(position={"x": 200, "y": 5})
    page.page.evaluate("document.getElementById('player').pause()")
    assert current_time(page) == pytest.approx(start, abs=0.5)
    assert "current" in (target.get_attribute("class") or "")

    # The keyboard does the same: focus a paragraph, press Enter.
    second = lines.nth(1)
    second.focus()
    page.page.keyboard.press("Enter")
    page.page.evaluate("document.getElementById('player').pause()")
    assert current_time(page) == pytest.approx(float(second.get_attribute("data-start") or "nan"), abs=0.5)

    # A chapter entry seeks too.
    chapter = page.page.locator(".chapters a[data-start]").last
    chapter.click()
    page.page.evaluate("document.getElementById('player').pause()")
    assert current_time(page) == pytest.approx(float(chapter.get_attribute("data-start") or "nan"), abs=0.5)


@pytest.mark.parametrize("fragment, seconds", [("1:05", 65.0), ("42", 42.0)])
def test_fragment_opens_the_page_at_that_moment(page: Page, site_url: str, fragment: str, seconds: float) -> None:
    page.page.goto(site_url + f"episodes/{SLUG}/#t={fragment}")
    wait_for_audio(page)
    page.page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {seconds}) < 0.5")
    highlighted = page.page.locator(".transcript .line.current")
    assert highlighted.count() == 1
    assert float(highlighted.get_attribute("data-start") or "nan") <= seconds


def test_search_finds_a_transcript_word_and_leads_to_that_moment(page: Page, site_url: str, tmp_path: Path) -> None:
    # A word that the transcript (not the notes) of the other episode contains.
    slug = "two-microphones-one-conversation"
    import urllib.request

    with urllib.request.urlopen(site_url + f"episodes/{slug}/{slug}.txt") as resp:
        text = resp.read().decode()
    with urllib.request.urlopen(site_url + f"episodes/{SLUG}/") as resp:  # the other episode's page
        elsewhere = resp.read().decode().lower()
    # A word only this transcript has, so the top hit must be this episode.
    words = [w for w in re.findall(r"[A-Za-z]{7,}", text.split(":", 1)[-1]) if w.lower() not in elsewhere]
    assert words
    word = words[len(words) // 2].lower()
    page.page.goto(site_url + f"search/?q={word}")
    link = page.page.locator("#search-results li h2 a").first
    link.wait_for(timeout=15000)
    href = link.get_attribute("href") or ""
    assert f"episodes/{slug}/" in href and "#t=" in href
    seconds = float(href.split("#t=")[1])
    link.click()
    page.page.wait_for_url(re.compile(f"episodes/{slug}/"))
    wait_for_audio(page)
    page.page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {seconds}) < 0.5")
    # The paragraph at that moment holds the word.
    current = page.page.locator(".transcript .line.current").inner_text().lower()
    assert word in current


def test_author_text_is_shown_as_text_and_never_runs(page: Page, site_url: str) -> None:
    for path in ("", f"episodes/{SLUG}/", "tags/history/", "search/?q=printers"):
        page.page.goto(site_url + path)
        page.page.wait_for_load_state("load")
        assert page.page.evaluate("window.__pwned === undefined"), path
        assert page.page.locator("[onerror]").count() == 0, path
    page.page.goto(site_url + f"episodes/{SLUG}/")
    assert page.page.locator("h1").inner_text() == HOSTILE_TITLE
    assert '<img src="x" onerror=' in page.page.locator(".notes").inner_text()
    assert HOSTILE_TITLE in page.page.title()


def test_pages_render_without_errors_and_screenshots(page: Page, site_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {"index": "", "episode": "episodes/two-microphones-one-conversation/#t=0:24", "people": "people/",
             "about": "about/", "search": "search/?q=printing", "missing": "no/such/page/"}
    for width in (360, 1280):
        page.page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            page.page.goto(site_url + path)
            page.page.wait_for_load_state("load")
            if name == "search":
                page.page.locator("#search-results li").first.wait_for(timeout=15000)
            page.page.wait_for_timeout(300)
            page.page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"))
            # Nothing is wider than the screen: the layout holds down to 360 px.
            assert page.page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    # The 404 page comes with a 404 status, and the browser logs that as a console error.
    page.errors[:] = [e for e in page.errors if "404" not in e]


def test_without_javascript_the_transcript_reads_and_the_player_plays(browser: Any, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    p = context.new_page()
    p.goto(site_url + f"episodes/{SLUG}/")
    assert p.locator(".transcript .line").count() >= 2
    assert p.locator("audio[controls][src]").count() == 1
    assert p.locator("#player-tools").is_hidden()
    context.close()
