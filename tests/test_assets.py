"""The author's files and Markdown: images in the notes, people's photos, the episode's artwork and
attachments are checked, published beside the episode (or the show) and linked by absolute URL in
the feed; bios and descriptions are Markdown; notes have tables, footnotes and nested headings.

One show is built for the module (real ffmpeg, real Whisper), read back by feedparser and
podcastparser, and its pages opened in Chromium, where every image must load.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner
from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from PIL import Image

from tests.conftest import data_file, serving
from toolkit import markdown
from toolkit.cli import cli

BASE = "https://podkit-test.net/sub/"
NS = {"podcast": "https://podcastindex.org/namespace/1.0", "content": "http://purl.org/rss/1.0/modules/content/"}
TOML = f'''[show]
title = "Assets Show"
url = "{BASE}"
author = "Test Author"
email = "test@podkit-test.net"
language = "en"
description = "A show *with* pictures."
category = "Technology"
explicit = false
artwork = "artwork.png"
'''
EPISODE = '''+++
title = "Kennedy"
date = 2026-01-05
number = 1
audio = "speech.flac"
image = "cover.jpg"
description = "Ask *not*."
tags = ["Café Ünïcode"]

[[people]]
name = "Ada Host"
role = "host"
img = "/people/ada.jpg"

[[people]]
name = "Grace Гость"
role = "guest"
img = "img/grace.jpg"
bio = "Writes **compilers**; see [her site](https://grace.dev)."
+++

# What we covered

Our guest is
always right.

## The diagram

![Diagram](diagram.png)

| Year | Press |
|------|-------|
| 1450 | Mainz |

3. third
4. fourth

The [slides](slides.pdf) and a footnote[^1].

[^1]: The note.
'''


def make(root: Path) -> Path:
    from toolkit.scaffold import make_artwork

    folder = root / "episodes/kennedy"
    (folder / "img").mkdir(parents=True)
    (root / "people").mkdir()
    (root / "podkit.toml").write_text(TOML)
    make_artwork(root / "artwork.png", "Assets")
    shutil.copy(data_file("jfk.flac"), folder / "speech.flac")
    Image.new("RGB", (300, 200), (200, 30, 30)).save(folder / "diagram.png")
    Image.new("RGB", (200, 200), (30, 200, 30)).save(folder / "img/grace.jpg")
    Image.new("RGB", (200, 200), (30, 30, 200)).save(root / "people/ada.jpg")
    Image.new("RGB", (1400, 1400), (90, 90, 30)).save(folder / "cover.jpg")
    (folder / "slides.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (folder / "episode.md").write_text(EPISODE)
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.build.pipeline import build

    root = make(tmp_path_factory.mktemp("assets") / "show")
    build(root)
    return root


def _local(root: Path, url: str) -> Path:
    assert url.startswith(BASE), url
    return root / "public" / urlsplit(url).path[len(urlsplit(BASE).path):]


@pytest.mark.slow
def test_every_named_file_is_published_and_the_feed_links_it_absolutely(built: Path) -> None:
    public = built / "public"
    for rel in ("episodes/kennedy/diagram.png", "episodes/kennedy/img/grace.jpg", "episodes/kennedy/slides.pdf",
                "files/people/ada.jpg", "episodes/kennedy/kennedy-cover.jpg"):
        assert (public / rel).is_file(), rel
    data = (public / "feed.xml").read_bytes()
    item = etree.fromstring(data).find("channel/item")
    html = etree.HTML(item.findtext("content:encoded", namespaces=NS))
    srcs = html.xpath("//img/@src")
    assert srcs == [BASE + "episodes/kennedy/diagram.png", BASE + "episodes/kennedy/img/grace.jpg"]
    assert BASE + "episodes/kennedy/slides.pdf" in html.xpath("//a/@href")
    for url in srcs:
        assert _local(built, url).is_file()
    people = {p.text: p.get("img") for p in item.findall("podcast:person", NS)}
    assert people == {"Ada Host": BASE + "files/people/ada.jpg", "Grace Гость": BASE + "episodes/kennedy/img/grace.jpg"}
    for url in people.values():
        assert _local(built, url).is_file()
    # the notes' own headings sit under the page's "Show notes"; tables and footnotes are HTML
    assert html.xpath("//h3/text()")[0] == "What we covered" and "The diagram" in html.xpath("//h4/text()")
    assert html.xpath("//table//td/text()") == ["1450", "Mainz"]
    assert html.xpath("//section[@class='footnotes']//p/text()")[0].strip() == "The note."
    # no relative reference is left for a feed reader to resolve
    assert html.xpath("//sup[@class='footnote-ref']/a/@href") == [BASE + "episodes/kennedy/#fn1"]
    assert [u for u in html.xpath("//@href | //@src") if not u.startswith(("https://", "mailto:"))] == []
    # the bio is Markdown, in the notes and as plain text in the description
    assert html.xpath("//ul[@class='notes-guests']//strong/text()") == ["compilers"]
    parsed = feedparser.parse(data)
    text = parsed.entries[0].description
    assert "Our guest is\nalways right." in text and "3. third\n4. fourth" in text
    assert "Grace Гость: Writes compilers; see her site." in text and "**" not in text
    assert parsed.feed.description == "A show with pictures."
    episode = podcastparser.parse(BASE + "feed.xml", io.BytesIO(data))["episodes"][0]
    assert episode["episode_art_url"] == BASE + "episodes/kennedy/kennedy-cover.jpg"
    assert (public / "tags/cafe-unicode/index.html").is_file()  # the slug rule of the folders
    assert (public / "people/grace-gost/index.html").is_file()


def test_plain_text_keeps_line_breaks_spaces_and_numbers() -> None:
    assert markdown.text("Our guest is\nalways right.\n\n3. three\n4. four\n") == \
        "Our guest is\nalways right.\n\n3. three\n4. four"
    assert markdown.text("- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |\n") == "- a\n- b\n\nx | y\n1 | 2"
    assert markdown.html("## A\n\n### B\n", top=3) == "<h3>A</h3>\n<h4>B</h4>\n"
    assert markdown.inline_html("a <b>bold</b> *move*") == "a &lt;b&gt;bold&lt;/b&gt; <em>move</em>"


@pytest.mark.parametrize(("edit", "line", "message"), [
    (lambda t: t, 29, "the image 'diagram.png' does not exist"),
    (lambda t: t.replace('img = "img/grace.jpg"', 'img = "img/nobody.jpg"'), 18,
     "Grace Гость's photo 'img/nobody.jpg' does not exist"),
    (lambda t: t.replace("[slides](slides.pdf)", "[slides](talk.pdf)"), 38, "the file 'talk.pdf' does not exist"),
])
def test_a_missing_file_is_an_error_naming_it_and_its_line(tmp_path: Path, edit: Any, line: int,
                                                           message: str) -> None:
    root = make(tmp_path / "show")
    md = root / "episodes/kennedy/episode.md"
    md.write_text(edit(md.read_text()))
    (root / "episodes/kennedy/diagram.png").unlink() if "diagram" in message else None
    result = CliRunner().invoke(cli, ["check", "--show", str(root)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"error: {md}:{line}: {message} (put it in kennedy/ beside episode.md or in "
                                    "the show's folder, or give an absolute URL)")


@pytest.fixture(scope="module")
def served(built: Path) -> Iterator[str]:
    with serving(built / "public") as url:
        yield url


def _open(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    return page, failed


@pytest.mark.slow
@pytest.mark.browser
def test_pages_show_the_images_and_photos(browser: Any, served: str) -> None:
    page, failed = _open(browser, served + "episodes/kennedy/")
    images = page.eval_on_selector_all(
        ".notes img, img.ep-art, .people-row img", "els => els.map(e => [e.getAttribute('src'), e.naturalWidth])")
    # The page shows a small copy of the episode's image; og:image is the image itself.
    assert sorted(src for src, _ in images) == ["../../episodes/kennedy/img/grace.jpg",
                                                "../../episodes/kennedy/kennedy-cover-480.jpg",
                                                "../../files/people/ada.jpg", "diagram.png"]
    assert all(width > 0 for _, width in images), images
    assert page.get_attribute('meta[property="og:image"]', "content") == BASE + "episodes/kennedy/kennedy-cover.jpg"
    assert page.inner_text(".lede em") == "not"
    assert page.eval_on_selector_all(".notes table td", "els => els.map(e => e.textContent)") == ["1450", "Mainz"]
    assert page.inner_text(".notes h3 >> nth=0") == "What we covered"
    href = page.eval_on_selector(".notes a[href='slides.pdf']", "a => a.href")
    assert href == served + "episodes/kennedy/slides.pdf" and page.request.get(href).body().startswith(b"%PDF")
    assert failed == []
    for slug, src in (("grace-gost", "../../episodes/kennedy/img/grace.jpg"),
                      ("ada-host", "../../files/people/ada.jpg")):
        page, failed = _open(browser, served + f"people/{slug}/")
        assert page.get_attribute(".profile img.avatar", "src") == src
        assert page.eval_on_selector(".profile img.avatar", "e => e.naturalWidth") > 0
        assert failed == []
    page, _ = _open(browser, served + "people/grace-gost/")
    assert page.inner_text("main strong") == "compilers"


def test_links_to_the_sites_pages_are_not_files_and_are_absolute_in_the_feed() -> None:
    text = "[before](../first/) [slides](slides.pdf) [part](#two) ![d](d.png) [page](x.html)"
    assert [(r.target, r.image) for r in markdown.references(text)] == [("slides.pdf", False), ("d.png", True)]
    page = "https://podkit-test.net/sub/episodes/second/"
    out = markdown.html(text, urls={"slides.pdf": page + "slides.pdf", "d.png": page + "d.png"}, page=page)
    assert etree.HTML(out).xpath("//@href | //@src") == [
        "https://podkit-test.net/sub/episodes/first/", page + "slides.pdf", page + "#two", page + "d.png",
        page + "x.html"]
