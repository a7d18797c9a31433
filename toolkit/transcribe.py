"""The transcribe stage: mastered audio (and per-speaker tracks) in, a `Transcript` out.

A pure function of its inputs and settings: decoding is deterministic (temperature 0), so the
pipeline can cache the result on (audio hash, settings, `STAGE_VERSION`). Speaker labels are
track indices ("0", "1", ...); the pipeline maps them to names afterwards, so renaming a person
never re-transcribes.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from . import media
from .asr import SAMPLE_RATE, DecodeOptions, get_engine
from .asr.recover import recover
from .asr.shaping import guard, resegment, words_of
from .asr.speakers import SpeakerSource, Tracks, Turns
from .asr.vocabulary import respell
from .errors import MediaError
from .settings import doc
from .transcript import Transcript

# Bump whenever the same input and settings would give a different transcript.
STAGE_VERSION = "4"

Progress = Callable[[float], None]


@dataclass(frozen=True)
class TranscribeSettings:
    """The [transcribe] table of podkit.toml; an episode may override any of it."""

    engine: Literal["faster-whisper", "openai-whisper"] = field(
        default="faster-whisper",
        metadata=doc("speech engine: faster-whisper (fast on CPU) or openai-whisper (the reference)"))
    model: str = field(default="tiny.en", metadata=doc(
        "Whisper model: a name (tiny.en, base, small.en, ...) or a local model folder / .pt file"))
    beam_size: int = field(default=5, metadata=doc("beam search width; 1 is greedy and faster"))
    language: str | None = field(default=None, metadata=doc(
        "spoken language (ISO 639-1, e.g. en); unset: English for .en models, else detected"))
    vocabulary: tuple[str, ...] = field(default=(), metadata=doc(
        "names and terms to spell as listed (show and episode lists merge)"))
    vocabulary_prompt: bool = field(default=False, metadata=doc(
        "also give the vocabulary to the model as its prompt (hotwords): can help spelling, but with "
        "small models it was measured to make Whisper skip sentences"))
    vad: bool = field(default=True, metadata=doc(
        "voice-activity detection: skip silence, noise and music so they yield no invented text"))
    vad_min_silence_ms: int = field(default=2000, metadata=doc(
        "silence (ms) that ends a stretch of speech for the voice-activity detector"))
    recover_skipped: bool = field(default=True, metadata=doc(
        "decode again, on their own, stretches the voice-activity detector calls speech but no word "
        "covers: Whisper sometimes jumps over a whole sentence (it lost one of the sample interview's)"))
    compute_type: str = field(default="int8", metadata=doc(
        "faster-whisper precision: int8 (fastest on CPU), float32, ..."))
    threads: int = field(default=0, metadata=doc("CPU threads per engine; 0 lets the engine choose"))
    batched: bool = field(default=False, metadata=doc(
        "faster-whisper batched decoding: about twice as fast but changes 2-11% of words"))
    batch_size: int = field(default=8, metadata=doc("segments decoded together when batched"))
    speaker_margin_db: float = field(default=6.0, metadata=doc(
        "multi-track: how much louder (dB, relative to each track's level) the speaker's own track "
        "must be over the others for a word to be attributed by it alone"))

    def __post_init__(self) -> None:
        if self.beam_size < 1:
            raise ValueError("beam_size must be at least 1")
        if self.threads < 0:
            raise ValueError("threads must be 0 (automatic) or more")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")


def prompt(vocabulary: Sequence[str]) -> str | None:
    """The vocabulary as a prompt: Whisper copies spellings it has just 'heard' in the prompt."""
    terms = [t.strip() for t in vocabulary if t.strip()]
    return ", ".join(dict.fromkeys(terms)) + "." if terms else None


def decode_options(settings: TranscribeSettings) -> DecodeOptions:
    text = prompt(settings.vocabulary) if settings.vocabulary_prompt else None
    return DecodeOptions(
        model=settings.model, language=settings.language, beam_size=settings.beam_size,
        vad=settings.vad, vad_min_silence_ms=settings.vad_min_silence_ms, initial_prompt=text,
        hotwords=text if settings.engine == "faster-whisper" else None,
        threads=settings.threads, compute_type=settings.compute_type,
        batched=settings.batched, batch_size=settings.batch_size,
    )


def load_audio(path: Path) -> np.ndarray:
    """16 kHz mono samples, decoded exactly as faster-whisper decodes a file (PyAV, via 16-bit).

    Whisper is that sensitive: decoding straight to float instead (differences of 1.5e-5) made
    base drop a whole sentence of the interview that the direct call kept (bench/transcribe.py).
    Both engines' own loaders go through 16-bit samples too.
    """
    import av
    from faster_whisper.audio import decode_audio

    media.probe(path)  # a missing, empty or unreadable file gets a clear error naming it
    try:
        return np.asarray(decode_audio(str(path), sampling_rate=SAMPLE_RATE), dtype=np.float32)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"could not decode the audio: {exc}", path=path) from exc


def transcribe(audio: Path, settings: TranscribeSettings, *, tracks: Sequence[Path] = (),
               timeline_shift: float = 0.0, progress: Progress | None = None,
               turns: Sequence[tuple[float, str]] = ()) -> Transcript:
    """Transcribe the mastered programme ``audio``.

    With ``tracks`` (one file per speaker, programme time = track time + ``timeline_shift``),
    each word's speaker is the index of the track it was spoken on ("0", "1", ...). A single-track
    episode has speaker None, unless the author gave ``turns``: (programme start s, label) pairs.
    ``progress`` is called with the seconds of audio done so far.
    """
    samples = load_audio(audio)
    duration = len(samples) / SAMPLE_RATE
    engine = get_engine(settings.engine)
    options = decode_options(settings)
    result = engine.transcribe(samples, options, progress)
    words = words_of(guard(result.segments))
    if settings.vad and settings.recover_skipped:
        words = recover(samples, words, engine, options)
    words = respell(words, settings.vocabulary)
    source: SpeakerSource | None = None
    if tracks:
        source = Tracks(tuple(tracks), timeline_shift, settings.speaker_margin_db)
    elif turns:
        source = Turns(tuple(turns))
    if source is not None:
        words = source.attribute(words)
    if progress is not None:
        progress(duration)
    return Transcript(language=result.language, duration=duration, segments=resegment(words),
                      engine=settings.engine, model=settings.model)


@dataclass(frozen=True)
class TranscribeJob:
    audio: Path
    settings: TranscribeSettings
    tracks: tuple[Path, ...] = ()
    timeline_shift: float = 0.0
    turns: tuple[tuple[float, str], ...] = ()


def _run(job: TranscribeJob) -> Transcript:
    return transcribe(job.audio, job.settings, tracks=job.tracks, timeline_shift=job.timeline_shift,
                      turns=job.turns)


def transcribe_many(jobs: Sequence[TranscribeJob], *, workers: int | None = None,
                    done: Callable[[int, Transcript], None] | None = None) -> list[Transcript]:
    """Several episodes at once, in worker processes of one engine thread each.

    Measured on 2 cores (STANDARDS.md): two single-threaded processes beat two threads sharing
    one model (tiny 31 vs 27-30 audio s per s) and one process (20); the longest episode goes
    first so no core idles at the end. Results come back in the order of ``jobs``.
    ``done(index, transcript)`` is called as each one finishes.
    """
    if not jobs:
        return []
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers == 1 or len(jobs) == 1:
        out = []
        for i, job in enumerate(jobs):
            out.append(_run(job))
            if done is not None:
                done(i, out[-1])
        return out
    single = [replace(j, settings=replace(j.settings, threads=j.settings.threads or 1)) for j in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -media.probe(jobs[i].audio).duration)
    results: dict[int, Transcript] = {}
    # spawn, not fork: a forked copy of a process whose engine already started its thread pools
    # can deadlock, and the pipeline may well have transcribed something in this process.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_run, single[i]): i for i in order}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if done is not None:
                done(i, results[i])
    return [results[i] for i in range(len(jobs))]
