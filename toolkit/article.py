"""The blog transcript: the transcript as an article, in sections under chapter headings.

Paragraphs come from the transcript's reading shape (speaker turns and pauses); each goes
under the last chapter that has started by then (half a second of slack, since chapter
marks are rounded by people).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from .formats import Paragraph, paragraphs
from .show import Chapter
from .transcript import Transcript


@dataclass(frozen=True)
class Section:
    title: str | None  # the chapter's title; None for talk before the first chapter
    start: float
    paragraphs: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Article:
    sections: tuple[Section, ...]

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return tuple(p for s in self.sections for p in s.paragraphs)


def article(transcript: Transcript, chapters: Sequence[Chapter] = ()) -> Article:
    marks = sorted(chapters, key=lambda c: c.start)
    starts = [c.start for c in marks]
    groups: dict[int, list[Paragraph]] = {}
    for p in paragraphs(transcript):
        groups.setdefault(bisect.bisect_right(starts, p.start + 0.5) - 1, []).append(p)
    sections = []
    for index in sorted(groups):
        chapter = marks[index] if index >= 0 else None
        sections.append(Section(chapter.title if chapter else None,
                                chapter.start if chapter else 0.0, tuple(groups[index])))
    return Article(tuple(sections))
