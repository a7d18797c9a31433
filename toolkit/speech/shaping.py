"""Shaping words for people: segments, caption cues and paragraphs; and the repetition guard.

Whisper's own segments follow its 30-second windows, not the speech. Here words are regrouped
so that segments end at sentence ends, long pauses and speaker changes; captions are cut to fit
the screen; paragraphs follow speaker turns and pauses for reading on the page.
"""

from __future__ import annotations

import bisect
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from toolkit.speech.transcript import Segment, Transcript, Word

SENTENCE_END = (".", "?", "!", "…", "。", "？", "！")
CLAUSE_END = (",", ";", ":", "—", "，", "、")
_BREAKS = CLAUSE_END + SENTENCE_END  # a cue or a caption line would rather end after one of these
_CLOSING = "\"')]”’"  # quotes and brackets after a full stop or a comma


def _ends(word: Word, marks: tuple[str, ...]) -> bool:
    return word.text.rstrip().rstrip(_CLOSING).endswith(marks)


def join(words: Iterable[Word]) -> str:
    """Whisper words carry their own leading space; joining them restores the text."""
    return "".join(w.text for w in words).strip()


# --- Guards against invented text -----------------------------------------------------------------

def compression_ratio(text: str) -> float:
    """How well the text compresses: loops of the same phrase compress far better than speech."""
    raw = text.encode("utf-8")
    return len(raw) / max(1, len(zlib.compress(raw)))


def _norm(w: Word) -> str:
    return "".join(ch for ch in w.text.lower() if ch.isalnum())


def drop_repeats(words: Sequence[Word], *, max_ngram: int = 6, keep: int = 3) -> list[Word]:
    """Remove consecutive repeats of the same 1..``max_ngram`` words beyond ``keep`` occurrences.

    People do say "no, no, no"; a decoder stuck in a loop says a phrase ten times.
    """
    out = list(words)
    for n in range(1, max_ngram + 1):
        i = 0
        while i + n <= len(out):
            gram = [_norm(w) for w in out[i:i + n]]
            if not any(gram):
                i += 1
                continue
            count, j = 1, i + n
            while j + n <= len(out) and [_norm(w) for w in out[j:j + n]] == gram:
                count, j = count + 1, j + n
            if count > keep:
                del out[i + keep * n: j]
            i += 1
    return out


def guard(segments: Sequence[Segment], *, max_compression: float = 2.4) -> list[Segment]:
    """Segments without decoder loops: a looping segment is dropped whole, stray repeats trimmed."""
    kept: list[Segment] = []
    for s in segments:
        text = s.text.strip()
        if len(text) > 40 and compression_ratio(text) > max_compression:
            continue
        words = drop_repeats(s.words)
        if len(words) != len(s.words):
            s = replace(s, words=tuple(words), text=" " + join(words))
        if s.text.strip():
            kept.append(s)
    return kept


# --- Segments -------------------------------------------------------------------------------------

def resegment(words: Sequence[Word], *, pause: float = 1.0, max_chars: int = 240) -> tuple[Segment, ...]:
    """Group words into segments ending at sentence ends, pauses of ``pause`` s or more and
    speaker changes. A sentence longer than ``max_chars`` is cut after a clause, or else a word."""
    segments: list[Segment] = []
    current: list[Word] = []

    def close() -> None:
        if current:
            segments.append(Segment(current[0].start, current[-1].end, join(current), tuple(current),
                                    current[0].speaker))
            current.clear()

    for w in words:
        if current:
            prev = current[-1]
            if (w.speaker != prev.speaker or w.start - prev.end >= pause
                    or _ends(prev, SENTENCE_END)):
                close()
            elif len(join(current)) + len(w.text) > max_chars:
                cut = next((k + 1 for k in range(len(current) - 1, 0, -1)
                            if _ends(current[k], CLAUSE_END)), len(current))
                rest = current[cut:]
                del current[cut:]
                close()
                current.extend(rest)
        current.append(w)
    close()
    return tuple(segments)


def words_of(segments: Iterable[Segment]) -> list[Word]:
    """All words in order; a segment without word timings counts as one word."""
    out: list[Word] = []
    for s in segments:
        if s.words:
            out.extend(s.words)
        elif s.text.strip():
            out.append(Word(s.start, s.end, " " + s.text.strip(), 1.0, s.speaker))
    return out


# --- Caption cues ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    speaker: str | None = None


def wrap(text: str, width: int) -> list[str]:
    """Break text into lines of at most ``width`` characters, balanced when it needs two."""
    if len(text) <= width:
        return [text]
    words = text.split()
    # Try every break point; prefer the one that keeps both lines short and balanced. Line lengths
    # come from running sums, so only the chosen pair of lines is ever joined.
    n = len(words)
    total = sum(map(len, words)) + n - 1
    best: tuple[int, int] | None = None
    first = -1  # length of the first line when it ends after words[k - 1]
    for k in range(1, n):
        first += len(words[k - 1]) + 1
        if first > width:
            break  # the first line only grows from here
        second = total - first - 1
        if second <= width:
            score = first - second if first > second else second - first
            if words[k - 1].endswith(_BREAKS):
                score -= 8
            if best is None or score < best[0]:
                best = (score, k)
    if best is not None:
        return [" ".join(words[:best[1]]), " ".join(words[best[1]:])]
    lines, line = [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return lines


def _fill(state: tuple[int, int], text: str, width: int) -> tuple[int, int]:
    """(lines, length of the last line) after adding ``text`` to a greedily filled caption.

    Greedy filling needs the fewest lines, so it answers "does it fit in two?" exactly as `wrap`
    would, one word at a time (wrap's balanced search, run on every word while a cue grew, was
    most of the time of a site build).
    """
    count, line = state
    for word in text.split():
        if line >= 0 and line + 1 + len(word) > width:
            count, line = count + 1, len(word)
        else:
            line = len(word) if line < 0 else line + 1 + len(word)
    return count, line


EMPTY = (1, -1)


# Where a word of a segment's text ends a clause, as `_ends` reads a word.
_CLAUSE_MARK = re.compile(f"[{re.escape(''.join(_BREAKS))}][{re.escape(_CLOSING)}]*(?= |$)")


def _segment_cues(seg: Segment, line_chars: int, lines: int, max_seconds: float) -> list[Cue]:
    """A segment's cues: each grows word by word until the next word would not fit in ``lines``
    greedily filled lines or would end more than ``max_seconds`` after the cue starts, then is cut."""
    if not seg.words or seg.spaced is None:
        return _cues_word_by_word(seg.speaker, seg.words or words_of([seg]), line_chars, lines, max_seconds)
    words = seg.words
    tokens, edge = seg.spaced
    # One token a word: where a cue overflows follows from running sums instead of word by word
    # (this runs on every word of a transcript, twice). ``edge[j]`` is word j's offset in ``text``;
    # a line from word a holds word a and the words before the first b with
    # edge[b] > edge[a] + line_chars + 1.
    text = " ".join(tokens)
    ends = [w.end for w in words]
    marks = [bisect.bisect_right(edge, m.start()) - 1 for m in _CLAUSE_MARK.finditer(text)]  # words ending clauses
    out: list[Cue] = []
    n = len(words)
    head, first = 0, 1  # the cue's first word, and the first word that may end it
    while True:
        a = head
        for _ in range(lines):
            if a >= n:
                break
            a = max(a + 1, bisect.bisect_right(edge, edge[a] + line_chars + 1) - 1)
        end = max(a, first) if a < n else n
        start = words[head].start
        if end > first and max(ends[first:end]) - start > max_seconds:
            end = next(i for i in range(first, end) if ends[i] - start > max_seconds)
        if end >= n:
            out.append(Cue(start, ends[-1], _wrap_words(tokens, edge, head, n, line_chars), seg.speaker))
            return out
        # Back up to the last clause end in the second half of the cue, if there is one.
        last = bisect.bisect_left(marks, end) - 1
        cut = marks[last] + 1 if last >= 0 and marks[last] >= head + (end - head) // 2 else end
        out.append(Cue(start, ends[cut - 1], _wrap_words(tokens, edge, head, cut, line_chars), seg.speaker))
        head, first = cut, end + 1


def _wrap_words(tokens: list[str], edge: list[int], head: int, end: int, width: int) -> tuple[str, ...]:
    """``wrap(" ".join(tokens[head:end]), width)``, its balanced search run on the offsets ``edge``
    over the only breaks that leave both lines short enough."""
    total = edge[end] - edge[head] - 1
    if total <= width:
        return (" ".join(tokens[head:end]),)
    # A break before word b leaves edge[b] - edge[head] - 1 characters on the first line.
    low = bisect.bisect_left(edge, edge[head] + total - width, head + 1, end)
    high = bisect.bisect_right(edge, edge[head] + width + 1, head + 1, end)
    best: tuple[int, int] | None = None
    for b in range(low, high):
        first = edge[b] - edge[head] - 1
        score = abs(2 * first + 1 - total) - (8 if tokens[b - 1].endswith(_BREAKS) else 0)
        if best is None or score < best[0]:
            best = (score, b)
    if best is None:
        return tuple(wrap(" ".join(tokens[head:end]), width))
    return " ".join(tokens[head:best[1]]), " ".join(tokens[best[1]:end])


def _cues_word_by_word(speaker: str | None, words: Sequence[Word], line_chars: int, lines: int,
                       max_seconds: float) -> list[Cue]:
    """`_segment_cues` for any words (several tokens to a word, or none, or one glued to the next, which
    a cut joins into one token), as the rule reads: one word at a time."""
    out: list[Cue] = []
    head = 0
    state = EMPTY
    for i, w in enumerate(words):
        grown = _fill(state, w.text, line_chars)
        if i > head and (grown[0] > lines or w.end - words[head].start > max_seconds):
            # Back up to the last clause end in the second half of the cue, if there is one.
            size = i - head
            cut = head + next((k + 1 for k in range(size - 1, size // 2 - 1, -1) if _ends(words[head + k], _BREAKS)),
                              size)
            out.append(Cue(words[head].start, words[cut - 1].end, tuple(wrap(join(words[head:cut]), line_chars)),
                           speaker))
            head = cut
            grown = _fill(_fill(EMPTY, join(words[head:i]), line_chars), w.text, line_chars)
        state = grown
    if head < len(words):
        out.append(Cue(words[head].start, words[-1].end, tuple(wrap(join(words[head:]), line_chars)), speaker))
    return out


def cues(t: Transcript, *, line_chars: int = 42, lines: int = 2, max_seconds: float = 7.0) -> list[Cue]:
    """Caption cues: each fits ``lines`` lines of ``line_chars``, lasts at most ``max_seconds``,
    never spans two segments (so never two speakers), and breaks after punctuation when one is near."""
    return [c for seg in t.segments for c in _segment_cues(seg, line_chars, lines, max_seconds)]


# --- Paragraphs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Paragraph:
    """A paragraph for the page: one speaker, no long pause inside."""

    start: float
    end: float
    speaker: str | None
    text: str
    segments: tuple[Segment, ...]


def paragraphs(t: Transcript, *, pause: float = 2.0, max_chars: int = 900,
               max_seconds: float | None = None) -> list[Paragraph]:
    """Paragraphs by speaker turn and pause; a long monologue breaks at a sentence end, and with
    ``max_seconds`` also before a segment that would make the paragraph last longer than that (a
    reader following the words should not face a wall of text; segments end at phrase boundaries)."""
    out: list[Paragraph] = []
    group: list[Segment] = []

    def close() -> None:
        if group:
            text = " ".join(s.text.strip() for s in group)
            out.append(Paragraph(group[0].start, group[-1].end, group[0].speaker, text, tuple(group)))
            group.clear()

    for s in t.segments:
        if not s.text.strip():
            continue
        if group:
            prev = group[-1]
            too_long = sum(len(g.text) for g in group) >= max_chars and prev.text.rstrip().endswith(
                SENTENCE_END)
            too_slow = max_seconds is not None and s.end - group[0].start > max_seconds
            if s.speaker != prev.speaker or s.start - prev.end >= pause or too_long or too_slow:
                close()
        group.append(s)
    close()
    return out
