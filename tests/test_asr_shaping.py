"""Shaping words for reading and captions, the guards against decoder loops, and speaker attribution."""

from __future__ import annotations

import random

import numpy as np

from toolkit.speech.shaping import (
    _cues_word_by_word,
    _segment_cues,
    compression_ratio,
    cues,
    drop_repeats,
    guard,
    paragraphs,
    resegment,
    wrap,
)
from toolkit.speech.speakers import Activity, attribute
from toolkit.speech.transcript import Segment, Transcript, Word


def words(text: str, start: float = 0.0, step: float = 0.3, speaker: str | None = None) -> list[Word]:
    return [Word(start + i * step, start + i * step + 0.25, " " + t, 0.9, speaker)
            for i, t in enumerate(text.split())]


def test_segments_end_at_sentences_pauses_and_speaker_changes() -> None:
    ws = (words("Hello there. How are you", 0.0) + words("today?", 5.0)
          + words("Fine thanks", 6.0, speaker="1"))
    segs = resegment(ws)
    assert [s.text for s in segs] == ["Hello there.", "How are you", "today?", "Fine thanks"]
    assert segs[0].start == 0.0 and segs[0].end == 0.55
    assert segs[3].speaker == "1"


def test_a_run_on_sentence_is_cut_after_a_clause() -> None:
    text = " ".join(["word"] * 30) + ", " + " ".join(["more"] * 30)
    segs = resegment(words(text), max_chars=200)
    assert segs[0].text.endswith("word,") and all(len(s.text) <= 200 for s in segs)
    assert " ".join(s.text for s in segs) == text.replace(" ,", ",")


def test_cues_fit_two_lines_and_stay_within_a_segment() -> None:
    text = ("Printing, in the only sense with which we are at present concerned, differs from most "
            "if not from all the arts and crafts represented in the Exhibition, wonderfully so.")
    ws = words(text, step=0.2)
    t = Transcript("en", 60.0, (Segment(ws[0].start, ws[-1].end, text, tuple(ws), "0"),))
    out = cues(t, line_chars=42, lines=2)
    assert " ".join(" ".join(c.lines) for c in out) == text
    for c in out:
        assert 1 <= len(c.lines) <= 2 and all(len(line) <= 42 for line in c.lines)
        assert c.end - c.start <= 7.0 and c.speaker == "0"
    assert any(c.lines[-1].endswith(",") for c in out)  # breaks prefer punctuation


def test_cues_by_running_sums_match_word_by_word() -> None:
    # Whisper's " word" segments take the running-sums path; `_cues_word_by_word` is the plain reading of the
    # rule (word by word), which every other segment takes. Both must cut every segment alike.
    rng = random.Random(7)
    vocabulary = ["a", "I", "type,", "letters.", "Gutenberg's", "(printed)", "what?", "so—", "“quoted.”",
                  "extraordinarily", "x" * 50, "said:", "well…", "movable", "the"]
    for _ in range(300):
        t, ws = 0.0, []
        for _ in range(rng.randint(1, 60)):
            gap, length = rng.choice((0.05, 0.1, 2.5)), rng.choice((0.2, 0.5, 3.0))
            ws.append(Word(round(t + gap, 2), round(t + gap + length, 2), " " + rng.choice(vocabulary)))
            t += gap + length
        seg = Segment(ws[0].start, ws[-1].end, "".join(w.text for w in ws), tuple(ws), "0")
        for width, lines in ((42, 2), (32, 2), (20, 1)):
            assert _segment_cues(seg, width, lines, 7.0) == _cues_word_by_word("0", ws, width, lines, 7.0)


def test_wrap_balances_two_lines() -> None:
    assert wrap("short", 42) == ["short"]
    a, b = wrap("the quick brown fox jumps over the lazy dog again and again", 42)
    assert abs(len(a) - len(b)) <= 10


def test_paragraphs_by_turn_pause_and_length() -> None:
    segs = (Segment(0, 1, "One.", (), "0"), Segment(1.5, 2, "Two.", (), "0"), Segment(2.5, 3, "Three.", (), "1"),
            Segment(9, 10, "Four.", (), "1"))
    paras = paragraphs(Transcript("en", 10, segs))
    assert [(p.speaker, p.text) for p in paras] == [("0", "One. Two."), ("1", "Three."), ("1", "Four.")]
    long = tuple(Segment(i, i + 0.5, "A sentence of some length here.", (), None) for i in range(60))
    assert len(paragraphs(Transcript("en", 60, long), max_chars=300)) > 1


def test_repetition_loops_are_cut() -> None:
    ws = words("thank you " * 12 + "for listening")
    kept = [w.text.strip() for w in drop_repeats(ws)]
    assert kept == ["thank", "you"] * 3 + ["for", "listening"]
    # Real emphasis survives.
    assert len(drop_repeats(words("no, no, no, that is wrong"))) == 6


def test_guard_drops_a_looping_segment_and_keeps_speech() -> None:
    loop = "I'm going to go to the store. " * 8
    speech = "And so my fellow Americans, ask not what your country can do for you."
    assert compression_ratio(loop) > 2.4 > compression_ratio(speech)
    kept = guard([Segment(0, 30, loop, tuple(words(loop))), Segment(30, 35, speech, tuple(words(speech)))])
    assert [s.text for s in kept] == [speech]


def test_attribution_by_loudness_and_nearest_clear_word() -> None:
    # Track 0 speaks 0-1 s, track 1 speaks 1-2 s; 2-2.2 s both at once (no clear winner).
    levels = np.full((2, 300), -60.0)
    levels[0, 0:100] = 0.0
    levels[1, 100:200] = 0.0
    levels[:, 200:220] = -3.0
    act = Activity(levels, shift=0.0)
    ws = [Word(0.1, 0.4, " a"), Word(0.5, 0.9, " b"), Word(1.1, 1.5, " c"), Word(2.0, 2.2, " d")]
    assert [w.speaker for w in attribute(ws, act)] == ["0", "0", "1", "1"]
    # A timeline shift moves programme time onto track time.
    shifted = Activity(levels, shift=10.0)
    assert [w.speaker for w in attribute([Word(10.2, 10.4, " a"), Word(11.3, 11.6, " b")], shifted)] == ["0", "1"]
    assert attribute([], act) == []


def test_author_turns_for_a_single_track() -> None:
    from toolkit.speech.speakers import Turns

    ws = [Word(0.1, 0.4, " a"), Word(5.0, 5.2, " b"), Word(9.9, 10.3, " c")]
    assert [w.speaker for w in Turns(((0.0, "host"), (4.0, "guest"), (10.0, "host"))).attribute(ws)] == [
        "host", "guest", "host"]
    assert Turns(()).attribute(ws) == ws


def test_vocabulary_respells_without_adding_or_removing_speech() -> None:
    from toolkit.speech.vocabulary import respell

    ws = words("the wood cutters of the netherlands met Ada lovelaces and a cabbage seller.")
    out = respell(ws, ["woodcutters", "Netherlands", "Lovelace", "Babbage"])
    assert "".join(w.text for w in out) == " the woodcutters of the Netherlands met Ada Lovelace and a cabbage seller."
    merged = out[1]
    assert (merged.start, merged.end) == (ws[1].start, ws[2].end)
    assert respell(ws, []) == ws
    # Punctuation around a term stays; words of two speakers never merge.
    two = [Word(0, 1, " wood", speaker="0"), Word(1, 2, " cutters,", speaker="1")]
    assert respell(two, ["woodcutters"]) == two
    assert respell([Word(0, 1, ' "podkit,"')], ["PodKit"])[0].text == ' "PodKit,"'


def test_transcript_words_speakers_and_round_trip() -> None:
    segs = resegment(words("Hi.", 0.0, speaker="1") + words("Hello there.", 1.0, speaker="0"))
    t = Transcript("en", 3.0, segs, "faster-whisper", "tiny.en")
    assert [w.text for w in t.words] == [" Hi.", " Hello", " there."]
    assert t.speakers == ("1", "0")
    assert Transcript.from_dict(t.to_dict()) == t
    assert t.with_speakers({"0": "Ada"}).speakers == ("1", "Ada")


def test_speaking_level_of_a_track_that_says_little() -> None:
    from toolkit.speech.speakers import speaking_level

    # The host talks 90% of the time; the guest, recorded 10 dB quieter, says a few words.
    host = np.full(2000, -80.0)
    host[:1800] = -20.0
    guest = host - 26.0  # the host's bleed, far below
    guest[1900:] = -30.0
    assert speaking_level(guest, host[None]) == -30.0
    assert speaking_level(host, guest[None]) == -20.0
