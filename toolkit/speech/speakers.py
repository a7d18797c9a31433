"""Who said each word, from the per-speaker tracks of a multi-track episode.

Each track is one person's own microphone, with the others bleeding in far quieter (about
-26 dB in a typical remote recording) and recorded at its own level. So each track's loudness
is measured relative to its own speaking level, and a word goes to the track that is loudest
over the word's time span by that measure. Words where no track clearly wins (overlap, a
cough) take the speaker of the nearest word that was decided clearly.

Transcribing each track separately is the alternative (bench/transcribe.py measures both): it
costs one decode per speaker and Whisper transcribes the bleed too, so words would appear twice.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from toolkit import media
from toolkit.speech.engine import SAMPLE_RATE
from toolkit.speech.transcript import Word

HOP = 0.01  # seconds per loudness frame


class SpeakerSource(Protocol):
    """Anything that can say who spoke each word: per-track loudness or the author's turns
    (a single-track recording of several people is diarized by its own stage: `diarize`)."""

    def attribute(self, words: Sequence[Word]) -> list[Word]: ...
FLOOR_DB = -100.0
OWN_MARGIN_DB = 10.0  # a frame is a track's own speech when it beats every other track by this
MIN_OWN_FRAMES = 50  # half a second of own speech is enough to know a track's level


@dataclass(frozen=True)
class Activity:
    """Per-track loudness in dB relative to that track's speaking level, one frame per `HOP`."""

    levels: np.ndarray  # shape (tracks, frames)
    shift: float  # programme time = track time + shift

    def word_levels(self, start: float, end: float) -> np.ndarray:
        """Each track's mean power (dB, relative) over a span of programme time."""
        mid = (start + end) / 2
        start, end = min(start, mid - 0.05), max(end, mid + 0.05)  # at least 0.1 s to measure
        a = max(0, int((start - self.shift) / HOP))
        b = max(a + 1, int(np.ceil((end - self.shift) / HOP)))
        span = self.levels[:, a:b]
        if span.shape[1] == 0:
            return np.full(self.levels.shape[0], FLOOR_DB)
        power = np.mean(10 ** (span / 10), axis=1)
        return np.asarray(10 * np.log10(np.maximum(power, 1e-10)))


def frame_db(samples: np.ndarray) -> np.ndarray:
    """Loudness of each `HOP` frame in dBFS."""
    n = int(HOP * SAMPLE_RATE)
    frames = len(samples) // n
    x = samples[: frames * n].reshape(frames, n).astype(np.float64)
    return np.asarray(10 * np.log10(np.maximum(np.mean(x * x, axis=1), 1e-10)))


def speaking_level(db: np.ndarray, others: np.ndarray | None = None) -> float:
    """A track's own speaking level: how loud its frames are when its own speaker talks.

    Own speech is where this track is clearly the loudest (bleed is far quieter than the
    source); measuring only there keeps a guest who says little from being judged by the
    host's bleed. Without such frames, the loud end of all its frames stands in.
    """
    audible = db > FLOOR_DB + 1
    if others is not None and others.size:
        own = db[audible & (db >= others.max(axis=0) + OWN_MARGIN_DB)]
        if own.size >= MIN_OWN_FRAMES:
            return float(np.percentile(own, 90))
    return float(np.percentile(db[audible], 95)) if audible.any() else 0.0


def track_db(path: Path) -> np.ndarray:
    """`frame_db` of a whole track, decoded a block at a time: the same frames, without holding an
    hour of samples (and their float64 squares) at once."""
    n = int(HOP * SAMPLE_RATE)
    parts = [frame_db(block) for block in media.decode_blocks(path, rate=SAMPLE_RATE, block=n * 6000)]
    return np.concatenate(parts) if parts else np.zeros(0)


def measure(tracks: Sequence[Path], shift: float = 0.0) -> Activity:
    per_track = [track_db(p) for p in tracks]
    length = max(len(d) for d in per_track)
    raw = np.full((len(per_track), length), FLOOR_DB)
    for i, d in enumerate(per_track):
        raw[i, : len(d)] = d
    levels = np.empty_like(raw)
    for i in range(len(raw)):
        levels[i] = raw[i] - speaking_level(raw[i], np.delete(raw, i, axis=0))
    return Activity(levels, shift)


def attribute(words: Sequence[Word], activity: Activity, *, margin_db: float = 6.0) -> list[Word]:
    """``words`` with ``speaker`` set to the index (as a string) of the track that spoke them."""
    if not words:
        return []
    choice: list[int | None] = []
    for w in words:
        lv = activity.word_levels(w.start, w.end)
        order = np.argsort(lv)[::-1]
        clear = len(lv) == 1 or lv[order[0]] - lv[order[1]] >= margin_db
        choice.append(int(order[0]) if clear else None)
    decided = [i for i, c in enumerate(choice) if c is not None]
    if not decided:
        # Nothing clear at all (everyone talking at once): fall back to the loudest track.
        choice = [int(np.argmax(activity.word_levels(w.start, w.end))) for w in words]
        decided = list(range(len(words)))
    out: list[Word] = []
    for i, w in enumerate(words):
        c = choice[i]
        if c is None:
            nearest = min(decided, key=lambda j: (abs(words[j].start - w.start), j))
            c = choice[nearest]
        out.append(replace(w, speaker=str(c)))
    return out


@dataclass(frozen=True)
class Tracks:
    """Speakers from per-speaker tracks (`measure` + `attribute`)."""

    paths: tuple[Path, ...]
    shift: float = 0.0
    margin_db: float = 6.0

    def attribute(self, words: Sequence[Word]) -> list[Word]:
        return attribute(words, measure(self.paths, self.shift), margin_db=self.margin_db)


@dataclass(frozen=True)
class Turns:
    """Speakers the author gave for a single-track recording: (programme start s, label) pairs;
    each turn lasts until the next one starts."""

    turns: tuple[tuple[float, str], ...]

    def attribute(self, words: Sequence[Word]) -> list[Word]:
        ordered = sorted(self.turns)
        starts = [t for t, _ in ordered]
        out = []
        for w in words:
            i = bisect.bisect_right(starts, (w.start + w.end) / 2) - 1
            out.append(replace(w, speaker=ordered[max(i, 0)][1]) if ordered else w)
        return out
