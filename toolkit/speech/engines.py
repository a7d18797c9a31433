"""The speech engines podkit can transcribe with, by the name [transcribe] engine gives.

Adding an engine: a module with a class that follows `engine.Engine`, one entry here, and its name
in `config.TranscribeSettings.engine`. Each engine module imports its Whisper library only when
it loads a model, so this registry costs nothing to import.
"""

from __future__ import annotations

from collections.abc import Callable

from toolkit.speech.engine import Engine
from toolkit.speech.faster_whisper import FasterWhisper
from toolkit.speech.openai_whisper import OpenAIWhisper

ENGINES: dict[str, Callable[[], Engine]] = {
    "faster-whisper": FasterWhisper,
    "openai-whisper": OpenAIWhisper,
}


def get_engine(name: str) -> Engine:
    try:
        return ENGINES[name]()
    except KeyError:
        raise ValueError(f"unknown engine {name!r}") from None
