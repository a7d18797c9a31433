"""Speech recognition behind one interface: engines, model resolution, speakers, shaping.

Each engine turns 16 kHz mono samples into `toolkit.transcript.Segment`s with word timings; what
happens before (decoding, model lookup) and after (speaker attribution, shaping for reading) is
shared, so both engines give the same kind of result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from toolkit.speech.transcript import Segment

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class DecodeOptions:
    """What every engine is asked to honour. Temperature is always 0: see `Engine`."""

    model: str
    language: str | None = None
    beam_size: int = 5
    vad: bool = True
    vad_min_silence_ms: int = 2000
    vad_threshold: float = 0.5
    initial_prompt: str | None = None
    hotwords: str | None = None
    threads: int = 0
    compute_type: str = "int8"
    batched: bool = False
    batch_size: int = 8
    # The VAD's speech chunks (start, end samples) when already found (`pieces`): decode just these,
    # as the engine's own VAD pass would have found them, without running it again.
    speech: tuple[tuple[int, int], ...] | None = None
    # The largest log-mel value of the whole recording's speech, when this is a piece of it: Whisper
    # floors its features 8 below the input's own maximum, so a piece must use the recording's.
    mel_max: float | None = None


@dataclass(frozen=True)
class EngineResult:
    language: str
    segments: tuple[Segment, ...]


Progress = Callable[[float], None]


class Engine(Protocol):
    """A Whisper implementation.

    It decodes deterministically (temperature 0 with no sampling fallback, so caches and golden
    tests hold), without conditioning on its own previous output (the usual source of repetition
    loops), with word timestamps, and skips what voice-activity detection calls non-speech.
    """

    name: str

    def transcribe(self, audio: np.ndarray, options: DecodeOptions,
                   progress: Progress | None = None) -> EngineResult: ...
