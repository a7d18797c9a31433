"""The blog transcript: paragraphs under chapter headings, timestamps, optional clean-up."""

from __future__ import annotations

import pytest

from toolkit.content.article import Passage, article, clean, page_html, render_html, timed_words, word_offsets
from toolkit.show import Chapter
from toolkit.speech.transcript import Segment, Transcript, Word


def _segment(start: float, text: str, speaker: str | None) -> Segment:
    tokens = text.split()
    step = 0.4
    words = tuple(Word(start + i * step, start + (i + 1) * step, " " + w, 0.9, speaker) for i, w in enumerate(tokens))
    return Segment(start, start + len(tokens) * step, text, words, speaker)


TRANSCRIPT = Transcript("en", 60.0, (
    _segment(0.0, "Um, welcome to the show.", "Ada"),
    _segment(3.0, "Today we, uh, talk about type.", "Ada"),
    _segment(7.0, "I I think the- the printers had had it right.", "Grace"),
    _segment(30.0, "Gothic letters came first.", "Grace"),
    _segment(34.0, "Then, um, roman ones.", "Ada"),
))


@pytest.mark.parametrize(("said", "cleaned"), [
    ("Um, so we started, uh, in 2019.", "So we started in 2019."),
    ("I, um, think the- the model I I built had had problems.", "I think the model I built had had problems."),
    ("It was good, um.", "It was good."),
    ("Uh. Right.", "Right."),
    ("what it is is fine, very very fine", "what it is is fine, very very fine"),
    ("Umbrellas are not fillers.", "Umbrellas are not fillers."),
])
def test_clean_drops_fillers_and_stutters_only(said: str, cleaned: str) -> None:
    assert clean(said) == cleaned


def test_clean_never_rewords() -> None:
    said = "I I think, um, the- the printers, uh, had had it right."
    kept = clean(said).split()
    # What is left is the words said, in order (a subsequence), punctuation aside.
    rest = iter(w.strip(",.") for w in said.split())
    assert all(any(w.strip(",.") == r for r in rest) for w in kept)


def test_paragraphs_by_turn_under_chapter_headings() -> None:
    doc = article(TRANSCRIPT, [Chapter(0.0, "Welcome"), Chapter(29.8, "Letters")])
    assert [s.title for s in doc.sections] == ["Welcome", "Letters"]
    assert [[p.speaker for p in s.paragraphs] for s in doc.sections] == [["Ada", "Grace"], ["Grace", "Ada"]]
    assert doc.sections[1].paragraphs[0].start == 30.0
    # Off by default: the transcript's words as they are.
    assert doc.paragraphs[0].text == "Um, welcome to the show. Today we, uh, talk about type."


def test_cleanup_is_opt_in_and_configurable() -> None:
    doc = article(TRANSCRIPT, [], cleanup=True)
    assert [p.text for p in doc.paragraphs] == [
        "Welcome to the show. Today we talk about type.",
        "I think the printers had had it right.",
        "Gothic letters came first.",  # a long pause starts a new paragraph
        "Then roman ones.",
    ]
    assert article(TRANSCRIPT, [], cleanup=True, fillers=("uh",)).paragraphs[0].text.startswith("Um, welcome")


def test_a_chapter_starting_inside_a_paragraph_splits_it() -> None:
    doc = article(TRANSCRIPT, [Chapter(0.0, "Welcome"), Chapter(3.0, "Type")])
    assert [s.title for s in doc.sections] == ["Welcome", "Type"]
    assert [p.text for p in doc.sections[1].paragraphs][:1] == ["Today we, uh, talk about type."]


def test_html_has_headings_speakers_and_timestamps_into_the_player() -> None:
    page = "https://example.com/episodes/one/"
    out = render_html(article(TRANSCRIPT, [Chapter(29.8, "Letters & <type>")]), page)
    assert "<h2>Letters &amp; &lt;type&gt;</h2>" in out
    assert f'<p><a href="{page}#t=30">0:30</a> <b>Grace:</b> Gothic letters came first.</p>' in out
    assert out.index("Um, welcome") < out.index("<h2>")  # talk before the first chapter comes first
    assert out.count("<p>") == 4


def test_every_word_keeps_its_time_through_cleanup() -> None:
    doc = article(TRANSCRIPT, [], cleanup=True)
    first = doc.paragraphs[0]
    assert first.text.split() == ["Welcome", "to", "the", "show.", "Today", "we", "talk", "about", "type."]
    # "Um," (0.0) is dropped: "Welcome" keeps its own time; "uh," (3.8) is dropped between "we" and "talk".
    assert first.times == pytest.approx((0.4, 0.8, 1.2, 1.6, 3.0, 3.4, 4.2, 4.6, 5.0))


def test_paragraphs_last_at_most_45_seconds() -> None:
    monologue = Transcript("en", 200.0, tuple(_segment(10.0 * i, f"Sentence number {i} goes on.", "Ada")
                                              for i in range(18)))
    doc = article(monologue)
    assert len(doc.paragraphs) > 1
    assert all(p.end - p.start <= 45.0 for p in doc.paragraphs)
    assert " ".join(p.text for p in doc.paragraphs) == " ".join(s.text for s in monologue.segments)


def test_page_words_carry_their_times() -> None:
    out = page_html(article(TRANSCRIPT, []))
    # Tenths of a second after the word before, one character each: 0.0, 0.4, 0.8, ...; 3.0 after 1.6.
    assert '<span class="words" data-w="04444e44444">Um, welcome to the show. Today we, uh, talk about type.</span>' \
           in out
    slow = Passage(0.0, 20.0, None, "a b c", (), (0.0, 6.1, 19.0))
    assert word_offsets(slow) == "0Z(129)"


def test_words_follow_the_text_when_the_engine_splits_a_word() -> None:
    seg = Segment(0.0, 2.0, "Twenty-five years.", (Word(0.0, 0.5, " Twenty"), Word(0.5, 1.0, "-five"),
                                                     Word(1.0, 2.0, " years.")))
    assert timed_words([seg]) == (["Twenty-five", "years."], [0.0, 1.0])
    odd = Segment(0.0, 2.0, "Hello there world", (Word(0.0, 1.0, " Hi"),))  # words that do not spell the text
    words, times = timed_words([odd])
    assert words == ["Hello", "there", "world"] and times == pytest.approx([0.0, 2 / 3, 4 / 3])
