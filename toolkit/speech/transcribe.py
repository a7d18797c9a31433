"""The transcribe stage: mastered audio (and per-speaker tracks) in, a `Transcript` out.

A pure function of its inputs and settings: decoding is deterministic (temperature 0), so the
pipeline can cache the result on (audio hash, settings, `STAGE_VERSION`). Speaker labels are
track indices ("0", "1", ...); the pipeline maps them to names afterwards, so renaming a person
never re-transcribes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolkit import media
from toolkit.config import TranscribeSettings
from toolkit.errors import MediaError
from toolkit.speech import pieces
from toolkit.speech.engine import SAMPLE_RATE, DecodeOptions
from toolkit.speech.imported import READER_VERSION, read_transcript
from toolkit.speech.shaping import resegment
from toolkit.speech.speakers import SpeakerSource, Tracks, Turns
from toolkit.speech.transcript import Transcript
from toolkit.speech.vocabulary import respell

# Bump whenever the same input and settings would give a different transcript.
STAGE_VERSION = "5"  # 5: recordings of 10 minutes or more are decoded in pieces (`pieces`)

Progress = Callable[[float], None]


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
               turns: Sequence[tuple[float, str]] = (), scratch: Path | None = None) -> Transcript:
    """Transcribe the mastered programme ``audio``.

    With ``tracks`` (one file per speaker, programme time = track time + ``timeline_shift``),
    each word's speaker is the index of the track it was spoken on ("0", "1", ...). A single-track
    episode has speaker None, unless the author gave ``turns``: (programme start s, label) pairs.
    ``progress`` is called with the seconds of audio done so far. A long recording's samples wait
    in a temporary file in ``scratch`` (None: the system's temporary folder) while its pieces are decoded.
    """
    samples = load_audio(audio)
    duration = len(samples) / SAMPLE_RATE
    options = decode_options(settings)
    if settings.vad and not settings.batched and duration >= 2 * pieces.PIECE_SECONDS:
        # A long recording: cut at the VAD's silences and decode the pieces on every core, from a file:
        # this process lets go of the samples before the workers load their models.
        cut = pieces.plan(samples, pieces.speech_chunks(samples, options), options, pieces.PIECE_SECONDS)
        with pieces.scratch(scratch) as path:
            recording = pieces.Recording.save(samples, path)
            del samples
            pieces.give_back_memory()  # and what the decode and the VAD left in the heap
            language, words = pieces.decode(recording, cut, settings.engine, options, settings.recover_skipped,
                                            progress)
    else:
        language, words = pieces.decode_words(samples, settings.engine, options, settings.recover_skipped, progress)
        del samples  # the speakers' tracks are decoded next: hold one recording at a time
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
    return Transcript(language=language, duration=duration, segments=resegment(words),
                      engine=settings.engine, model=settings.model)


TRANSCRIPT = "transcript.json"  # the stage's result: `Transcript.to_dict`, speakers as track labels


@dataclass(frozen=True)
class TranscribeJob:
    """What the transcribe stage reads: the mastered programme and, for a multi-track episode, each
    speaker's own track (for who said what), placed on the programme's timeline by ``timeline_shift``."""

    audio: Path
    settings: TranscribeSettings
    duration: float  # the programme's length, for progress
    tracks: tuple[Path, ...] = ()
    timeline_shift: float = 0.0


@dataclass(frozen=True)
class ImportedJob:
    """The transcribe stage of an episode whose transcript was made elsewhere (front matter
    ``transcript``, written by `podkit import`): the file is read instead of running Whisper, its
    times moved onto the programme's timeline. A job of its own shape, so its key never matches a
    Whisper job's and adding it changed no existing key."""

    transcript: Path
    duration: float
    timeline_shift: float
    language: str
    reader: str = READER_VERSION


def make(job: TranscribeJob | ImportedJob, folder: Path, progress: Callable[[float, float], None]) -> None:
    """The transcribe stage: ``folder`` gets the transcript (`TRANSCRIPT`)."""
    if isinstance(job, ImportedJob):
        result = read_transcript(job.transcript, duration=job.duration, shift=job.timeline_shift,
                                 language=job.language)
        (folder / TRANSCRIPT).write_text(json.dumps(result.to_dict()))
        return
    result = transcribe(job.audio, job.settings, tracks=job.tracks, timeline_shift=job.timeline_shift,
                        progress=lambda s: progress(s, job.duration or 1.0), scratch=folder)
    (folder / TRANSCRIPT).write_text(json.dumps(result.to_dict()))
