"""A long recording decoded in pieces on every core: cuts in silences, the whole-file decode's words,
continuous timestamps, the same speakers, and the same transcript whatever the number of workers."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from collections import Counter
from pathlib import Path

import jiwer
import numpy as np
import pytest

from tests.conftest import data_file
from toolkit.config import TranscribeSettings
from toolkit.speech import pieces
from toolkit.speech.engine import SAMPLE_RATE
from toolkit.speech.transcribe import decode_options, load_audio, transcribe

SILENCE = 3.0  # seconds inserted after every fourth sentence: longer than the VAD's 2 s


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]+", " ", text.lower())).strip()


def chapter_with_pauses() -> tuple[np.ndarray, str]:
    """The LJ Speech chapter (231 s) with a 3 s silence after every fourth sentence, and its text."""
    x = load_audio(data_file("lj-chapter.opus"))
    rows = [line.split("\t") for line in data_file("lj-chapter.segments.tsv").read_text().splitlines()]
    parts = []
    for i, (_, start, _, _) in enumerate(rows):
        end = float(rows[i + 1][1]) if i + 1 < len(rows) else len(x) / SAMPLE_RATE
        parts.append(x[int(float(start) * SAMPLE_RATE):int(end * SAMPLE_RATE)])
        if i % 4 == 3:
            parts.append(np.zeros(int(SILENCE * SAMPLE_RATE), np.float32))
    return np.concatenate(parts), " ".join(r[3] for r in rows)


def test_cuts_fall_in_silences_and_keep_whisper_frames() -> None:
    samples, _ = chapter_with_pauses()
    options = decode_options(TranscribeSettings())
    speech = pieces.speech_chunks(samples, options)
    plan = pieces.plan(samples, speech, options, 60.0)
    assert len(plan) >= 3
    assert plan[0].start == 0 and plan[-1].end == len(samples)
    slivers = 0
    for prev, piece in itertools.pairwise(plan):
        cut = prev.end
        assert not samples[cut - 800:cut + 800].any(), "a cut must fall in a silence"
        assert piece.end - cut >= 30 * SAMPLE_RATE
        joined = sum(min(b, cut) - a for a, b in speech if a < cut)
        # joined: samples of speech before the cut, in the stream Whisper decodes. A piece starts with
        # a sliver (less than a frame) of the previous speech, so its frames fall where the whole file's do.
        lead = 0
        if piece.start < cut:
            a, lead = piece.speech[0]
            assert a == 0 and piece.start + lead == max(b for _, b in speech if b <= cut)
        assert 0 <= lead < pieces.HOP and (joined - lead) % pieces.HOP == 0
        slivers += lead
    # Every sample of speech is in exactly one piece, beside those slivers.
    assert sum(b - a for p in plan for a, b in p.speech) - slivers == sum(b - a for a, b in speech)


def test_short_recordings_are_one_piece() -> None:
    samples = load_audio(data_file("jfk.flac"))
    options = decode_options(TranscribeSettings())
    (whole,) = pieces.plan(samples, pieces.speech_chunks(samples, options), options)
    assert (whole.start, whole.end) == (0, len(samples))


@pytest.mark.slow
def test_pieces_read_like_the_whole_file_on_any_number_of_workers() -> None:
    samples, reference = chapter_with_pauses()
    options = decode_options(TranscribeSettings())
    _, whole = pieces.decode_words(samples, "faster-whisper", options, True)
    plan = pieces.plan(samples, pieces.speech_chunks(samples, options), options, 60.0)
    runs = {}
    for n in (2, 1):
        pieces.set_workers(n)
        try:
            runs[n] = pieces.decode(samples, plan, "faster-whisper", options, True)
        finally:
            pieces.set_workers(1)
    assert runs[1] == runs[2], "the transcript must not depend on the number of workers"
    _, words = runs[2]
    ref, w_whole, w_pieces = (normalise(t) for t in (reference, "".join(w.text for w in whole),
                                                     "".join(w.text for w in words)))
    assert jiwer.wer(ref, w_pieces) <= jiwer.wer(ref, w_whole) + 0.01
    assert jiwer.wer(w_whole, w_pieces) < 0.05
    # Before the first cut's last window, the words are exactly the whole file's.
    first = [w for w in whole if w.end < 30.0]
    assert words[:len(first)] == first
    # Timestamps: in order, inside the recording, each word inside its piece.
    assert all(a.start <= b.start and a.start <= a.end for a, b in itertools.pairwise(words))
    assert words[-1].end <= len(samples) / SAMPLE_RATE
    for p in plan:
        assert not [w for w in words if p.start / SAMPLE_RATE < w.start < p.end / SAMPLE_RATE
                    and w.end > p.end / SAMPLE_RATE + 0.5]


def _loop(path: Path, out: Path, times: int) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-stream_loop", str(times - 1), "-i", str(path),
                    "-c:a", "flac", str(out)], check=True)
    return out


@pytest.mark.slow
def test_multitrack_speakers_unchanged_by_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loops = 4
    host = _loop(data_file("interview_host.flac"), tmp_path / "host.flac", loops)
    guest = _loop(data_file("interview_guest.flac"), tmp_path / "guest.flac", loops)
    mix = tmp_path / "mix.flac"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(host), "-i", str(guest),
                    "-filter_complex", "amix=inputs=2:normalize=0", "-ac", "1", str(mix)], check=True)
    turns = json.loads(data_file("interview_turns.json").read_text())["turns"]
    period = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                   str(data_file("interview_host.flac"))], capture_output=True, text=True,
                                  check=True).stdout)
    settings = TranscribeSettings()
    results = {}
    for size in (10_000.0, 40.0):  # one piece; then cut every 40 s or more, in pieces decoded by 2 workers
        monkeypatch.setattr(pieces, "PIECE_SECONDS", size)
        pieces.set_workers(2)
        try:
            results[size] = transcribe(mix, settings, tracks=(host, guest))
        finally:
            pieces.set_workers(1)
    for transcript in results.values():
        words = [w for s in transcript.segments for w in s.words]
        for k in range(loops):
            for turn in turns:
                a, b = turn["start"] + k * period, turn["end"] + k * period
                said = Counter(w.speaker for w in words if a <= (w.start + w.end) / 2 <= b)
                expected = "0" if turn["speaker"] == "host" else "1"
                assert said and said.most_common(1)[0][0] == expected, (k, turn["text"][:30], said)


def test_track_levels_read_in_blocks_equal_the_whole_decode(tmp_path: Path) -> None:
    from toolkit import media
    from toolkit.errors import MediaError
    from toolkit.speech.speakers import frame_db, track_db

    for name in ("interview_host.flac", "jfk.flac"):
        path = data_file(name)
        assert np.array_equal(track_db(path), frame_db(media.decode(path, rate=SAMPLE_RATE)[:, 0]))
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"not audio at all" * 100)
    with pytest.raises(MediaError, match=r"broken\.flac"):
        track_db(broken)
