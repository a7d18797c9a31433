"""The transcribe stage on real speech with the bundled tiny.en model."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from toolkit import media
from toolkit.config import TranscribeSettings, load
from toolkit.speech.transcribe import (
    STAGE_VERSION,
    TRANSCRIPT,
    TranscribeJob,
    decode_options,
    make,
    prompt,
    transcribe,
)
from toolkit.speech.transcript import Transcript

DATA = Path(__file__).parent / "data"
JFK_TEXT = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"
JFK = JFK_TEXT.split()


def _words(t: Transcript) -> list[str]:
    return [w.text.strip(" ,.?!").lower() for s in t.segments for w in s.words]


@pytest.mark.slow
def test_jfk_word_for_word_with_progress_and_no_speaker() -> None:
    seen: list[float] = []
    t = transcribe(DATA / "jfk.flac", TranscribeSettings(), progress=seen.append)
    assert _words(t) == JFK
    assert t.language == "en" and t.engine == "faster-whisper" and t.model == "tiny.en"
    assert all(s.speaker is None and all(w.speaker is None for w in s.words) for s in t.segments)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(t.duration)
    for s in t.segments:
        assert s.start <= s.words[0].start and s.words[-1].end <= s.end
        assert all(0.0 <= w.probability <= 1.0 and w.start <= w.end for w in s.words)


@pytest.mark.slow
def test_deterministic_and_round_trips() -> None:
    a = transcribe(DATA / "jfk.flac", TranscribeSettings(beam_size=2))
    b = transcribe(DATA / "jfk.flac", TranscribeSettings(beam_size=2))
    assert a == b
    assert Transcript.from_dict(json.loads(json.dumps(a.to_dict()))) == a


def _turn_of(turns: list[dict[str, object]], t: float) -> str:
    def distance(turn: dict[str, object]) -> float:
        start, end = float(turn["start"]), float(turn["end"])  # type: ignore[arg-type]
        return 0.0 if start <= t <= end else min(abs(t - start), abs(t - end))
    return str(min(turns, key=distance)["speaker"])


def _programme(tmp_path: Path, intro_ms: int) -> Path:
    """A mastered programme as the pipeline makes it: both tracks mixed, after an intro."""
    programme = tmp_path / f"programme-{intro_ms}.mp3"
    delay = f",adelay={intro_ms}:all=1" if intro_ms else ""
    media.run_ffmpeg(["-i", str(DATA / "interview_host.flac"), "-i", str(DATA / "interview_guest.flac"),
                      "-filter_complex", f"amix=inputs=2:normalize=0{delay}", "-ac", "1", "-ar", "44100",
                      "-b:a", "64k", str(programme)])
    return programme


def _speaker_accuracy(t: Transcript, shift: float) -> float:
    turns = json.loads((DATA / "interview_turns.json").read_text())["turns"]
    label = {"host": "0", "guest": "1"}
    right = sum(label[_turn_of(turns, (w.start + w.end) / 2 - shift)] == w.speaker for w in t.words)
    return right / len(t.words)


TRACKS = [DATA / "interview_host.flac", DATA / "interview_guest.flac"]


@pytest.mark.slow
def test_interview_words_go_to_the_right_speaker(tmp_path: Path) -> None:
    t = transcribe(_programme(tmp_path, 0), TranscribeSettings(), tracks=TRACKS)
    assert len(t.words) > 100
    assert _speaker_accuracy(t, 0.0) >= 0.98
    # Segments never mix speakers, and the turns come out in order.
    assert all(all(w.speaker == s.speaker for w in s.words) for s in t.segments)
    changes = [s.speaker for i, s in enumerate(t.segments) if i == 0 or s.speaker != t.segments[i - 1].speaker]
    assert changes == ["0", "1", "0", "1", "0"]


@pytest.mark.slow
def test_tracks_are_placed_on_the_programme_by_the_timeline_shift(tmp_path: Path) -> None:
    programme = _programme(tmp_path, 1500)
    t = transcribe(programme, TranscribeSettings(), tracks=TRACKS, timeline_shift=1.5)
    # Scored by each word's time, so words Whisper mis-times count against it: with this intro,
    # tiny.en stretches two words across a turn change (their speaker is right, their time is not).
    assert _speaker_accuracy(t, 1.5) >= 0.95
    assert t.words[0].speaker == "0" and t.words[0].start > 1.5
    wrong_shift = transcribe(programme, TranscribeSettings(), tracks=TRACKS)
    assert _speaker_accuracy(wrong_shift, 1.5) < _speaker_accuracy(t, 1.5)


def _synth(path: Path, source: str) -> Path:
    media.run_ffmpeg(["-f", "lavfi", "-i", source, "-t", "30", "-ac", "1", "-b:a", "64k", str(path)])
    return path


NON_SPEECH = {
    "silence": "anullsrc=r=44100:cl=mono",
    "pink-noise": "anoisesrc=color=pink:amplitude=0.3:seed=7:r=44100",
    "tones": "sine=frequency=440:r=44100",
    # A tune: notes changing every quarter second, the kind of jingle that opens a show.
    "melody": "aevalsrc='0.3*sin(2*PI*t*(330+110*mod(floor(t*4),5)))':s=44100",
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(NON_SPEECH))
def test_nothing_is_invented(tmp_path: Path, kind: str) -> None:
    t = transcribe(_synth(tmp_path / f"{kind}.mp3", NON_SPEECH[kind]), TranscribeSettings())
    assert t.segments == ()
    assert t.duration == pytest.approx(30.0, abs=0.1)


@pytest.mark.slow
def test_the_stage_writes_the_transcript_and_reports_progress(tmp_path: Path) -> None:
    job = TranscribeJob(DATA / "jfk.flac", TranscribeSettings(), duration=11.0)
    seen: list[tuple[float, float]] = []
    make(job, tmp_path, lambda done, total: seen.append((done, total)))
    result = Transcript.from_dict(json.loads((tmp_path / TRANSCRIPT).read_text()))
    assert _words(result) == JFK
    assert seen and all(total == 11.0 for _, total in seen)


def test_settings_from_toml() -> None:
    table = tomllib.loads('engine = "openai-whisper"\nmodel = "base"\nvocabulary = ["Podkit", "Ada"]\n'
                          'language = "en"\nbeam-size = 3\n')
    s, problems = load(TranscribeSettings, table, path=Path("podkit.toml"), section="transcribe")
    assert problems == []
    assert (s.engine, s.model, s.vocabulary, s.language, s.beam_size) == (
        "openai-whisper", "base", ("Podkit", "Ada"), "en", 3)
    # Every problem at once: a bad type and a value the stage's own check refuses.
    _, problems = load(TranscribeSettings, {"engine": "whisper.cpp", "beam_size": 0},
                       path=Path("podkit.toml"), section="transcribe")
    assert ["engine" in str(problems[0]), "beam_size" in str(problems[1])] == [True, True]


@pytest.mark.slow
def test_vocabulary_spells_names_as_listed(tmp_path: Path) -> None:
    # tiny.en hears the host's "woodcutters" (LJ001-0003) as "wood cutters".
    host = DATA / "interview_host.flac"
    t = transcribe(host, TranscribeSettings(vocabulary=("woodcutters", "Netherlands")))
    assert "the woodcutters of the Netherlands" in t.text
    plain = transcribe(host, TranscribeSettings())
    assert len(plain.text.split()) == len(t.text.split()) + 1  # two heard words became one


def test_vocabulary_becomes_prompt_and_hotwords() -> None:
    assert prompt(()) is None
    assert prompt(["Ada Lovelace", " podkit ", "Ada Lovelace", ""]) == "Ada Lovelace, podkit."
    assert decode_options(TranscribeSettings(vocabulary=("Babbage",))).initial_prompt is None
    fast = decode_options(TranscribeSettings(vocabulary=("Babbage",), vocabulary_prompt=True))
    assert (fast.initial_prompt, fast.hotwords) == ("Babbage.", "Babbage.")
    ref = decode_options(TranscribeSettings(engine="openai-whisper", vocabulary=("Babbage",),
                                            vocabulary_prompt=True))
    assert (ref.initial_prompt, ref.hotwords) == ("Babbage.", None)
    assert STAGE_VERSION
