"""Soundbites: the key quotes as moments worth hearing, for the feed's ``podcast:soundbite`` and the
short clips on the episode page.

The Podcast Index asks for soundbites of 15 to 60 seconds. A key quote is one sentence, usually a
few seconds long, so each soundbite starts where its quote starts and lasts the quote or 15 s,
whichever is longer, at most 60 s; one that would run past the end of the episode is left out.
The quote's text is the soundbite's title. Times are on the mastered programme, as the quotes are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from toolkit.content.quotes import Quote

SHORTEST, LONGEST = 15.0, 60.0


@dataclass(frozen=True)
class Soundbite:
    start: float
    duration: float
    title: str


def choose(quotes: Iterable[Quote], duration: float) -> tuple[Soundbite, ...]:
    """One soundbite per key quote that has 15 s of the episode from its start."""
    out = []
    for quote in quotes:
        length = min(max(quote.end - quote.start, SHORTEST), LONGEST, duration - quote.start)
        if length >= SHORTEST:
            out.append(Soundbite(round(quote.start, 3), round(length, 3), " ".join(quote.text.split())))
    return tuple(out)
