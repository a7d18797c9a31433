"""The rendered site, read with real parsers: links, metadata, escaping, incremental rebuilds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from lxml import html as lxml_html  # type: ignore[import-untyped,unused-ignore]

from tests.conftest import MakeShow, debris, episode_md


def page(path: Path) -> etree._Element:
    return lxml_html.fromstring(path.read_bytes())


def test_pages_metadata_and_discovery(built_small: Path) -> None:
    public = built_small / "public"
    doc = page(public / "episodes" / "kennedy" / "index.html")
    assert doc.get("lang") == "en"
    assert doc.xpath("//link[@rel='canonical']/@href") == ["https://example.com/podcast/episodes/kennedy/"]
    assert doc.xpath("//meta[@property='og:title']/@content")[0].startswith("Kennedy")
    assert doc.xpath("//meta[@name='twitter:card']/@content") == ["summary"]
    ld = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
    assert ld["@type"] == "PodcastEpisode" and ld["partOfSeries"]["@type"] == "PodcastSeries"
    assert ld["associatedMedia"]["contentUrl"] == "https://example.com/podcast/episodes/kennedy/kennedy.mp3"
    # Every element that seeks carries data-start; the paragraphs hold the speaker-less transcript.
    assert doc.xpath("//p[contains(@class,'line')]/@data-start")
    # Relative links only: the site works under any base path.
    hrefs = doc.xpath("//a/@href | //link[@rel='stylesheet']/@href | //script/@src")
    assert not [h for h in hrefs if h.startswith("/")]
    for rel in ("index.html", "404.html", "about/index.html", "people/index.html", "tags/index.html",
                "search/index.html", "robots.txt", "pagefind/pagefind.js"):
        assert (public / rel).is_file(), rel
    sitemap = etree.parse(str(public / "sitemap.xml"))
    locs = sitemap.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    assert "https://example.com/podcast/episodes/kennedy/" in locs
    assert all(loc.startswith("https://example.com/podcast/") for loc in locs)
    assert "Sitemap: https://example.com/podcast/sitemap.xml" in (public / "robots.txt").read_text()
    # The 404 page is served anywhere: its links are absolute paths under the base path.
    assert page(public / "404.html").xpath("//link[@rel='stylesheet']/@href")[0].startswith("/podcast/static/")


def test_author_text_is_escaped_everywhere(make_show: MakeShow) -> None:
    from toolkit.build.pipeline import build

    evil = '<script>alert(1)</script>'
    root = make_show({"kennedy": episode_md(
        title=f"Hello {evil}", notes='<img src=x onerror="alert(2)"> and <b>bold</b>',
        extra='tags = ["<script>t</script>"]\ndescription = "<i onmouseover=alert(3)>d</i>"\n')})
    build(root)
    for path in (root / "public").rglob("*.html"):
        doc = page(path)
        assert not doc.xpath("//*[@onerror or @onmouseover]"), path
        scripts = doc.xpath("//script[not(@src) and not(@type='application/ld+json')]")
        assert not [s for s in scripts if "alert" in (s.text or "")], path
        for data in doc.xpath("//script[@type='application/ld+json']/text()"):
            json.loads(data)  # valid JSON, and it cannot close its element early
            assert "</script" not in data
    doc = page(root / "public" / "episodes" / "kennedy" / "index.html")
    assert doc.xpath("//h1")[0].text_content() == f"Hello {evil}"


def test_one_edit_reuses_every_other_output(built_small: Path, tmp_path: Path) -> None:
    from toolkit.build.pipeline import build

    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    out = root / "public"
    assert build(root).ran.get("site", 0) == 0  # a copy elsewhere is the same show: nothing rendered
    before = {p.relative_to(out): p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    md = root / "episodes" / "kennedy" / "episode.md"
    md.write_text(md.read_text() + "\nA correction.\n")
    run = build(root)
    assert run.ran["site"] == 1 and not {"master", "transcribe"} & set(run.ran)
    after = {p.relative_to(out): p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    page_path = Path("episodes/kennedy/index.html")
    assert "A correction." in (out / page_path).read_text()
    assert after[page_path] != before[page_path]
    # The transcript files did not change: hard links to the content stage's files in the cache, never rewritten.
    cached = {p.stat().st_ino for p in (root / ".podkit" / "content").rglob("transcript.vtt")}
    assert after[Path("episodes/kennedy/kennedy.vtt")] in cached
    untouched = [p for p in before if p.parts[0] == "people"]
    assert untouched and all(after[p] == before[p] for p in untouched)  # reused from the last site
    assert json.loads((out / ".podkit-pages.json").read_text())


def test_a_show_template_overrides_the_default_by_name(built_small: Path, tmp_path: Path) -> None:
    from toolkit.build.pipeline import build

    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    (root / "templates").mkdir()
    (root / "templates" / "404.html").write_text('{% extends "base.html" %}{% block main %}Gone fishing{% endblock %}')
    build(root)
    assert "Gone fishing" in (root / "public" / "404.html").read_text()
    assert "Gone fishing" not in (root / "public" / "index.html").read_text()


def test_a_commit_cut_off_before_the_swap_leaves_the_site_and_the_next_build_tidies(built_small: Path,
                                                                                    tmp_path: Path) -> None:
    from tests.conftest import snapshot
    from toolkit.build.pipeline import build
    from toolkit.publish.writer import Writer

    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    build(root)
    before = snapshot(root / "public")
    writer = Writer(root / "public")
    writer.adopt("episodes/kennedy/")
    writer.write("index.html", "half a build")  # then the process dies before the swap
    assert snapshot(root / "public") == before
    assert build(root).ran == {}  # nothing changed: the next build only drops the staging folder
    assert snapshot(root / "public") == before
    assert not debris(tmp_path / "show")


def test_the_no_op_check_looks_at_public(built_small: Path, tmp_path: Path) -> None:
    """"Up to date" only when public/ is what the last build wrote: a file deleted or changed is rebuilt."""
    from datetime import UTC, datetime

    from tests.conftest import snapshot
    from toolkit.build.pipeline import build

    now = datetime(2026, 6, 1, tzinfo=UTC)  # the feed's build date is the build's
    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    build(root, now=now, force=True)
    before = snapshot(root / "public")
    assert build(root, now=now).ran == {}
    (root / "public" / "feed.xml").unlink()
    (root / "public" / "episodes" / "kennedy" / "index.html").write_text("defaced")
    assert build(root, now=now).ran == {"site": 1}
    assert snapshot(root / "public") == before
    assert build(root, now=now).ran == {}
