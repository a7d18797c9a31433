"""Chapters, transcript and search agree on when things are said: a chapter heading stands at the
word its chapter starts with, and a search hit links to the moment its excerpt is from, showing the
spoken words only (no speaker names, no chapter titles). Search is checked in Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHOW_TOML, data_file, episode_md, serving
from toolkit.content.article import article, page_html
from toolkit.show import Chapter
from toolkit.speech.transcript import Segment, Transcript, Word


def _segment(start: float, text: str, speaker: str | None = None) -> Segment:
    tokens = text.split()
    words = tuple(Word(start + i * 0.5, start + (i + 1) * 0.5, " " + w, 0.9, speaker) for i, w in enumerate(tokens))
    return Segment(start, start + len(tokens) * 0.5, text, words, speaker)


def test_a_chapter_inside_a_segment_starts_at_its_first_word() -> None:
    # one long segment from 100 s: "Type" is said at 103.5 s, where the chapter starts
    said = "we talked about presses and the machines Type and reproducibility came later on"
    transcript = Transcript("en", 120.0, (_segment(90.0, "Before that."), _segment(100.0, said)))
    doc = article(transcript, [Chapter(0.0, "Intro"), Chapter(103.5, "Type, presses and reproducibility")])
    assert [(s.title, [(p.start, p.text) for p in s.paragraphs]) for s in doc.sections] == [
        ("Intro", [(90.0, "Before that."), (100.0, "we talked about presses and the machines")]),
        ("Type, presses and reproducibility", [(103.5, "Type and reproducibility came later on")]),
    ]
    html = page_html(doc)
    assert html.index("Type, presses and reproducibility</a></h3>") < html.index('id="t103500"')


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 11 s clip with a host and two chapters, the second at 0:04, built."""
    from toolkit.build.pipeline import build
    from toolkit.scaffold import make_artwork

    root = tmp_path_factory.mktemp("moments") / "show"
    folder = root / "episodes/kennedy"
    folder.mkdir(parents=True)
    (root / "podkit.toml").write_text(SHOW_TOML)
    make_artwork(root / "artwork.png", "Test Show")
    shutil.copy(data_file("jfk.flac"), folder / "speech.flac")
    chapters = ('[[people]]\nname = "Ada Lindqvist"\nrole = "host"\ntrack = "speech.flac"\n'
                '[[chapters]]\nstart = "0:00"\ntitle = "Fellow citizens"\n'
                '[[chapters]]\nstart = "0:04"\ntitle = "Heading about duty"\n')
    (folder / "episode.md").write_text(episode_md(audio=None, extra=chapters))
    build(root)
    return root


@pytest.fixture(scope="module")
def served(built: Path) -> Iterator[str]:
    with serving(built / "public") as url:
        yield url


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("word", ["country", "Americans"])
def test_a_search_hit_links_to_the_moment_of_its_excerpt(served: str, browser: Any, word: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served + f"search/?q={word}")
    hit = page.locator("#search-results li").first
    hit.wait_for(timeout=20000)
    href = hit.locator("h2 a").get_attribute("href")
    assert href is not None and "#t=" in href
    excerpt = hit.locator("p").last.inner_text()
    assert word.lower() in hit.locator("mark").first.inner_text().lower()
    assert "Ada" not in excerpt and "Heading" not in excerpt and "duty" not in excerpt  # spoken words only
    seconds = float(href.split("#t=")[1])
    page.goto(served + "episodes/kennedy/")
    paragraphs = page.eval_on_selector_all(
        ".transcript p.line", "ps => ps.map(p => [parseFloat(p.dataset.start), p.textContent])")
    (text,) = [t for start, t in paragraphs if abs(start - seconds) < 0.01]
    for w in excerpt.replace("…", " ").split():  # Pagefind ends a paragraph without a full stop with one
        assert w.rstrip(".") in text, (w, text)
    assert errors == []


@pytest.mark.slow
@pytest.mark.browser
def test_a_chapter_scrolled_to_is_not_under_the_docked_player(served: str, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 640})
    page.goto(served + "episodes/kennedy/")
    page.evaluate("document.body.appendChild(Object.assign(document.createElement('div'), "
                  "{style: 'height: 3000px'}))")  # room to scroll the heading to the top
    page.evaluate("location.hash = '#chapter-2'")
    page.wait_for_function("window.scrollY > 0")
    page.wait_for_timeout(300)  # the player docks once it has scrolled away
    box = page.eval_on_selector("#chapter-2", "e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }")
    assert box[0] >= 0, box
    docked = page.query_selector(".pp.docked")
    if docked is not None and docked.is_visible():
        assert box[1] <= docked.bounding_box()["y"], box


@pytest.mark.slow
@pytest.mark.browser
def test_the_404_page_works_under_the_urls_sub_path(built: Path, browser: Any) -> None:
    """The show's url is https://example.com/podcast/: its 404 page links under /podcast/, where
    `podkit serve` serves the site too."""

    with serving(built / "public", prefix="/podcast/") as base:
        page = browser.new_page()
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(base + "no/such/page/")
        assert failed == [f"404 {base}no/such/page/"]
        assert page.eval_on_selector("link[rel=stylesheet]", "l => l.sheet !== null && l.sheet.cssRules.length > 0")
        home = page.eval_on_selector("header.site a.brand", "a => a.href")
        assert home == base
        page.goto(home)
        assert page.locator("h1, h2").first.is_visible() and len(failed) == 1
