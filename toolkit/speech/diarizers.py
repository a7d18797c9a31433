"""The diarizers podkit can tell voices apart with, by name.

Adding one: a module with a class that follows `diarizer.Diarizer`, and one entry here. Each
diarizer loads its model (and torch) only when it is first asked to embed, so this registry costs
nothing to import.
"""

from __future__ import annotations

from collections.abc import Callable

from toolkit.speech.diarizer import Diarizer
from toolkit.speech.embedding_diarizer import EmbeddingDiarizer

DIARIZERS: dict[str, Callable[[], Diarizer]] = {
    "resemblyzer": EmbeddingDiarizer,
}


def get_diarizer(name: str) -> Diarizer:
    try:
        return DIARIZERS[name]()
    except KeyError:
        raise ValueError(f"unknown diarizer {name!r}") from None
