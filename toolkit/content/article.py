"""The blog transcript: the transcript as an article, in sections under chapter headings.

Paragraphs come from the transcript's reading shape (speaker turns and pauses); each goes
under the last chapter that has started by then (half a second of slack, since chapter
marks are rounded by people). Each paragraph keeps its speaker and start time, which the page
and the Atom feed turn into a link that opens the player there.

Clean-up is optional and off by default ([notes] cleanup): it drops filler words ("um", "uh")
and stutters (a word broken off and said again, "the- the"; a short word said twice, "I I"),
and nothing else. It never rewords: every word left is the transcript's, in its order.
"""

from __future__ import annotations

import bisect
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from toolkit.content.formats import Paragraph, paragraphs, timestamp
from toolkit.show import Chapter
from toolkit.speech.transcript import Segment, Transcript, Word

DEFAULT_FILLERS = ("um", "uh", "erm", "er", "uhm", "hmm", "mm", "ah")
# Short words said twice are stutters, except where English says them twice on purpose.
STUTTER_MAX = 3
DOUBLED_ON_PURPOSE = frozenset({"had", "is"})
_PUNCT = "\"'“”‘’()[],.;:!?…—-"
# A paragraph lasts at most this many seconds (or one speaker's turn): a listener following the
# words reads along, and an 85-second wall of text loses them.
MAX_PARAGRAPH = 45.0


@dataclass(frozen=True)
class Section:
    title: str | None  # the chapter's title; None for talk before the first chapter
    start: float
    paragraphs: tuple[Passage, ...]


@dataclass(frozen=True)
class Article:
    sections: tuple[Section, ...]

    @property
    def paragraphs(self) -> tuple[Passage, ...]:
        return tuple(p for s in self.sections for p in s.paragraphs)


def _core(token: str) -> str:
    return token.strip(_PUNCT).lower()


def clean(text: str, fillers: Iterable[str] = DEFAULT_FILLERS) -> str:
    """``text`` without filler words and stutters; every other word as it was."""
    return " ".join(tok for _, tok in clean_tokens(text.split(), fillers))


def clean_tokens(tokens: Sequence[str], fillers: Iterable[str] = DEFAULT_FILLERS) -> list[tuple[int, str]]:
    """`clean` on a list of words: each word kept, with its index in ``tokens`` (so its time stays
    known) and its text (punctuation of a dropped filler may move onto it, a capital too)."""
    drop = {f.lower() for f in fillers}
    out: list[tuple[int, str]] = []
    capitalise = False
    for i, tok in enumerate(tokens):
        core = _core(tok)
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if core in drop:
            trail = tok[len(tok.rstrip(_PUNCT)):]
            if trail.strip(",") and out:  # "... that, um." keeps its full stop
                out[-1] = out[-1][0], out[-1][1].rstrip(",") + trail.lstrip(",")
            elif "," in trail and out and out[-1][1].endswith(","):
                out[-1] = out[-1][0], out[-1][1][:-1]  # "I, um, think" -> "I think"
            if not out or out[-1][1].endswith((".", "?", "!")):
                capitalise = capitalise or tok[:1].isupper()
            continue
        # "the- the": a word broken off and started again.
        if tok.endswith("-") and core and _core(nxt).startswith(core):
            continue
        # "I I think": the same short word twice in a row, the first without punctuation.
        if (core and core == _core(nxt) and tok == tok.rstrip(_PUNCT) and len(core) <= STUTTER_MAX
                and core not in DOUBLED_ON_PURPOSE):
            continue
        if capitalise:
            tok = tok[:1].upper() + tok[1:]
            capitalise = False
        out.append((i, tok))
    return out


@dataclass(frozen=True)
class Passage(Paragraph):
    """A paragraph of the article, with when each of its words (``text.split()``) starts: the page
    marks the word being heard."""

    times: tuple[float, ...] = ()


def timed_words(segments: Iterable[Segment]) -> tuple[list[str], list[float]]:
    """The segments' text as words (split on white space), each with its start time: the engine's
    word times where its words spell the segment's text, else times spread evenly over the segment.
    A word piece without a leading space ("-five" after " twenty") belongs to the word before it."""
    texts: list[str] = []
    times: list[float] = []
    for seg in segments:
        said = seg.text.split()
        words: list[str] = []
        starts: list[float] = []
        for w in seg.words:
            pieces = w.text.split()
            if not pieces:
                continue
            if words and not w.text[:1].isspace():
                words[-1] += pieces.pop(0)
            words += pieces
            starts += [w.start] * len(pieces)
        if words != said:
            step = (seg.end - seg.start) / max(1, len(said))
            words, starts = said, [seg.start + i * step for i in range(len(said))]
        texts += words
        times += starts
    return texts, times


def _words_text(words: Sequence[Word]) -> str:
    """Words as a segment's text: Whisper's words carry their leading space, others are joined by one."""
    if all(w.text[:1].isspace() for w in words[1:]):
        return "".join(w.text for w in words).strip()
    return " ".join(w.text.strip() for w in words)


def _cut(seg: Segment, chapter_of: Callable[[float], int]) -> list[Segment]:
    """A segment cut at the first word of each chapter that starts inside it, so a heading stands at
    the word its chapter starts with, not at the start of the next segment."""
    if not seg.words or chapter_of(seg.words[-1].start) == chapter_of(seg.start):
        return [seg]
    groups: list[list[Word]] = []
    for w in seg.words:
        if not groups or chapter_of(w.start) != chapter_of(groups[-1][0].start):
            groups.append([])
        groups[-1].append(w)
    return [Segment(seg.start if i == 0 else g[0].start, seg.end if i == len(groups) - 1 else g[-1].end,
                    _words_text(g), tuple(g), seg.speaker) for i, g in enumerate(groups)]


def _split(p: Paragraph, chapter_of: Callable[[float], int], at_word: Callable[[float], int]) -> list[Paragraph]:
    """A paragraph cut where a chapter starts inside it (at the chapter's first word, by ``at_word``:
    the chapter a word said at that time is in), so every heading shows, at its time."""
    parts: list[list[Segment]] = []
    for seg in (piece for whole in p.segments for piece in _cut(whole, at_word)):
        if not parts or chapter_of(seg.start) != chapter_of(parts[-1][0].start):
            parts.append([])
        parts[-1].append(seg)
    if len(parts) <= 1:
        return [p]
    return [Paragraph(g[0].start, g[-1].end, p.speaker, " ".join(s.text.strip() for s in g), tuple(g))
            for g in parts]


def article(transcript: Transcript, chapters: Sequence[Chapter] = (), *, cleanup: bool = False,
            fillers: Iterable[str] = DEFAULT_FILLERS) -> Article:
    """The transcript as sections under ``chapters`` (programme times); ``cleanup`` as described above."""
    marks = sorted(chapters, key=lambda c: c.start)
    starts = [c.start for c in marks]
    fillers = tuple(fillers)
    groups: dict[int, list[Passage]] = {}

    def chapter_of(t: float) -> int:
        return bisect.bisect_right(starts, t + 0.5) - 1

    def at_word(t: float) -> int:  # a word's own time: no slack, but for rounding
        return bisect.bisect_right(starts, t + 0.05) - 1

    for whole in paragraphs(transcript, max_seconds=MAX_PARAGRAPH):
        for part in _split(whole, chapter_of, at_word):
            words, times = timed_words(part.segments)
            if cleanup:
                kept = clean_tokens(words, fillers)
                if not kept:
                    continue
                words, times = [w for _, w in kept], [times[i] for i, _ in kept]
            p = Passage(part.start, part.end, part.speaker, " ".join(words) if cleanup else part.text, part.segments,
                        tuple(times))
            groups.setdefault(chapter_of(p.start), []).append(p)
    sections = []
    for index in sorted(groups):
        chapter = marks[index] if index >= 0 else None
        sections.append(Section(chapter.title if chapter else None,
                                chapter.start if chapter else 0.0, tuple(groups[index])))
    return Article(tuple(sections))


def render_html(doc: Article, page_url: str = "") -> str:
    """The article as an HTML fragment (for the Atom feed): chapter headings, then paragraphs, each
    led by a timestamp linking to the episode page at that moment and the speaker's name."""
    e = html.escape
    out: list[str] = []
    for section in doc.sections:
        if section.title:
            out.append(f"<h2>{e(section.title)}</h2>")
        for p in section.paragraphs:
            when = f'<a href="{e(page_url)}#t={int(p.start)}">{timestamp(p.start)}</a>'
            who = f" <b>{e(p.speaker)}:</b>" if p.speaker else ""
            out.append(f"<p>{when}{who} {e(p.text)}</p>")
    return "\n".join(out) + "\n" if out else ""


# One character per word: tenths of a second after the word before, 0-61 (see `word_offsets`).
DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def word_offsets(p: Passage) -> str:
    """When each word of ``p`` starts, for the page: tenths of a second after the word before (the
    first: after the paragraph's start), one character each from `DIGITS`, or the number in
    parentheses when it is longer than 6.1 s. A 60-minute transcript's times take about 9 KB, a
    tenth of its page; the page reads only the paragraph being heard."""
    out: list[str] = []
    last = 0
    for t in p.times:
        at = max(last, round((t - p.start) * 10))
        gap = at - last
        out.append(DIGITS[gap] if gap < len(DIGITS) else f"({gap})")
        last = at
    return "".join(out)


def page_html(doc: Article) -> str:
    """The article as the episode page's transcript: every heading and paragraph seeks the player.

    Built here rather than in the page template: a long transcript is thousands of elements, and
    this runs once per transcript (in the content stage) instead of on every site build. Each
    paragraph's id is ``t<milliseconds>``, which search results use to open the page at that moment;
    its words are in one element whose ``data-w`` holds their times (`word_offsets`).
    """
    e = html.escape
    out: list[str] = []
    for number, section in enumerate(doc.sections, 1):
        if section.title:
            out.append(f'<h3 class="chapter" id="chapter-{number}"><a href="#t={int(section.start)}" '
                       f'data-start="{section.start:.2f}">{e(section.title)}</a></h3>')
        for p in section.paragraphs:
            at = f"{p.start:.2f}"
            who = f' <b class="speaker">{e(p.speaker)}</b>' if p.speaker else ""
            words = f' data-w="{word_offsets(p)}"' if len(p.times) == len(p.text.split()) else ""
            out.append(f'<p class="line" id="t{round(p.start * 1000)}" data-start="{at}"><a class="ts" '
                       f'href="#t={timestamp(p.start)}" data-start="{at}">{timestamp(p.start)}</a>{who} '
                       f'<span class="words"{words}>{e(p.text)}</span></p>')
    if not out:
        out.append("<p>No words were recognised in this episode.</p>")
    return "\n".join(out) + "\n"
