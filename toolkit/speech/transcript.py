"""The typed result of transcription, shared by every engine and every output format."""

from __future__ import annotations

import functools
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from itertools import accumulate, count, repeat
from operator import add, attrgetter
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0
    speaker: str | None = None


_WORD_FIELDS = {f.name for f in fields(Word)}


def _words(data: list[dict[str, Any]]) -> tuple[Word, ...]:
    """``tuple(Word(**d) for d in data)``, fast: a frozen dataclass sets each field through
    ``object.__setattr__``, which was most of the time of loading a long transcript. When every
    entry has exactly Word's fields (all as many, none other), the words are made empty and filled
    in C-level loops."""
    if set(map(len, data)) - {len(_WORD_FIELDS)} or set().union(*data) - _WORD_FIELDS:
        return tuple(Word(**d) for d in data)  # a default left out, or an unknown key (which Word refuses)
    words = tuple(map(object.__new__, repeat(Word, len(data))))
    deque(map(dict.update, map(vars, words), data), maxlen=0)
    return words


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    speaker: str | None = None

    @functools.cached_property
    def spaced(self) -> tuple[list[str], list[int]] | None:
        """`spaced_tokens` of the words and their `offsets`, or None: captions (at each width) and
        sentences all ask. Not a field: no part of equality, copies or the saved form."""
        tokens = spaced_tokens(self.words)
        return None if tokens is None else (tokens, offsets(tokens))


_TEXT = attrgetter("text")


def spaced_tokens(words: Sequence[Word]) -> list[str] | None:
    """The words' texts without their leading space when every word is Whisper's " token" (one
    space, then no white space), else None. Then the segment's words joined are " ".join(tokens),
    and each word's place in it follows from the lengths alone (`offsets`): captions and sentences
    cut long transcripts by those places rather than word by word."""
    texts = list(map(_TEXT, words))
    plain = "".join(texts)
    tokens = plain.split()
    # Joined with a NUL between them, such words read " a\0 b\0 c".
    if "\x00" in plain or "\x00".join(texts) != " " + "\x00 ".join(tokens):
        return None
    return tokens


def offsets(tokens: Sequence[str]) -> list[int]:
    """Where each token starts in " ".join(tokens), and one more: where a token after them would."""
    return list(map(add, accumulate(map(len, tokens), initial=0), count()))


@dataclass(frozen=True)
class Transcript:
    """What was said, when, and by whom. Times are seconds on the mastered programme."""

    language: str
    duration: float
    segments: tuple[Segment, ...]
    engine: str = ""
    model: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def words(self) -> tuple[Word, ...]:
        """Every word in order, each with its own timing and speaker."""
        return tuple(w for s in self.segments for w in s.words)

    @property
    def speakers(self) -> tuple[str, ...]:
        """Speaker labels in order of first appearance."""
        return tuple(dict.fromkeys(s.speaker for s in self.segments if s.speaker is not None))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = tuple(
            Segment(
                start=s["start"], end=s["end"], text=s["text"], speaker=s.get("speaker"),
                words=_words(s.get("words", [])),
            )
            for s in data["segments"]
        )
        return cls(
            language=data["language"], duration=data["duration"], segments=segments,
            engine=data.get("engine", ""), model=data.get("model", ""), extra=data.get("extra", {}),
        )

    @classmethod
    def load(cls, path: Path, names: dict[str, str]) -> Transcript:
        """A transcript saved with `to_dict` as JSON, speaker labels replaced by ``names``."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if names:
            # Renamed in the parsed data, before the words are built: `with_speakers` would build
            # every word a second time.
            for s in data["segments"]:
                for item in (s, *s.get("words", ())):
                    label = item.get("speaker")
                    if label is not None:
                        item["speaker"] = names.get(label, label)
        return cls.from_dict(data)

    def with_speakers(self, names: dict[str, str]) -> Transcript:
        """The same transcript with speaker labels replaced by display names."""
        if not names:
            return self  # one recording of everyone: nothing to rename, and long transcripts are slow to copy
        def rename(label: str | None) -> str | None:
            return names.get(label, label) if label is not None else None

        segments = tuple(
            Segment(s.start, s.end, s.text,
                    tuple(Word(w.start, w.end, w.text, w.probability, rename(w.speaker)) for w in s.words),
                    rename(s.speaker))
            for s in self.segments
        )
        return Transcript(self.language, self.duration, segments, self.engine, self.model, self.extra)
