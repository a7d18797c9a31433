"""Who speaks when in one recording of everyone: the diarizer interface, beside `engine.Engine`.

A diarizer is given the programme's 16 kHz samples and where there is speech (the transcript's
words tell), and returns speaker turns, each speaker an anonymous index, with one voice embedding
per speaker so that a reference clip of a known voice can name one of them (`voice`). Naming the
speakers after the episode's people, and giving each word its speaker, are shared
(`toolkit.speech.diarize`), so every diarizer gives the same kind of result.

Adding a diarizer (say, pyannote's pipeline for users who have its model): a module with a class
that follows `Diarizer`, and one entry in `diarizers.DIARIZERS`. The default, ``"resemblyzer"``,
needs no network and no login: its weights come with a PyPI package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

Progress = Callable[[float], None]  # the share of the work done so far, 0 to 1


@dataclass(frozen=True)
class SpeakerTurn:
    start: float  # seconds on the programme
    end: float
    speaker: int  # 0, 1, ...: anonymous, numbered in order of first appearance


@dataclass(frozen=True)
class Diarization:
    turns: tuple[SpeakerTurn, ...]  # in time order, not overlapping
    voices: np.ndarray  # (speakers, dim): one unit-length embedding per speaker, comparable with `voice`

    @property
    def speakers(self) -> int:
        return len(self.voices)


class Diarizer(Protocol):
    """Speaker diarization of one recording.

    ``speech`` is the programme's speech as (start s, end s) spans in time order; ``speakers`` how
    many people talk, or None to estimate it. It is deterministic: the same input gives the same
    turns (the cache and the tests rely on it)."""

    name: str

    def diarize(self, samples: np.ndarray, speech: Sequence[tuple[float, float]], speakers: int | None,
                progress: Progress | None = None) -> Diarization: ...

    def voice(self, samples: np.ndarray) -> np.ndarray:
        """One unit-length embedding of a clip of one voice, comparable with `Diarization.voices`."""
        ...
