"""Chapters proposed from the transcript, for episodes whose author gave none.

Topic segmentation in the manner of TextTiling (Hearst, 1997): at every sentence start, compare
the words of a window of speech before it with a window after it. Within a topic the two
windows share words; where the topic changes they share few, and the similarity curve dips.
A gap's *depth* (how far the curve falls there from the peaks on either side) is its evidence
for a boundary. Long pauses and changes of speaker add a little to it, since people pause and
the host speaks up when a conversation moves on.

Boundaries are chosen greedily, deepest first, above the mean depth, such that every chapter
lasts at least ``min_length`` seconds and there are at most ``max_chapters``. The first
chapter starts at 0. Each chapter is titled by its key phrases against the rest of the
episode (`summarise.key_phrases`). Everything is deterministic: the same transcript always
gives the same chapters.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from toolkit.content.summarise import Sentence, cosine, key_phrases, sentences
from toolkit.show import Chapter
from toolkit.speech.transcript import Transcript

# How much a pause and a change of speaker add to a gap's depth (cosine units, 0..2).
PAUSE_WEIGHT = 0.15  # at PAUSE_FULL seconds of silence or more
PAUSE_FULL = 2.0
TURN_WEIGHT = 0.05
TITLE_CHARS = 60
SMOOTH = True


@dataclass(frozen=True)
class Gap:
    """The evidence for a chapter starting at sentence ``index``."""

    index: int
    time: float
    similarity: float
    depth: float
    score: float


def window_seconds(min_length: float) -> float:
    """Speech compared on each side of a gap: half a chapter, so both windows fit in one."""
    return min(max(min_length / 2, 20.0), 90.0)


def _window(items: Sequence[Sentence], bags: Sequence[Counter[str]], g: int, a: float, b: float) -> dict[str, float]:
    """The words said between ``a`` and ``b`` seconds; sentences from index ``g`` outwards."""
    out: dict[str, float] = {}
    step = -1 if b <= items[g].start else 1
    i = g - 1 if step < 0 else g
    while 0 <= i < len(items):
        s = items[i]
        overlap = min(s.end, b) - max(s.start, a)
        if overlap <= 0 and (s.end <= a if step < 0 else s.start >= b):
            break
        share = max(overlap, 0.0) / max(s.end - s.start, 1e-3)
        for term, count in bags[i].items():
            out[term] = out.get(term, 0.0) + count * share
        i += step
    return out


def gaps(items: Sequence[Sentence], window: float) -> list[Gap]:
    """The lexical-cohesion curve and each sentence start's depth score."""
    bags = [s.bag for s in items]
    sims: list[float] = []
    for g in range(1, len(items)):
        t = items[g].start
        # Each sentence counts in proportion to how much of it falls inside the window, so a
        # long sentence just across the gap does not blur it (and a short one is not lost).
        left = _window(items, bags, g, t - window, t)
        right = _window(items, bags, g, t, t + window)
        sims.append(cosine(left, right))
    # No smoothing: with windows weighted by overlap the curve is smooth already, and smoothing
    # moved the valleys a sentence away from the joins on the test recording.
    smooth = sims
    out = []
    for k, s in enumerate(smooth):
        left_peak = s
        for v in reversed(smooth[:k]):
            if v < left_peak:
                break
            left_peak = v
        right_peak = s
        for v in smooth[k + 1:]:
            if v < right_peak:
                break
            right_peak = v
        depth = (left_peak - s) + (right_peak - s)
        sentence = items[k + 1]
        turn = sentence.speaker is not None and sentence.speaker != items[k].speaker
        bonus = PAUSE_WEIGHT * min(sentence.pause / PAUSE_FULL, 1.0) + (TURN_WEIGHT if turn else 0.0)
        out.append(Gap(k + 1, sentence.start, s, depth, depth + bonus))
    return out


def boundaries(found: Sequence[Gap], duration: float, min_length: float, max_chapters: int) -> list[Gap]:
    """The deepest gaps above the mean that keep every chapter at least ``min_length`` long."""
    if not found or max_chapters < 2:
        return []
    cutoff = statistics.fmean(g.score for g in found)
    chosen: list[Gap] = []
    for gap in sorted(found, key=lambda g: (-g.score, g.time)):
        if gap.score <= cutoff or len(chosen) >= max_chapters - 1:
            break
        if gap.time < min_length or duration - gap.time < min_length:
            continue
        if any(abs(gap.time - c.time) < min_length for c in chosen):
            continue
        chosen.append(gap)
    return sorted(chosen, key=lambda g: g.time)


def title(parts: Sequence[Sequence[str]], index: int, taken: set[str]) -> str:
    """A chapter's title: its best one or two key phrases, not a title used already."""
    phrases = key_phrases(parts, index, limit=6)
    picks: list[str] = []
    for p in phrases:
        candidate = ", ".join([*picks, p.text])
        if len(candidate) > TITLE_CHARS:
            continue
        if not picks and p.text.lower() in taken:
            continue
        picks.append(p.text)
        if len(picks) == 2:
            break
    text = ", ".join(picks) or f"Part {index + 1}"
    text = text[:1].upper() + text[1:]
    if text.lower() in taken:
        text = f"{text} ({index + 1})"
    taken.add(text.lower())
    return text


def propose(transcript: Transcript, *, min_length: float = 120.0, max_chapters: int = 12,
            duration: float | None = None) -> tuple[Chapter, ...]:
    """Chapters for ``transcript``: the first at 0, each at a sentence start, titled.

    ``duration`` is the programme's length (default: the transcript's); no chapter starts
    within ``min_length`` of its end. A transcript without words gives no chapters.
    """
    items = sentences(transcript)
    if not items:
        return ()
    end = duration if duration is not None else transcript.duration
    chosen = boundaries(gaps(items, window_seconds(min_length)), end, min_length, max_chapters)
    cuts = [0, *(g.index for g in chosen), len(items)]
    parts = [[s.text for s in items[a:b]] for a, b in itertools.pairwise(cuts)]
    starts = [0.0, *(g.time for g in chosen)]
    taken: set[str] = set()
    return tuple(Chapter(round(start, 3), title(parts, i, taken)) for i, start in enumerate(starts))
