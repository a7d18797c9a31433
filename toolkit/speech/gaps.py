"""Recovering speech that Whisper skipped.

Whisper decodes 30-second windows and sometimes jumps over a whole sentence inside one,
stretching a neighbouring word's timestamps across the gap (seen on the sample interview:
the JFK sentence vanished, and "for all" spanned five seconds). Which sentence is lost is
chaotic: it changes with sub-LSB differences in the audio or the VAD's chunking. So after the
first pass, stretches that the voice-activity detector calls speech but that no plausibly
timed word covers are decoded again on their own, and the words found there are added.
Only audio the VAD calls speech is re-decoded, so this cannot invent text on silence.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from toolkit.speech.engine import SAMPLE_RATE, DecodeOptions, Engine
from toolkit.speech.shaping import guard, words_of
from toolkit.speech.transcript import Word

LONGEST_WORD = 1.5  # seconds; a "word" longer than this has swallowed a gap
MIN_GAP = 2.0  # seconds of uncovered speech worth a second look
PAD = 1.0  # seconds of context either side: Whisper tends to drop a clip's first words


def _plausible(w: Word) -> bool:
    """A word timed like a word: not stretched over a gap, not squeezed to nothing."""
    return 0.0 < w.end - w.start <= LONGEST_WORD


def _speech(samples: np.ndarray) -> list[tuple[float, float]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=300))
    return [(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE) for c in chunks]


def uncovered(samples: np.ndarray, words: list[Word], min_gap: float = MIN_GAP) -> list[tuple[float, float]]:
    """Stretches of detected speech at least ``min_gap`` long with no plausibly timed word."""
    covered = sorted((w.start, w.end) for w in words if _plausible(w))
    gaps: list[tuple[float, float]] = []
    for start, end in _speech(samples):
        cursor = start
        for a, b in covered:
            if b <= cursor or a >= end:
                continue
            if a - cursor >= min_gap:
                gaps.append((cursor, a))
            cursor = max(cursor, b)
        if end - cursor >= min_gap:
            gaps.append((cursor, end))
    # Two gaps with no plausibly timed word between them (only a pause) are one skipped stretch.
    merged: list[tuple[float, float]] = []
    for start, end in gaps:
        if merged and not any(merged[-1][1] <= a and b <= start for a, b in covered):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def recover(samples: np.ndarray, words: list[Word], engine: Engine, options: DecodeOptions) -> list[Word]:
    """``words`` plus what a second, focused pass finds in the speech the first pass skipped."""
    gaps = uncovered(samples, words)
    if not gaps:
        return words
    found: list[Word] = []
    filled: list[tuple[float, float]] = []
    single = replace(options, vad=False)  # the stretch is speech already; decode it whole
    for start, end in gaps:
        before = len(found)
        a, b = max(0.0, start - PAD), min(len(samples) / SAMPLE_RATE, end + PAD)
        clip = samples[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
        result = engine.transcribe(clip, single)
        for w in words_of(guard(result.segments)):
            mid = a + (w.start + w.end) / 2
            if start <= mid <= end:  # keep what lies in the gap, not the padding's neighbours
                found.append(replace(w, start=round(a + w.start, 3), end=round(a + w.end, 3)))
        if len(found) > before:
            filled.append((start, end))
    if not found:
        return words
    # Words of the first pass inside a re-decoded stretch, or stretched across it, were mis-timed
    # leftovers of the skip: the second pass has the stretch's words.
    def misplaced(w: Word) -> bool:
        mid = (w.start + w.end) / 2
        return any(s <= mid <= e or (not _plausible(w) and w.start <= e and w.end >= s) for s, e in filled)

    kept = [w for w in words if not misplaced(w)]
    return sorted([*kept, *found], key=lambda w: (w.start, w.end))
