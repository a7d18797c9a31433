"""Chapters proposed from the transcript: on a real recording whose topic changes, and on the
reference timings of a read chapter (fast)."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import data_file
from toolkit.audio.master import MasterReport
from toolkit.build.stages import author_chapters
from toolkit.config import NotesSettings
from toolkit.content.chapters import propose
from toolkit.content.make import Content, ContentJob, make
from toolkit.content.quotes import key_quotes
from toolkit.content.summarise import sentences
from toolkit.show import Chapter, Episode
from toolkit.speech.transcript import Segment, Transcript

# The recording: LJ Speech on printing (0-105.6 s), JFK three times (33 s), LJ Speech on gothic and
# roman type (93.5 s), a LibriSpeech narrative three times (35 s). Repeating the short clips makes
# their topic last long enough to be a chapter; the joins below are where the topic changes.
CLIPS = [("lj-chapter.opus", 0.0, 105.6), ("jfk.flac", None, None), ("jfk.flac", None, None),
         ("jfk.flac", None, None), ("lj-chapter.opus", 137.9, 231.35),
         ("librispeech-2412-153948-0000.flac", None, None), ("librispeech-2412-153948-0000.flac", None, None),
         ("librispeech-2412-153948-0000.flac", None, None)]
TOLERANCE = 5.0  # seconds between a proposed chapter start and a join


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout)


@pytest.fixture(scope="module")
def topics(tmp_path_factory: pytest.TempPathFactory) -> tuple[Transcript, list[float]]:
    """The joined recording, transcribed by real Whisper (tiny.en), and its joins in seconds."""
    from toolkit.config import TranscribeSettings
    from toolkit.speech.transcribe import transcribe

    inputs: list[str] = []
    chains: list[str] = []
    joins: list[float] = []
    t = 0.0
    for i, (name, start, end) in enumerate(CLIPS):
        path = data_file(name)
        inputs += ["-i", str(path)]
        trim = f",atrim={start}:{end},asetpts=N/SR/TB" if start is not None else ""
        chains.append(f"[{i}]aresample=16000,aformat=sample_fmts=fltp:channel_layouts=mono{trim}[c{i}]")
        if i and CLIPS[i][0] != CLIPS[i - 1][0]:
            joins.append(t)
        t += (end - start) if start is not None and end is not None else _duration(path)
    out = tmp_path_factory.mktemp("topics") / "topics.flac"
    graph = ";".join(chains) + ";" + "".join(f"[c{i}]" for i in range(len(CLIPS))) + \
        f"concat=n={len(CLIPS)}:v=0:a=1"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, str(out)], check=True)
    return transcribe(out, TranscribeSettings()), joins


@pytest.mark.slow
def test_boundaries_land_on_the_topic_changes(topics: tuple[Transcript, list[float]]) -> None:
    transcript, joins = topics
    chapters = propose(transcript, min_length=30)
    starts = [c.start for c in chapters]
    assert starts[0] == 0.0
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(s < transcript.duration for s in starts)
    assert all(c.title.strip() for c in chapters)
    assert len({c.title for c in chapters}) == len(chapters)
    for join in joins:
        assert min(abs(s - join) for s in starts) <= TOLERANCE, (join, starts)
    assert len(chapters) <= len(joins) + 2  # no more than a spurious one or two
    # Each boundary is a sentence start of the transcript.
    sentence_starts = {round(s.start, 3) for s in sentences(transcript)}
    assert all(round(s, 3) in sentence_starts for s in starts[1:])


@pytest.mark.slow
def test_titles_are_deterministic_and_say_the_topic(topics: tuple[Transcript, list[float]]) -> None:
    transcript, joins = topics
    first, second = propose(transcript, min_length=30), propose(transcript, min_length=30)
    assert first == second
    # The chapter that starts at the JFK join is titled from JFK's words, not the printing history.
    jfk = min(first, key=lambda c: abs(c.start - joins[0]))
    assert any(w in jfk.title.lower() for w in ("country", "americans", "ask"))


@pytest.mark.slow
def test_defaults_and_limits_on_the_real_recording(topics: tuple[Transcript, list[float]]) -> None:
    transcript, _ = topics
    default = propose(transcript)  # 2 minutes at least: 267 s has room for two chapters at most
    assert 1 <= len(default) <= 2
    assert all(b.start - a.start >= 120 for a, b in itertools.pairwise(default))
    assert len(propose(transcript, min_length=30, max_chapters=2)) == 2
    assert len(propose(transcript, min_length=30, max_chapters=1)) == 1


@pytest.mark.slow
def test_quotes_are_verbatim_sentences(topics: tuple[Transcript, list[float]]) -> None:
    transcript, _ = topics
    quotes = key_quotes(sentences(transcript), 3)
    assert len(quotes) == 3
    for q in quotes:
        assert q.text in transcript.text
        assert q.text[0].isupper() and q.text.endswith((".", "!"))


# --- Fast: reference timings --------------------------------------------------------------------

def lj_transcript() -> Transcript:
    """LJ Speech's chapter as a transcript: the reference sentences at their measured times."""
    rows = [line.split("\t") for line in data_file("lj-chapter.segments.tsv").read_text().splitlines()]
    segments = tuple(Segment(float(a), float(b), text) for _, a, b, text in rows)
    return Transcript("en", 231.35, segments)


def test_reference_timings_give_valid_chapters() -> None:
    t = lj_transcript()
    chapters = propose(t, min_length=45, max_chapters=4)
    starts = [c.start for c in chapters]
    assert starts[0] == 0.0 and 2 <= len(chapters) <= 4
    assert all(b - a >= 45 for a, b in itertools.pairwise(starts))
    assert 231.35 - starts[-1] >= 45
    assert all(c.title and len(c.title) <= 60 for c in chapters)


def test_short_or_empty_transcripts() -> None:
    t = lj_transcript()
    assert propose(Transcript("en", 0.0, ())) == ()
    only = propose(t)  # 231 s cannot hold two chapters of 2 minutes
    assert len(only) == 1 and only[0].start == 0.0 and only[0].title


def _report(shift: float = 0.0) -> MasterReport:
    return MasterReport(duration=231.35, channels=1, sample_rate=44100, bitrate=128, timeline_shift=shift,
                        target_lufs=-16, ceiling_dbtp=-1, input_lufs=-20, input_lra=5, output_lufs=-16,
                        output_lra=5, output_true_peak=-1, limited_seconds=0)


def test_the_authors_chapters_win(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from toolkit.config import MasterSettings, TranscribeSettings

    mine = (Chapter(0.0, "Welcome"), Chapter(60.0, "Letters"))
    ep = Episode(slug="lj", folder=Path("."), title="LJ", date=datetime(2026, 1, 1, tzinfo=UTC), number=1,
                 description="", notes="", tracks=(), people=(), chapters=mine, master=MasterSettings(),
                 transcribe=TranscribeSettings())
    shifted = author_chapters(ep, _report(shift=2.5))
    assert shifted == (Chapter(2.5, "Welcome"), Chapter(62.5, "Letters"))  # moved past the intro
    source = tmp_path / "transcript.json"
    source.write_text(json.dumps(lj_transcript().to_dict()))

    def content(chapters: tuple[Chapter, ...], settings: NotesSettings) -> Content:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        make(ContentJob(source, (), chapters, 231.35, settings, "https://example.com/e/"), folder,
             lambda done, total: None)
        return Content.load(folder)

    assert content(shifted, NotesSettings()).chapters == shifted
    proposed = content((), NotesSettings()).chapters
    assert proposed and proposed[0].start == 0.0
    assert content((), NotesSettings(propose_chapters=False)).chapters == ()
