"""Each transcript format against its golden file, and through a real parser where one exists.

Regenerate the golden files after an intended change with PODKIT_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import srt
import webvtt

from toolkit.content.formats import FORMATS, paragraphs, timestamp
from toolkit.speech.transcript import Segment, Transcript, Word

GOLDEN = Path(__file__).parent / "golden" / "formats"


def _words(text: str, start: float, speaker: str | None, step: float = 0.4) -> tuple[Word, ...]:
    out = []
    for i, token in enumerate(text.split()):
        out.append(Word(round(start + i * step, 3), round(start + i * step + step * 0.8, 3), " " + token,
                        0.9, speaker))
    return tuple(out)


def _segment(text: str, start: float, speaker: str | None) -> Segment:
    words = _words(text, start, speaker)
    return Segment(words[0].start, words[-1].end, text, words, speaker)


def sample() -> Transcript:
    """Two speakers, a long sentence (to wrap and split), markup characters, a long pause."""
    segments = (
        _segment("Welcome to the show, where practitioners talk shop.", 0.5, "Ada Lovelace"),
        _segment("Today we ask how a loom that weaves patterns could also weave algebra, and what "
                 "that meant for the people who built it.", 4.0, "Ada Lovelace"),
        _segment("Thanks for having me.", 14.0, "Charles <Babbage> & Sons"),
        _segment("It started with tables of logarithms full of errors.", 16.0, "Charles <Babbage> & Sons"),
        _segment("Which mattered?", 24.0, "Ada Lovelace"),
        _segment("To sailors, very much so.", 3700.0, "Charles <Babbage> & Sons"),
    )
    return Transcript(language="en", duration=3710.0, segments=segments, engine="test", model="none")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_golden(name: str) -> None:
    fmt = FORMATS[name]
    text = fmt.write(sample())
    path = GOLDEN / f"sample.{fmt.extension}"
    if os.environ.get("PODKIT_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_registry_names_and_types() -> None:
    assert {n: (f.extension, f.mime) for n, f in FORMATS.items()} == {
        "vtt": ("vtt", "text/vtt"), "srt": ("srt", "application/x-subrip"),
        "json": ("json", "application/json"), "html": ("html", "text/html"), "txt": ("txt", "text/plain"),
    }


def test_vtt_parses_with_voices_and_short_lines() -> None:
    captions = webvtt.from_buffer(io.StringIO(FORMATS["vtt"].write(sample()))).captions
    assert len(captions) > 6
    for c in captions:
        assert c.voice in ("Ada Lovelace", "Charles &lt;Babbage&gt; &amp; Sons")
        lines = c.text.split("\n")
        assert 1 <= len(lines) <= 2
        assert all(len(line) <= 42 for line in lines)
    assert captions[-1].start == "01:01:40.000"
    # Every word is in a cue, in order.
    said = " ".join(c.text.replace("\n", " ") for c in captions)
    assert said.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == sample().text


def test_srt_parses_with_two_short_lines() -> None:
    subs = list(srt.parse(FORMATS["srt"].write(sample())))
    assert [s.index for s in subs] == list(range(1, len(subs) + 1))
    for a, b in itertools.pairwise(subs):
        assert a.end <= b.start  # cues never overlap
    for s in subs:
        lines = s.content.split("\n")
        assert 1 <= len(lines) <= 2 and all(len(line) <= 32 for line in lines)
    assert " ".join(s.content.replace("\n", " ") for s in subs) == sample().text


def test_json_is_podcast_index() -> None:
    data = json.loads(FORMATS["json"].write(sample()))
    assert data["version"] == "1.0.0"
    first = data["segments"][0]
    assert first == {"speaker": "Ada Lovelace", "startTime": 0.5, "endTime": 3.62,
                     "body": "Welcome to the show, where practitioners talk shop."}
    assert all(isinstance(s["startTime"], float) for s in data["segments"])


def test_json_without_speakers_omits_them() -> None:
    t = Transcript("en", 5.0, (_segment("Hello there.", 0.0, None),))
    assert json.loads(FORMATS["json"].write(t))["segments"][0].keys() == {"startTime", "endTime", "body"}


def test_html_fragment_has_paragraphs_by_turn() -> None:
    root = ET.fromstring(FORMATS["html"].write(sample()))
    ps = root.findall("./p")
    assert [p.findtext("cite") for p in ps] == [
        "Ada Lovelace", "Charles <Babbage> & Sons", "Ada Lovelace", "Charles <Babbage> & Sons"]
    assert [p.get("data-start") for p in ps] == ["0.50", "14.00", "24.00", "3700.00"]
    assert [p.findtext("time") for p in ps] == ["0:00", "0:14", "0:24", "1:01:40"]
    assert ps[0].find("time") is not None and ps[0].find("time").get("datetime") == "PT0.50S"  # type: ignore[union-attr]


def test_paragraphs_break_on_speaker_and_pause() -> None:
    t = sample()
    paras = paragraphs(t)
    assert [(p.speaker, len(p.segments)) for p in paras] == [
        ("Ada Lovelace", 2), ("Charles <Babbage> & Sons", 2), ("Ada Lovelace", 1),
        ("Charles <Babbage> & Sons", 1)]
    # Same speaker after a long pause: a new paragraph.
    solo = Transcript("en", 30.0, (_segment("One thought.", 0.0, None), _segment("Another.", 20.0, None)))
    assert len(paragraphs(solo)) == 2


def test_txt_names_speakers() -> None:
    text = FORMATS["txt"].write(sample())
    assert text.startswith("Ada Lovelace: Welcome to the show")
    assert text.count("\n\n") == 3


def test_empty_transcript_writes_valid_files() -> None:
    empty = Transcript("en", 30.0, ())
    assert webvtt.from_buffer(io.StringIO(FORMATS["vtt"].write(empty))).captions == []
    assert list(srt.parse(FORMATS["srt"].write(empty))) == []
    assert json.loads(FORMATS["json"].write(empty))["segments"] == []
    assert ET.fromstring(FORMATS["html"].write(empty)).findall("p") == []
    assert FORMATS["txt"].write(empty) == ""


def test_timestamp() -> None:
    assert [timestamp(x) for x in (0, 59.9, 61, 3600, 3725.5)] == ["0:00", "0:59", "1:01", "1:00:00", "1:02:05"]
