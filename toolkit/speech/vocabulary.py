"""Spelling names and terms the way the show spells them.

The vocabulary (show and episode lists) respells what the model heard when it is the same
word written differently ("wood cutters", "Woodcutters" -> "woodcutters" as listed) or a near
miss of a long name with the same first letter ("Lovelaces" -> "Lovelace"). It only ever
changes the spelling of words that are there: it cannot add or remove speech.

Giving the list to the model as a prompt is optional (`TranscribeSettings.vocabulary_prompt`):
measured with tiny.en on the shared interview, a three-term prompt made the model skip whole
sentences (WER 0.03 -> 0.20-0.35) or loop, so it is off by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from toolkit.speech.transcript import Word

MAX_JOIN = 3  # how many heard words may make up one listed term ("pod" "kit" -> "podkit")
NEAR = 0.85  # similarity above which a long word counts as a misspelling of a listed term
NEAR_MIN_LENGTH = 6


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _split_punct(text: str) -> tuple[str, str, str]:
    """(leading space and punctuation, the word, trailing punctuation) of a Whisper word."""
    start = 0
    while start < len(text) and not text[start].isalnum():
        start += 1
    end = len(text)
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[:start], text[start:end], text[end:]


@dataclass(frozen=True)
class Term:
    spelling: str
    key: str


def terms(vocabulary: Sequence[str]) -> list[Term]:
    out = {_key(t): Term(t.strip(), _key(t)) for t in vocabulary if _key(t)}
    # Longest first, so "Ada Lovelace" wins over "Ada".
    return sorted(out.values(), key=lambda t: -len(t.key))


def _match(heard: str, term: Term, joined: bool) -> bool:
    if heard == term.key:
        return True
    # Near misses only for a single heard word: across words, "cutters of" is not a misspelling.
    return (not joined and len(term.key) >= NEAR_MIN_LENGTH and heard[:1] == term.key[:1]
            and abs(len(heard) - len(term.key)) <= 2
            and SequenceMatcher(None, heard, term.key).ratio() >= NEAR)


def respell(words: Sequence[Word], vocabulary: Sequence[str]) -> list[Word]:
    """``words`` with listed terms spelled as listed; several heard words may merge into one term."""
    listed = terms(vocabulary)
    if not listed:
        return list(words)
    out: list[Word] = []
    i = 0
    while i < len(words):
        done = False
        for n in range(min(MAX_JOIN, len(words) - i), 0, -1):
            group = words[i:i + n]
            # Never merge words of different speakers.
            if any(w.speaker != group[0].speaker for w in group):
                continue
            heard = "".join(_key(w.text) for w in group)
            term = next((t for t in listed if _match(heard, t, n > 1)), None)
            if term is None:
                continue
            lead, _, _ = _split_punct(group[0].text)
            _, _, trail = _split_punct(group[-1].text)
            spelled = lead + term.spelling + trail
            if n == 1 and spelled == group[0].text:
                break
            out.append(replace(group[0], end=group[-1].end, text=spelled,
                               probability=min(w.probability for w in group)))
            i += n
            done = True
            break
        if not done:
            out.append(words[i])
            i += 1
    return out
