"""Generated show notes: the [notes] settings, each part and its switch, HTML and plain text."""

from __future__ import annotations

import dataclasses
import html
from datetime import UTC, datetime
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.conftest import SHOW_TOML, MakeShow, data_file, episode_md
from toolkit.config import MasterSettings, NotesSettings, TranscribeSettings
from toolkit.content.notes import Derived, Notes, derive, generate, links, render_html, render_text, topics
from toolkit.content.quotes import key_quotes, score
from toolkit.content.summarise import Command, Extractive, key_phrases, sentences
from toolkit.errors import InvalidShow
from toolkit.show import Chapter, Episode, Person, load_show
from toolkit.speech.transcript import Segment, Transcript

NOTES = """We talk about [the Gutenberg Bible](https://example.org/bible) and type.

More at <https://example.org/type> and https://example.org/bare, or [again](https://example.org/bible).
Never <a href="javascript:alert(1)">this</a>.
"""


def lj_transcript() -> Transcript:
    rows = [line.split("\t") for line in data_file("lj-chapter.segments.tsv").read_text().splitlines()]
    return Transcript("en", 231.35, tuple(Segment(float(a), float(b), text) for _, a, b, text in rows))


def episode(**changes: object) -> Episode:
    ep = Episode(slug="lj", folder=Path("."), title="Printing", date=datetime(2026, 1, 1, tzinfo=UTC), number=1,
                 description="", notes=NOTES, tracks=(), people=(
                     Person("Ada Host", "host"),
                     Person("Grace <Guest>", "guest", url="https://example.com/grace", bio="Prints & types.")),
                 chapters=(), master=MasterSettings(), transcribe=TranscribeSettings(), tags=("typography",))
    return dataclasses.replace(ep, **changes)  # type: ignore[arg-type]


CHAPTERS = (Chapter(0.0, "Printing"), Chapter(118.6, "Gothic <type>"))


def test_every_part_and_its_escaping() -> None:
    t = lj_transcript()
    notes = generate(episode(), CHAPTERS, derive(t, CHAPTERS, NotesSettings()), NotesSettings())
    assert [p.name for p in notes.guests] == ["Grace <Guest>"]  # guests only, not the host
    assert [link.url for link in notes.links] == [
        "https://example.org/bible", "https://example.org/type", "https://example.org/bare"]
    assert len(notes.quotes) == 3 and all(q.text in t.text for q in notes.quotes)
    assert notes.topics[0] == "typography" and len(notes.topics) <= 8
    author = MarkdownIt("commonmark", {"html": False}).render(NOTES)
    page = "https://example.com/podcast/episodes/lj/"
    out = render_html(author, notes, page)
    assert out.startswith(author.rstrip())  # the author's notes first
    assert out.index("<h3>Chapters</h3>") < out.index("<h3>Guests</h3>") < out.index("<h3>Links</h3>") \
        < out.index("<h3>Quotes</h3>") < out.index("<h3>Topics</h3>")
    assert f'href="{page}#t=118"' in out and "2:00" not in out and "1:58</a> Gothic &lt;type&gt;" in out
    assert "Grace &lt;Guest&gt;" in out and "Prints &amp; types." in out
    assert 'href="javascript' not in out  # the author's raw HTML stays text
    for q in notes.quotes:
        assert html.escape(q.text) in out
    text = render_text("We talk about the Gutenberg Bible and type.", notes)
    assert text.startswith("We talk about")
    assert "0:00 Printing\n1:58 Gothic <type>" in text
    assert "Grace <Guest>: Prints & types. (https://example.com/grace)" in text
    assert "the Gutenberg Bible: https://example.org/bible" in text
    assert "<" not in text.replace("<type>", "").replace("<Guest>", "")


def test_each_part_switches_off() -> None:
    t = lj_transcript()
    off = NotesSettings(chapters=False, guests=False, links=False, quotes=False, topics=False)
    assert generate(episode(), CHAPTERS, derive(t, CHAPTERS, off), off) == Notes()
    assert derive(t, CHAPTERS, off) == Derived()  # nothing switched off is computed
    assert render_html("<p>Mine.</p>\n", Notes()) == "<p>Mine.</p>\n"
    assert render_text("Mine.", Notes()) == "Mine."
    only_quotes = dataclasses.replace(off, quotes=True, quote_count=1)
    assert len(generate(episode(), CHAPTERS, derive(t, CHAPTERS, only_quotes), only_quotes).quotes) == 1


def test_links_are_collected_once_and_only_safe_ones() -> None:
    found = links("[a](https://x.org/1) [b](javascript:alert(1)) <mailto:me@x.org> https://x.org/1.")
    assert [(link.text, link.url) for link in found] == [
        ("a", "https://x.org/1"), ("mailto:me@x.org", "mailto:me@x.org")]


def test_topics_merge_tags_and_key_phrases_without_repeats() -> None:
    texts = ["Printing is printed.", "The printing of printed letters.", "Letters again."]
    out = topics(["Printing"], [p.text for p in key_phrases([texts], 0, limit=10)], 5)
    assert out[0] == "Printing"
    assert "printed" not in out and "printing" not in out  # one topic, said three ways
    assert "letters" in out


def test_quote_score_is_as_documented() -> None:
    from toolkit.content.summarise import Sentence

    plain = Sentence(0, 5, "Movable metal letters made the printed book what it is.", None, 0, 0.9, True)
    leaning = dataclasses.replace(plain, text="And movable metal letters made the printed book what it is.")
    short = dataclasses.replace(plain, text="Movable letters made the printed book.")
    assert score(plain, 0.5) == pytest.approx(0.5 * (10 / 12) * 0.9)
    assert score(leaning, 0.5) == pytest.approx(0.5 * (11 / 12) * 0.9 * 0.6)
    assert score(short, 0.5) == pytest.approx(0.5 * (6 / 12) * 0.9)
    items = sentences(lj_transcript())
    quotes = key_quotes(items, 2)
    assert [q.start for q in quotes] == sorted(q.start for q in quotes)
    assert all(q.text in lj_transcript().text and q.text.endswith((".", "!")) for q in quotes)
    assert all(8 <= len(q.text.split()) <= 40 for q in quotes)


def test_summaries_extractive_and_by_command() -> None:
    items = sentences(lj_transcript())
    summary = Extractive().summarise(items, max_sentences=2)
    assert summary and all(part in lj_transcript().text for part in summary.split(". ") if part)
    # The language-model backend is a command reading the transcript on stdin; here a stand-in.
    wc = Command(("python3", "-c", "import sys; print(len(sys.stdin.read().split()), 'words')"))
    assert wc.summarise(items, max_sentences=2).endswith("words")


def test_notes_settings_from_the_show_and_the_episode(make_show: MakeShow) -> None:
    toml = "[notes]\nmin_chapter = 60\nquotes = false\n"
    extra = "[notes]\nquotes = true\nquote_count = 1\n"
    root = make_show({"one": episode_md(), "two": episode_md(title="Two", number=2, extra=extra)},
                     toml=SHOW_TOML + toml)
    show = load_show(root, check_audio=False)
    assert show.notes.min_chapter == 60.0 and not show.notes.quotes
    one, two = show.episode("one"), show.episode("two")
    assert one.notes_settings == show.notes
    assert two.notes_settings.quotes and two.notes_settings.quote_count == 1 and two.notes_settings.min_chapter == 60


def test_bad_notes_settings_are_reported_together(make_show: MakeShow) -> None:
    root = make_show({"one": episode_md(extra="[notes]\nquote_count = 'many'\n")},
                     toml=SHOW_TOML + "[notes]\nmin_chapter = 0\nsparkles = true\n")
    with pytest.raises(InvalidShow) as err:
        load_show(root, check_audio=False)
    text = str(err.value)
    assert "sparkles" in text and "min_chapter" in text and "quote_count" in text
