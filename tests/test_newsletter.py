"""The newsletter: editions read and checked, `podkit newsletter new`, the e-mail the build writes
(HTML, plain text, Markdown), and the archive on the site (pages, index, Atom feed, search)."""

from __future__ import annotations

import email
import re
import shutil
from datetime import date
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from lxml import html as lxml_html  # type: ignore[import-untyped,unused-ignore]

from tests.conftest import snapshot
from tests.newsletter_show import BASE, INTERVIEW, NOW, make_letter_show
from toolkit.cli import cli
from toolkit.newsletter.edition import load_editions
from toolkit.newsletter.start import new_edition

pytestmark = pytest.mark.slow  # the sample show is built from real recordings (once, for the session)



@pytest.fixture(scope="module")
def show(built_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_letter_show(built_sample, tmp_path_factory.mktemp("letters") / "show")


def _absolute(url: str) -> bool:
    return re.match(r"^(https?://[^/]+/|mailto:)", url) is not None


# --- An edition is a file ---------------------------------------------------------------------------


def test_every_problem_of_every_edition_is_reported_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "newsletter"
    folder.mkdir()
    (folder / "2026-11-06.md").write_text(
        '+++\nsubject = "S"\ndate = 2026-11-07\nepisodes = ["nope"]\n'
        '[[links]]\ntitle = "No url"\n[[links]]\nurl = "/relative"\ntitle = "Relative"\n+++\nNote\n')
    (folder / "next-week.md").write_text('+++\nsubject = "S"\ndate = 2026-11-13\n+++\n')
    (folder / "2026-11-20.md").write_text('+++\ndate = 2026-11-20\ncolour = "red"\n+++\n')
    editions, problems = load_editions(tmp_path, {INTERVIEW})
    assert editions == []
    text = "\n".join(str(p) for p in problems)
    assert f"{folder / '2026-11-06.md'}:5: [[links]] #1 url is required" in text
    assert f"{folder / '2026-11-06.md'}:8: link url must be an absolute http(s) URL, not '/relative'" in text
    assert f"{folder / '2026-11-06.md'}:3: date 2026-11-07 is not the file's date 2026-11-06" in text
    assert f"{folder / '2026-11-06.md'}:4: no episode 'nope' in episodes/" in text
    assert f"{folder / 'next-week.md'}: an edition's file is named after its date" in text
    assert f"{folder / '2026-11-20.md'}:3: unknown key 'colour'" in text
    assert f"{folder / '2026-11-20.md'}:1: 'subject' is required" in text or "'subject' is required" in text
    assert len(problems) == 7


def test_a_bad_edition_stops_the_build_and_leaves_the_site(show: Path, tmp_path: Path) -> None:
    root = tmp_path / "show"
    shutil.copytree(show, root, symlinks=True)
    before = snapshot(root / "public")
    (root / "newsletter" / "2026-11-20.md").write_text(
        '+++\nsubject = "Links"\ndate = 2026-11-20\n[[links]]\ntitle = "A link without its address"\n+++\n')
    result = CliRunner().invoke(cli, ["build", "--show", str(root)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{root / 'newsletter' / '2026-11-20.md'}:4: [[links]] #1 url is required" in result.output
    assert snapshot(root / "public") == before
    check = CliRunner().invoke(cli, ["check", "--show", str(root)])
    assert check.exit_code == 1 and "Traceback" not in check.output
    assert f"error: {root / 'newsletter' / '2026-11-20.md'}:4: [[links]] #1 url is required" in check.output
    assert "warning: [newsletter] unsubscribe_url is not set" in check.output.replace(f"{root / 'podkit.toml'}: ", "")


def test_new_starts_the_next_edition_with_the_episodes_since_the_last(show: Path, tmp_path: Path) -> None:
    root = tmp_path / "show"
    shutil.copytree(show, root, symlinks=True)
    shutil.rmtree(root / "newsletter")
    result = CliRunner().invoke(cli, ["newsletter", "new", "--date", "2026-11-06", "--show", str(root)])
    assert result.exit_code == 0, result.output
    path = root / "newsletter" / "2026-11-06.md"
    text = path.read_text()
    assert f'episodes = ["{INTERVIEW}"]' in text and f"#   {INTERVIEW}: Two microphones, one conversation" in text
    editions, problems = load_editions(root, {INTERVIEW})
    assert problems == []
    assert editions[0].day == date(2026, 11, 6) and editions[0].episodes == (INTERVIEW,)
    # The next week: no episode since.
    assert 'episodes = []' in new_edition(root, date(2026, 11, 13)).read_text()
    again = CliRunner().invoke(cli, ["newsletter", "new", "--date", "2026-11-06", "--show", str(root)])
    assert again.exit_code == 1 and "an edition for 2026-11-06 already exists" in again.output
    (root / "newsletter" / "2026-11-20.sent").write_text('{"complete": true, "recipients": 1}\n')
    sent = CliRunner().invoke(cli, ["newsletter", "new", "--date", "2026-11-20", "--show", str(root)])
    assert sent.exit_code == 1 and "the edition of 2026-11-20 was already sent" in sent.output
    before = CliRunner().invoke(cli, ["newsletter", "new", "--date", "2026-11-19", "--show", str(root)])
    assert before.exit_code == 1 and "a later edition, 2026-11-20, was already sent" in before.output


# --- The e-mail ---------------------------------------------------------------------------------------


def test_the_email_is_inlined_absolute_and_has_its_episode(show: Path) -> None:
    folder = show / "public" / "newsletter" / "2026-11-06"
    page = (folder / "email.html").read_text()
    doc = lxml_html.fromstring(page)
    assert doc.xpath("//link[@rel='stylesheet']") == [] and doc.xpath("//script") == []
    # The CSS is in style attributes; only the @media rules stay in the head.
    styles = doc.xpath("//style")
    assert len(styles) == 1 and styles[0].text.strip().startswith("@media")
    assert "background" in doc.xpath("//body/@style")[0]
    assert doc.xpath("//table[@class='frame']/@width") == ["600"]
    for url in doc.xpath("//a/@href | //img/@src"):
        assert _absolute(url), url
    for img in doc.xpath("//img"):
        assert img.get("alt") and img.get("width") == "120" and img.get("height") == "120"
        assert img.get("src").startswith(BASE + "newsletter/images/")
    text = doc.text_content()
    assert "Ask not: the first edition" in text and "Two microphones, one conversation" in text
    assert "With Tom Reyes" in text and "Tom Reyes on shipping speech models" in text
    quote = doc.xpath("//a[starts-with(text(), 'listen from')]/@href")
    assert len(quote) == 1 and re.match(re.escape(f"{BASE}episodes/{INTERVIEW}/") + r"#t=\d+$", quote[0])
    assert doc.xpath("//a[text()='the interview']/@href") == [f"{BASE}episodes/{INTERVIEW}/"]
    assert doc.xpath("//a[text()='The rhythm of political speech']/@href") == ["https://example.org/papers/speech-rhythm"]
    assert (show / "public" / doc.xpath("//img/@src")[0].removeprefix(BASE)).is_file()


def test_the_text_part_has_the_same_content(show: Path) -> None:
    text = (show / "public" / "newsletter" / "2026-11-06" / "email.txt").read_text()
    html = lxml_html.fromstring((show / "public" / "newsletter" / "2026-11-06" / "email.html").read_text())
    assert "<" not in re.sub(r"<https?://[^>\s]+>", "", text)
    flat = " ".join(text.split())
    for needle in ("Ask not: the first edition", "Two microphones", f"{BASE}episodes/{INTERVIEW}/", "With Tom Reyes",
                   "The rhythm of political speech", "https://example.org/papers/speech-rhythm",
                   "Numbers, not adjectives.", f"the interview <{BASE}episodes/{INTERVIEW}/>",
                   "- one thing", BASE + "newsletter/"):
        assert needle in flat, needle
    quote = html.xpath("//p[@class='quote']")[0].text_content().strip("“”")
    assert " ".join(quote.split()) in flat
    # Lines are wrapped for a plain-text reader; only a long address stands on a line of its own.
    long = [line for line in text.splitlines() if len(line) > 78]
    assert all(re.fullmatch(r"\s*([^:]+: )?\(?https?://\S+", line) for line in long), long


def test_the_markdown_is_for_newsletter_services(show: Path) -> None:
    md = (show / "public" / "newsletter" / "2026-11-06" / "email.md").read_text()
    assert md.startswith("# Ask not: the first edition\n")
    assert f"### [Two microphones, one conversation]({BASE}episodes/{INTERVIEW}/)" in md
    assert "- [The rhythm of political speech](https://example.org/papers/speech-rhythm) (Journal of Prosody)" in md
    assert "#t=" in md


def test_a_part_switched_off_is_left_out(show: Path, tmp_path: Path) -> None:
    from toolkit.build.pipeline import build

    root = tmp_path / "show"
    shutil.copytree(show, root, symlinks=True)
    with (root / "podkit.toml").open("a") as f:
        f.write("\n[newsletter]\nquote = false\nguests = false\nartwork = false\n")
    assert build(root, now=NOW).published
    doc = lxml_html.fromstring((root / "public" / "newsletter" / "2026-11-06" / "email.html").read_text())
    assert doc.xpath("//img") == [] and "With Tom Reyes" not in doc.text_content()
    assert "listen from" not in doc.text_content() and "on shipping speech models" in doc.text_content()


# --- The archive --------------------------------------------------------------------------------------


def test_the_archive_has_a_page_per_edition_an_index_and_a_feed(show: Path) -> None:
    public = show / "public"
    index = lxml_html.fromstring((public / "newsletter" / "index.html").read_text())
    assert index.xpath("//ol[@class='newsletter-editions']/li/a/@href") == ["2026-11-13/", "2026-11-06/"]
    page = lxml_html.fromstring((public / "newsletter" / "2026-11-06" / "index.html").read_text())
    assert page.xpath("//h1/text()") == ["Ask not: the first edition"]
    assert page.xpath("//article[@class='newsletter-episode']//h3/a/@href") == [f"{BASE}episodes/{INTERVIEW}/"]
    assert any("#t=" in h for h in page.xpath("//blockquote//a/@href"))
    # Dated later: its e-mail is there to preview, but it is not in the archive yet.
    assert (public / "newsletter" / "2026-12-11" / "email.html").is_file()
    assert not (public / "newsletter" / "2026-12-11" / "index.html").exists()
    later = lxml_html.fromstring((public / "newsletter" / "2026-12-11" / "email.html").read_bytes())
    assert later.xpath("//h2/text()") == ["This week's episodes"]
    assert len(later.xpath("//td[@class='art']//img")) == 2
    feed = feedparser.parse((public / "newsletter.xml").read_bytes())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["A quiet week", "Ask not: the first edition"]
    assert feed.entries[1].link == BASE + "newsletter/2026-11-06/"
    assert "Whisper on a laptop CPU" in feed.entries[1].content[0].value
    assert f"{BASE}episodes/{INTERVIEW}/" in feed.entries[1].content[0].value


def test_the_sitemap_lists_the_archive_and_its_editions(show: Path) -> None:
    """Only editions whose day has come: the later one's e-mail is written, but it is not a page."""
    sitemap = etree.parse(str(show / "public" / "sitemap.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = sitemap.xpath("//s:loc/text()", namespaces=ns)
    assert f"{BASE}newsletter/" in locs
    assert f"{BASE}newsletter/2026-11-06/" in locs and f"{BASE}newsletter/2026-11-13/" in locs
    assert not any("2026-12-11" in loc for loc in locs)
    assert sitemap.xpath(f"//s:url[s:loc='{BASE}newsletter/2026-11-06/']/s:lastmod/text()",
                         namespaces=ns) == ["2026-11-06"]
    assert len(locs) == len(set(locs))


def test_every_page_links_the_archive(show: Path, built_sample: Path) -> None:
    public = show / "public"
    for page in ("index.html", f"episodes/{INTERVIEW}/index.html", "newsletter/2026-11-06/index.html"):
        tree = lxml_html.fromstring((public / page).read_text())
        assert tree.xpath("//nav[@aria-label='Site']//a[text()='Newsletter']/@href"), page
    # A show without editions has no such section.
    plain = lxml_html.fromstring((built_sample / "public" / "index.html").read_text())
    assert not plain.xpath("//nav[@aria-label='Site']//a[text()='Newsletter']")


def test_editions_are_in_site_search(show: Path) -> None:
    public = show / "public"
    assert (public / "pagefind-newsletter" / "0" / "pagefind.js").is_file()
    search = lxml_html.fromstring((public / "search" / "index.html").read_text())
    merged = search.xpath("//script[@data-merge]/@data-merge")[0].split()
    assert "pagefind-newsletter/0" in merged
    entries = list((public / "pagefind-newsletter" / "0").glob("pagefind-entry.json"))
    assert entries and '"page_count":2' in entries[0].read_text().replace(" ", "")


def test_nothing_changed_builds_nothing(show: Path) -> None:
    from toolkit.build.pipeline import build

    assert not build(show, now=NOW).ran


def test_an_edition_comes_due(show: Path, tmp_path: Path) -> None:
    from datetime import timedelta

    from toolkit.build.pipeline import build

    root = tmp_path / "show"
    shutil.copytree(show, root, symlinks=True)
    later = NOW + timedelta(days=30)
    assert build(root, now=later).published
    assert (root / "public" / "newsletter" / "2026-12-11" / "index.html").is_file()


def test_preview_names_the_newest_edition(show: Path) -> None:
    from toolkit.errors import PodkitError
    from toolkit.newsletter.preview import addresses

    assert addresses(show, None, 8123) == [
        "e-mail: http://127.0.0.1:8123/newsletter/2026-12-11/email.html",
        "plain text: http://127.0.0.1:8123/newsletter/2026-12-11/email.txt",
        "Markdown: http://127.0.0.1:8123/newsletter/2026-12-11/email.md"]
    assert addresses(show, "newsletter/2026-11-06.md", 8000)[0].endswith("/newsletter/2026-11-06/email.html")
    with pytest.raises(PodkitError, match="no edition 2026-11-07"):
        addresses(show, "2026-11-07", 8000)


def test_message_parts_are_valid_mime(show: Path) -> None:
    """The parts parse as the e-mail package reads a message (a sanity check on what is sent)."""
    from toolkit.newsletter.send import messages
    from toolkit.show import load_show

    loaded = load_show(show, check_audio=False)
    import dataclasses

    loaded = dataclasses.replace(loaded, newsletter=dataclasses.replace(
        loaded.newsletter, unsubscribe_url="https://example.com/u?e={email}"))
    (item,) = messages(loaded, "2026-11-06", ["reader@example.net"], NOW)
    parsed = email.message_from_bytes(item.message.as_bytes())
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.walk()][1:] == ["text/plain", "text/html"]
