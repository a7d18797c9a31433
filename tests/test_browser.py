"""The website in a real browser: Playwright driving Debian's Chromium.

One show is built for the module (the sample episodes, with author text that tries to inject
script into one of them) and served by `podkit serve`'s server. Every test fails on any page
error or console error. Screenshots at 360, 768 and 1280 px, light and dark, go to test-artifacts/
(git-ignored; CI keeps them as the run's artefacts).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = REPO / "test-artifacts"
HOSTILE_TITLE = 'Printers <script>window.__pwned = 1</script> & "quotes"'
HOSTILE_NOTES = 'Look: <img src="x" onerror="window.__pwned = 2"> and <script>window.__pwned = 3</script>.'
SLUG = "what-printers-knew-about-pipelines"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from toolkit.build.pipeline import build
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
    with serving(root / "public") as url:
        yield url


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
    target.locator("a.ts").click()
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
    assert current_time(page) == pytest.approx(float(chapter.get_attribute("data-start") or "nan"), abs=1.0)


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
             "person": "people/tom-reyes/", "about": "about/", "search": "search/?q=printing",
             "missing": "no/such/page/"}
    for scheme in ("light", "dark"):
        page.page.emulate_media(color_scheme=scheme)
        for width in (360, 768, 1280):
            page.page.set_viewport_size({"width": width, "height": 800})
            for name, path in pages.items():
                page.page.goto(site_url + path)
                page.page.wait_for_load_state("load")
                if name == "search":
                    page.page.locator("#search-results li").first.wait_for(timeout=15000)
                page.page.wait_for_timeout(300)
                page.page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{scheme}.png"), full_page=True)
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
    assert p.locator(".pp").is_hidden()
    assert p.locator(".transcript .line .words").first.inner_text()
    # The lists' play buttons are links to the MP3: the browser plays it.
    p.goto(site_url)
    assert (p.locator(".cards a[data-play]").first.get_attribute("href") or "").endswith(".mp3")
    context.close()


# --- The player, follow-along by word, sharing (the two-speaker episode: chapters, people) ---------

TALK = "episodes/two-microphones-one-conversation/"
TALK_TITLE = "Two microphones, one conversation"
SECOND_CHAPTER = "Ask not what your model can do for you"

# The k-th word of the n-th paragraph: its text, its time (from data-w) and where it is on screen.
# When the words of the n-th paragraph start, decoded from its data-w as the page's own code does
# (tenths of a second after the word before, one character each from 0-9a-zA-Z, or "(n)").
TIMES_JS = """(line) => {
  const digits = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const data = line.querySelector('.words').getAttribute('data-w'), start = parseFloat(line.getAttribute('data-start'));
  const out = [];
  for (let i = 0, t = 0; i < data.length; i++) {
    let gap = digits.indexOf(data[i]);
    if (data[i] === '(') { const j = data.indexOf(')', i); gap = parseInt(data.slice(i + 1, j), 10); i = j; }
    out.push(start + (t += gap) / 10);
  }
  return out;
}"""

# The k-th word of the n-th paragraph: its text, its time (from data-w) and where it is on screen.
WORD_JS = """([n, k]) => {
  const line = document.querySelectorAll('.transcript .line')[n], span = line.querySelector('.words');
  const times = (""" + TIMES_JS + """)(line);
  const text = span.textContent, re = /\\S+/g;
  let m, i = -1;
  while ((m = re.exec(text)) && ++i < k) {}
  line.scrollIntoView({block: 'center'});
  const node = span.firstChild.nodeType === 3 ? span.firstChild : null;
  let rect = null;
  if (node) { const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
              const b = r.getBoundingClientRect(); rect = {x: b.x + b.width / 2, y: b.y + b.height / 2}; }
  return {word: m[0], time: times[k], rect: rect};
}"""


# The words marked as being heard, each with its paragraph and its place in it: the highlight
# "now" (CSS Custom Highlight API, Chromium's way), else the elements .wd.now.
MARKED_JS = """() => {
  const h = window.CSS && CSS.highlights && CSS.highlights.get('now'), place = (line, before) => ({
    line: [...document.querySelectorAll('.transcript .line')].indexOf(line),
    k: before.split(/\\s+/).filter(Boolean).length});
  if (h) return [...h].map((r) => { const line = r.startContainer.parentElement.closest('.line');
    return Object.assign({word: r.toString()}, place(line, r.startContainer.data.slice(0, r.startOffset))); });
  return [...document.querySelectorAll('.wd.now')].map((w) => { const line = w.closest('.line');
    return Object.assign({word: w.textContent}, place(line, ''), {k: [...line.querySelectorAll('.wd')].indexOf(w)}); });
}"""


def marked(p: Page) -> list[dict[str, Any]]:
    return list(p.page.evaluate(MARKED_JS))


def word(p: Page, n: int, k: int) -> dict[str, Any]:
    return dict(p.page.evaluate(WORD_JS, [n, k]))


def test_the_word_being_heard_is_marked_as_the_audio_plays(page: Page, site_url: str) -> None:
    page.page.goto(site_url + TALK)
    wait_for_audio(page)
    w = word(page, 1, 6)
    page.page.evaluate(f"document.getElementById('player').currentTime = {w['time'] + 0.02}")
    page.page.wait_for_function(f"({MARKED_JS})()[0]?.word === {w['word']!r}")
    assert [(m["word"], m["line"], m["k"]) for m in marked(page)] == [(w["word"], 1, 6)]
    assert "current" in (page.page.locator(".transcript .line").nth(1).get_attribute("class") or "")
    # Playing, the mark moves on with the audio, word by word.
    page.page.evaluate("document.getElementById('player').play()")
    page.page.wait_for_function(f"({MARKED_JS})()[0]?.word !== {w['word']!r}", timeout=10000)
    page.page.evaluate("document.getElementById('player').pause()")
    now = page.page.evaluate("""() => {
        const a = document.getElementById('player'), m = (""" + MARKED_JS + """)();
        if (m.length !== 1) return null;
        const line = document.querySelectorAll('.transcript .line')[m[0].line], i = m[0].k;
        const times = (""" + TIMES_JS + """)(line);
        return {t: times[i], next: i + 1 < times.length ? times[i + 1] : 1e9, at: a.currentTime}; }""")
    assert now["t"] <= now["at"] + 0.06 and now["at"] < now["next"] + 0.06


def test_a_click_on_a_word_plays_from_that_word(page: Page, site_url: str) -> None:
    page.page.goto(site_url + TALK)
    wait_for_audio(page)
    w = word(page, 3, 2)
    page.page.mouse.click(w["rect"]["x"], w["rect"]["y"])
    page.page.evaluate("document.getElementById('player').pause()")
    assert current_time(page) == pytest.approx(w["time"], abs=0.3)
    assert [m["word"] for m in marked(page)] == [w["word"]]


def test_scrubber_has_chapter_marks_and_shows_the_current_chapter(page: Page, site_url: str) -> None:
    page.page.goto(site_url + TALK)
    wait_for_audio(page)
    marks = page.page.locator(".pp-marks i")
    assert marks.count() == 1  # the first chapter starts at 0:00: no mark there
    assert marks.get_attribute("title") == SECOND_CHAPTER
    left = float((marks.get_attribute("style") or "").split("left:")[1].rstrip("%;"))
    duration = page.page.evaluate("document.getElementById('player').duration")
    start = float(page.page.locator(".chapters a[data-start]").nth(1).get_attribute("data-start") or "nan")
    assert left == pytest.approx(100 * start / duration, abs=1.0)
    assert page.page.locator(".pp-ch").inner_text() == "Printing and provenance"
    page.page.evaluate(f"document.getElementById('player').currentTime = {start + 2}")
    page.page.wait_for_function(f"document.querySelector('.pp-ch').textContent === {SECOND_CHAPTER!r}")
    assert page.page.locator(".pp-time").inner_text() == f"0:{int(start + 2):02d}"
    assert page.page.locator(".pp-left").inner_text().startswith("−0:")
    # Keyboard: J back 15 s, L forward 30 s (from the page, not a form field).
    page.page.locator("h1").click()
    page.page.keyboard.press("j")
    assert current_time(page) == pytest.approx(max(0.0, start + 2 - 15), abs=0.5)
    page.page.keyboard.press("l")
    assert current_time(page) == pytest.approx(min(duration, max(0.0, start + 2 - 15) + 30), abs=0.5)


def test_media_session_shows_title_artwork_and_chapter(page: Page, site_url: str) -> None:
    page.page.goto(site_url + TALK + "#t=0:30")
    wait_for_audio(page)
    page.page.locator(".pp-play").click()
    page.page.wait_for_function("navigator.mediaSession.metadata !== null")
    meta = page.page.evaluate("""() => { const m = navigator.mediaSession.metadata;
        return {title: m.title, artist: m.artist, album: m.album, art: m.artwork.map(a => a.src),
                state: navigator.mediaSession.playbackState}; }""")
    page.page.evaluate("document.getElementById('player').pause()")
    assert meta["title"] == TALK_TITLE
    assert meta["artist"] == "Shipped: Machine Learning in Production"
    assert meta["album"] == SECOND_CHAPTER
    # The page's small copy, then the artwork itself for large lock screens.
    assert [a.rsplit("/", 1)[-1] for a in meta["art"]] == ["artwork-480.jpg", "artwork.png"]
    assert all(a.startswith("http") for a in meta["art"])
    assert meta["state"] == "playing"


def test_the_position_is_remembered_and_offered_on_return(page: Page, site_url: str) -> None:
    page.page.goto(site_url + TALK)
    wait_for_audio(page)
    page.page.evaluate("() => { const a = document.getElementById('player'); a.currentTime = 21; return a.play(); }")
    page.page.evaluate("document.getElementById('player').pause()")
    at = current_time(page)
    page.page.reload()
    wait_for_audio(page)
    offer = page.page.locator(".pp-offer")
    assert f"0:{int(at):02d}" in offer.inner_text()
    assert current_time(page) == 0
    offer.locator("button", has_text="Resume").click()
    page.page.evaluate("document.getElementById('player').pause()")
    assert current_time(page) == pytest.approx(at, abs=1.0)
    assert offer.count() == 0


def test_selected_words_share_a_link_to_their_moment_and_a_quote(browser: Any, site_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.goto(site_url + TALK)
    p.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
    w = dict(p.evaluate(WORD_JS, [4, 3]))
    # Select from the fourth word of the paragraph to three words on.
    p.evaluate("""() => { const span = document.querySelectorAll('.transcript .line')[4].querySelector('.words');
        const node = span.firstChild, text = node.textContent, re = /\\S+/g, starts = [];
        let m; while ((m = re.exec(text))) starts.push([m.index, m.index + m[0].length]);
        const r = document.createRange(); r.setStart(node, starts[3][0] + 1); r.setEnd(node, starts[5][1]);
        getSelection().removeAllRanges(); getSelection().addRange(r); }""")
    share = p.locator(".share")
    share.wait_for(state="visible")
    share.locator(".share-link").click()
    p.wait_for_function("document.querySelector('.pp-status').textContent.startsWith('Link copied')")
    link = p.evaluate("navigator.clipboard.readText()")
    minutes, seconds = divmod(int(w["time"]), 60)
    canonical = p.locator("link[rel=canonical]").get_attribute("href")
    assert link == f"{canonical}#t={minutes}:{seconds:02d}"
    share.locator(".share-quote").click()
    p.wait_for_function("document.querySelector('.pp-status').textContent.startsWith('Quote copied')")
    quote = p.evaluate("navigator.clipboard.readText()")
    speaker = p.locator(".transcript .line").nth(4).locator(".speaker").inner_text()
    assert quote.startswith("“" + w["word"])  # the selection began inside the word: the quote has all of it
    assert f"” — {speaker}, {TALK_TITLE} (Shipped: Machine Learning in Production) {link}" in quote
    # The link opens the page at that moment.
    p.goto(site_url + TALK + link[link.index("#"):])
    p.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {minutes * 60 + seconds}) < 0.5")
    context.close()
    assert errors == []


@pytest.mark.parametrize(("motion", "glides"), [("no-preference", True), ("reduce", False)])
def test_following_glides_to_a_near_word_unless_the_reader_wants_less_motion(browser: Any, site_url: str,
                                                                              motion: str, glides: bool) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, reduced_motion=motion)
    page = context.new_page()
    # Each scroll the page asks for, kept as it is passed on.
    page.add_init_script("""(() => { const by = window.scrollBy.bind(window); window.__scrolls = [];
        window.scrollBy = (o) => { window.__scrolls.push(o && o.behavior); return by(o); }; })()""")
    page.goto(site_url + TALK)
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=15000)
    # The first paragraph is within two screens of the top on a phone: near enough to glide to.
    page.evaluate("""() => { const a = document.getElementById('player');
        a.currentTime = +document.querySelector('.transcript .line').dataset.start + 0.5; return a.play(); }""")
    page.wait_for_function("window.__scrolls.length > 0")
    scrolls = page.evaluate("window.__scrolls")
    page.evaluate("document.getElementById('player').pause()")
    context.close()
    assert ("smooth" in scrolls) is glides, scrolls


def test_the_docked_player_never_covers_the_focused_element(page: Page, site_url: str) -> None:
    page.page.set_viewport_size({"width": 360, "height": 640})
    page.page.goto(site_url + TALK)
    wait_for_audio(page)
    page.page.evaluate("window.scrollTo(0, document.querySelector('.notes').offsetTop)")
    page.page.wait_for_selector(".pp.docked")
    bar = page.page.evaluate("document.querySelector('.pp').getBoundingClientRect().height")
    assert bar < 640 / 8  # compact: an eighth of a phone's screen at most
    page.page.locator("h1").focus()
    covered = []
    for _ in range(40):
        page.page.keyboard.press("Tab")
        state = page.page.evaluate("""() => { const el = document.activeElement, pp = document.querySelector('.pp');
            if (!el || el === document.body || pp.contains(el) || !pp.classList.contains('docked')) return null;
            const r = el.getBoundingClientRect();
            const top = pp.classList.contains('docked') ? pp.getBoundingClientRect().top : innerHeight;
            return {tag: el.tagName, text: el.textContent.slice(0, 30), bottom: r.bottom, top: top}; }""")
        if state and state["bottom"] > state["top"]:
            covered.append(state)
    assert covered == []


def test_dark_and_light_follow_the_system(browser: Any, site_url: str) -> None:
    def colours(scheme: str) -> dict[str, float]:
        context = browser.new_context(color_scheme=scheme)
        p = context.new_page()
        p.goto(site_url + TALK)
        out = p.evaluate("""() => { const lum = c => { const [r, g, b] = c.match(/\\d+/g).map(Number);
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; };
            const style = getComputedStyle(document.body);
            return {bg: lum(style.backgroundColor), fg: lum(style.color)}; }""")
        context.close()
        return dict(out)

    light, dark = colours("light"), colours("dark")
    assert light["bg"] > 0.9 and light["fg"] < 0.2
    assert dark["bg"] < 0.1 and dark["fg"] > 0.85


def test_an_episode_card_plays_in_place(page: Page, site_url: str) -> None:
    page.page.goto(site_url)
    card = page.page.locator(".cards .card").first
    card.locator("a[data-play]").click()
    page.page.wait_for_function("!document.getElementById('player').paused")
    page.page.evaluate("document.getElementById('player').pause()")
    assert page.page.url == site_url  # still on the list
    assert page.page.locator(".pp.docked").is_visible()
    assert page.page.locator(".pp-ep").inner_text() == card.locator("h3").inner_text().split(". ", 1)[-1]
    src = page.page.evaluate("document.getElementById('player').currentSrc")
    assert src.endswith(".mp3") and "/episodes/" in src


def test_the_transcript_starts_within_two_screens_on_a_phone(page: Page, site_url: str) -> None:
    page.page.set_viewport_size({"width": 360, "height": 740})
    page.page.goto(site_url + TALK)
    top = page.page.evaluate("document.querySelector('.transcript .line').getBoundingClientRect().top + scrollY")
    assert top < 2 * 740


def test_own_css_and_javascript_stay_within_40_kb(site_url: str) -> None:
    import urllib.request

    with urllib.request.urlopen(site_url + TALK) as resp:
        html = resp.read().decode()
    assets = re.findall(r'(?:href|src)="\.\./\.\./(static/[^"]+\.(?:css|js))"', html)
    assert {a.rsplit(".", 2)[0] for a in assets} == {"static/style", "static/player"}
    total = 0
    for a in assets:
        with urllib.request.urlopen(site_url + a) as resp:
            total += len(resp.read())
    assert total <= 40 * 1024, total


def axe_script() -> Path:
    """axe-core from npm: $PODKIT_AXE, else bench/node_modules (see bench/player.py)."""
    path = Path(os.environ.get("PODKIT_AXE") or REPO / "bench" / "node_modules" / "axe-core" / "axe.min.js")
    if not path.is_file():
        pytest.skip(f"axe-core is not installed at {path} (npm i -E axe-core@4.10.2 in bench/)")
    return path


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_accessibility_violations(browser: Any, site_url: str, scheme: str) -> None:
    axe = axe_script()
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    p = context.new_page()
    found = {}
    for path in ("", TALK, "people/", "people/tom-reyes/", "about/", "tags/speech/"):
        p.goto(site_url + path)
        p.wait_for_load_state("load")
        p.add_script_tag(path=str(axe))
        found[path] = p.evaluate("axe.run().then(r => r.violations.map(v => v.id + ': ' + v.nodes.length))")
    context.close()
    assert found == {path: [] for path in found}
