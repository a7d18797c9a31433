"""Key quotes: whole sentences of the transcript, word for word, worth reading on their own.

The score of a sentence, documented in the README, is

    centrality x length x confidence x standalone

* **centrality**: cosine similarity of the sentence's TF-IDF vector to the episode's centroid
  (`summarise.centrality`): it says what the episode is about, in recurring words;
* **length**: 1 for 12 to 40 words, less for shorter ones (words / 12); longer than 40 words or
  shorter than 8 is no quote at all;
* **confidence**: the engine's mean word probability, so a quote is what was said;
* **standalone**: 0.6 when it opens with a word that leans on what came before ("and", "but",
  "so", "this", "it", ...), else 1.

Only complete statements qualify (ending in . or !; not questions, not cut off by a change of
speaker). The best are taken in score order, skipping one that shares most of its words with a
quote already chosen and, while there are chapters enough, a second one from the same chapter;
they are returned in the order they were said. The text is exactly the transcript's.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from toolkit.content.summarise import Sentence, centrality, wordset

MIN_WORDS, FULL_WORDS, MAX_WORDS = 8, 12, 40
LEANING = wordset("and but so or because which that this these those it its they them he she then also yeah well")


@dataclass(frozen=True)
class Quote:
    start: float
    end: float
    text: str
    speaker: str | None
    score: float


def _eligible(s: Sentence) -> bool:
    n = len(s.words)
    return s.complete and not s.text.rstrip("\"'”’)").endswith("?") and MIN_WORDS <= n <= MAX_WORDS


def score(s: Sentence, central: float) -> float:
    """The documented quote score of one sentence, given its centrality."""
    ws = s.words
    length = min(1.0, len(ws) / FULL_WORDS)
    standalone = 0.6 if ws and ws[0].lower() in LEANING else 1.0
    return central * length * s.confidence * standalone


def key_quotes(items: Sequence[Sentence], count: int = 3, chapter_starts: Sequence[float] = ()) -> list[Quote]:
    """The ``count`` best quotes among ``items`` (the episode's sentences), in time order."""
    pool = [s for s in items if _eligible(s)]
    if not pool or count <= 0:
        return []
    # Centrality is measured against the whole episode, not only the eligible sentences.
    central = dict(zip((id(s) for s in items), centrality(items), strict=True))
    scored = sorted(((score(s, central[id(s)]), i, s) for i, s in enumerate(pool)), key=lambda x: (-x[0], x[1]))
    starts = sorted(chapter_starts)
    spread = len(starts) >= count
    chosen: list[tuple[float, Sentence]] = []
    used_chapters: set[int] = set()
    for value, _, s in scored:
        if value <= 0:
            break
        bag = set(s.terms)
        if any(len(bag & set(c.terms)) > 0.5 * max(len(bag), 1) for _, c in chosen):
            continue
        chapter = bisect.bisect_right(starts, s.start) - 1
        if spread and chapter in used_chapters:
            continue
        chosen.append((value, s))
        used_chapters.add(chapter)
        if len(chosen) >= count:
            break
    chosen.sort(key=lambda x: x[1].start)
    return [Quote(s.start, s.end, s.text, s.speaker, round(v, 4)) for v, s in chosen]
