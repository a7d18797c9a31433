"""A long recording on every core: cut at the voice-activity detector's silences, decode the pieces
in worker processes, join the words.

Whisper decodes the speech the VAD keeps (its chunks joined end to end) in 30-second windows,
one after another. Cutting that stream at a chunk boundary, a silence, and decoding each side on
its own changes nothing but where the windows after the cut fall, so the words are those of the
whole-file decode (tests/test_pieces.py compares them on recordings with silences in them). The VAD
runs once, on the whole file, with the decode's own settings, and each piece is decoded with
exactly its share of those chunks, so no piece sees speech boundaries the whole file would not.

Where the recording has no silence as long as the VAD's ``vad_min_silence_ms`` for many minutes
(a reading without pauses), a long chunk is cut at its longest pause between words instead, found
by a finer pass of the same detector.

The pieces, and so the transcript, depend only on the audio and the settings, never on how many
workers decode them, or where: one worker decodes the same pieces one after the other. The pieces go
to this machine's worker processes (`set_workers`; each a fresh process that loads the model once and
keeps it for every piece it is given), or, on a cluster, wherever its `Dispatch` sends them
(`set_dispatch`: the build's Dask cluster, whose workers keep their model between tasks).

While the pieces are decoded the recording waits on disk (`Recording`), not in memory: each worker
reads only its piece from the file, and the process that cut the pieces holds none of the hour.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.speech.engine import SAMPLE_RATE, DecodeOptions
from toolkit.speech.engines import get_engine
from toolkit.speech.gaps import recover
from toolkit.speech.shaping import guard, words_of
from toolkit.speech.transcript import Word

PIECE_SECONDS = 300.0  # about this long each: a dozen pieces an hour keep two to four workers busy
FINE_SILENCE_MS = 300  # pauses between sentences, to cut a chunk longer than a piece
HOP = 160  # samples between Whisper's feature frames

Span = tuple[int, int]  # samples [start, end)

# Runs ``fn(*args)`` for each of ``calls`` elsewhere (a cluster's workers, where the recording's file is
# at the same path) and yields each call's (index, result) as it is done, in any order.
Dispatch = Callable[[Callable[..., Any], Sequence[tuple[Any, ...]]], Iterable[tuple[int, Any]]]

_workers = 1
_dispatch: Dispatch | None = None


def set_workers(n: int) -> None:
    """How many processes decode the pieces of one recording (the build's ``jobs``); with a `Dispatch`,
    how many decode at once on this machine (each is given its share of the cores)."""
    global _workers
    _workers = max(1, n)


def set_dispatch(dispatch: Dispatch | None) -> None:
    """Send the pieces of a long recording to ``dispatch`` instead of this machine's processes (None: stop)."""
    global _dispatch
    _dispatch = dispatch


def workers() -> int:
    return _workers


@dataclass(frozen=True)
class Piece:
    start: int  # first sample of the piece in the recording
    end: int  # one past its last
    speech: tuple[Span, ...]  # the VAD's chunks inside it, in samples from ``start``

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


@dataclass(frozen=True)
class Recording:
    """A recording's 16 kHz samples in a file of raw float32: what the pieces are read from.

    An hour is 230 MB of samples; held in memory by the process that cuts the pieces while every
    worker holds its model and its piece, it was the largest part of a long build's peak memory.
    The file is small to send to a worker (a path) and each piece is read from it when decoded.
    """

    path: Path
    length: int  # samples

    @classmethod
    def save(cls, samples: np.ndarray, path: Path) -> Recording:
        np.ascontiguousarray(samples, dtype=np.float32).tofile(path)
        return cls(path, len(samples))

    def span(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end), read from the file."""
        start, end = max(0, start), min(self.length, end)
        return np.fromfile(self.path, dtype=np.float32, count=max(0, end - start), offset=4 * start)


@contextlib.contextmanager
def scratch(folder: Path | None = None) -> Iterator[Path]:
    """A path for a `Recording` in a temporary folder inside ``folder`` (None: the system's), removed
    afterwards. The samples are not passed in: a context manager keeps its arguments, and the caller
    is to let go of them once they are saved."""
    with tempfile.TemporaryDirectory(prefix="podkit-samples-", dir=folder) as tmp:
        yield Path(tmp) / "samples.f32"


def speech_chunks(samples: np.ndarray, options: DecodeOptions, min_silence_ms: int | None = None) -> list[Span]:
    """Where Silero VAD hears speech, with the decode's settings (faster-whisper's own call)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    silence = options.vad_min_silence_ms if min_silence_ms is None else min_silence_ms
    chunks = get_speech_timestamps(samples, VadOptions(min_silence_duration_ms=silence,
                                                       threshold=options.vad_threshold))
    return [(int(c["start"]), int(c["end"])) for c in chunks]


def _pauses(samples: np.ndarray, chunk: Span, options: DecodeOptions) -> list[int]:
    """Cut points inside one long chunk: the middle of each pause between words the fine pass hears."""
    a, b = chunk
    inner = speech_chunks(samples[a:b], options, FINE_SILENCE_MS)
    return [a + (x[1] + y[0]) // 2 for x, y in itertools.pairwise(inner)]


def plan(samples: np.ndarray, speech: Sequence[Span], options: DecodeOptions,
         piece_seconds: float = PIECE_SECONDS) -> list[Piece]:
    """The recording cut into pieces of at least ``piece_seconds``, every cut in a silence.

    One piece (the whole recording) when it is shorter than two pieces or has no speech.
    """
    total = len(samples)
    size = int(piece_seconds * SAMPLE_RATE)
    if total < 2 * size or not speech:
        return [Piece(0, total, tuple(speech))]
    cuts_possible: list[int] = []
    for i, chunk in enumerate(speech):
        if i:
            cuts_possible.append((speech[i - 1][1] + chunk[0]) // 2)  # the middle of the silence
        if chunk[1] - chunk[0] > size:
            cuts_possible.extend(_pauses(samples, chunk, options))
    cuts: list[int] = []
    last = 0
    for c in sorted(cuts_possible):
        if c - last >= size and total - c >= size // 2:
            cuts.append(c)
            last = c
    bounds = [0, *cuts, total]
    pieces = []
    before = 0  # samples of speech before the piece, in the joined stream Whisper decodes
    last_end = 0
    for lo, hi in itertools.pairwise(bounds):
        inside = [(max(a, lo), min(b, hi)) for a, b in speech if a < hi and b > lo]
        # Whisper's feature frames are HOP samples apart from the start of the joined stream: a piece
        # starts that many samples of the previous speech early, so its frames are the whole file's.
        lead = before % HOP
        start = last_end - lead if lead and inside else lo
        chunks = [(start, last_end)] if start < lo else []
        pieces.append(Piece(start, hi, tuple((a - start, b - start) for a, b in [*chunks, *inside])))
        before += sum(b - a for a, b in inside)
        last_end = inside[-1][1] if inside else last_end
    return pieces


def decode_words(samples: np.ndarray, engine_name: str, options: DecodeOptions, recover_skipped: bool,
                 progress: Callable[[float], None] | None = None) -> tuple[str, list[Word]]:
    """The guarded words of one stretch of audio (times from its start), and its language."""
    engine = get_engine(engine_name)
    result = engine.transcribe(samples, options, progress)
    words = words_of(guard(result.segments))
    if options.vad and recover_skipped:
        words = recover(samples, words, engine, replace(options, speech=None))
    return result.language, words


def _decode_piece(recording: Recording, piece: Piece, engine_name: str, options: DecodeOptions,
                  recover_skipped: bool) -> tuple[str, list[Word]]:
    """One piece's words on the recording's timeline: the job a worker process runs."""
    samples = recording.span(piece.start, piece.end)
    language, words = decode_words(samples, engine_name, replace(options, speech=piece.speech), recover_skipped)
    del samples
    give_back_memory()
    shift = piece.start / SAMPLE_RATE
    return language, [replace(w, start=round(w.start + shift, 3), end=round(w.end + shift, 3)) for w in words]


def give_back_memory() -> None:
    """Return freed memory to the system (glibc keeps freed heap for reuse): a worker then holds its
    model and libraries between pieces, not the largest piece's spectrogram, and the process that cut
    the pieces not what decoding the file and the VAD left behind."""
    import contextlib
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):  # not glibc
            ctypes.CDLL(name).malloc_trim(0)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def decode(samples: np.ndarray | Recording, pieces: Sequence[Piece], engine_name: str, options: DecodeOptions,
           recover_skipped: bool, progress: Callable[[float], None] | None = None) -> tuple[str, list[Word]]:
    """Decode every piece (in `workers` processes when there are several, or where `set_dispatch` sends
    them), joined in order.

    Each piece's features are floored as the whole recording's would be (`mel_max`). The language
    is the first piece's, as the whole-file decode detects it on its first 30 s of speech; a piece
    that heard another language is decoded again in the first one's. Samples in memory are written
    to a temporary `Recording` first (pass a `Recording` to hold none of them in memory).
    """
    if not isinstance(samples, Recording):
        with scratch() as path:
            return decode(Recording.save(samples, path), pieces, engine_name, options, recover_skipped, progress)
    recording = samples
    from toolkit import workers as processes

    dispatch = _dispatch if len(pieces) > 1 else None
    n = workers() if dispatch else min(workers(), len(pieces))
    if n > 1 and options.threads == 0:  # one process per core decodes faster than threads sharing a model
        options = replace(options, threads=max(1, cores() // n))
    with contextlib.ExitStack() as stack:
        pool = None
        if n > 1 and dispatch is None:
            # The workers start (and load the model) while this process measures the features' maximum.
            pool = stack.enter_context(processes.pool(n, _load_model, (engine_name, options)))
            for _ in range(n):
                pool.submit(int)
        if engine_name == "faster-whisper" and len(pieces) > 1:
            from toolkit.speech.faster_whisper import mel_max, speech_stream

            top = max(mel_max(speech_stream(recording.span(p.start, p.end), p.speech), options.model) for p in pieces)
            options = replace(options, mel_max=top)
        calls = [(recording, p, engine_name, options, recover_skipped) for p in pieces]
        if dispatch is not None:
            done: Iterable[tuple[int, tuple[str, list[Word]]]] = dispatch(_decode_piece, calls)
        elif pool is not None:
            done = _as_completed([pool.submit(_decode_piece, *call) for call in calls])
        else:
            done = ((i, _decode_piece(*call)) for i, call in enumerate(calls))
        results = _collect(pieces, done, progress)
    language = results[0][0]
    words: list[Word] = []
    for p, (lang, found) in zip(pieces, results, strict=True):
        if lang != language:
            _, found = _decode_piece(recording, p, engine_name, replace(options, language=language), recover_skipped)
        words.extend(found)
    return language, words


def _load_model(engine_name: str, options: DecodeOptions) -> None:
    """A worker's start: load the model (a second of silence decodes to nothing) to keep for every piece."""
    get_engine(engine_name).transcribe(np.zeros(SAMPLE_RATE, np.float32), replace(options, speech=()))


def _as_completed(futures: Sequence[Future[tuple[str, list[Word]]]]) -> Iterator[tuple[int, tuple[str, list[Word]]]]:
    """Each future's (index, result), as they finish."""
    from concurrent.futures import as_completed

    index = {fut: i for i, fut in enumerate(futures)}
    for fut in as_completed(futures):
        yield index[fut], fut.result()


def _collect(pieces: Sequence[Piece], done: Iterable[tuple[int, tuple[str, list[Word]]]],
             progress: Callable[[float], None] | None) -> list[tuple[str, list[Word]]]:
    """Each piece's result, in order, telling ``progress`` the seconds decoded as each one is done."""
    results: dict[int, tuple[str, list[Word]]] = {}
    seconds = 0.0
    for i, result in done:
        results[i] = result
        seconds += pieces[i].seconds
        if progress is not None:
            progress(seconds)
    return [results[i] for i in range(len(pieces))]


__all__ = ["PIECE_SECONDS", "Dispatch", "Piece", "Recording", "decode", "decode_words", "give_back_memory", "plan",
           "scratch", "set_dispatch", "set_workers", "speech_chunks"]
