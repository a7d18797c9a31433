"""The faster-whisper (CTranslate2) engine: the default, and the fastest on CPU."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ModelError
from toolkit.speech.engine import SAMPLE_RATE, DecodeOptions, EngineResult, Progress
from toolkit.speech.models import resolve_ct2
from toolkit.speech.transcript import Segment, Word

_models: dict[tuple[str, str, int], Any] = {}
_models_lock = threading.Lock()


def load(folder: Path, compute_type: str, threads: int) -> Any:
    """One loaded model per (folder, precision, threads) per process: loading costs seconds."""
    from faster_whisper import WhisperModel

    key = (str(folder), compute_type, threads)
    with _models_lock:
        if key not in _models:
            try:
                _models[key] = WhisperModel(str(folder), device="cpu", compute_type=compute_type,
                                            cpu_threads=threads)
            except (RuntimeError, ValueError) as exc:
                raise ModelError(f"faster-whisper could not load the model: {exc}", path=folder,
                                 hint="reinstall the model package, or check the folder is a "
                                      "CTranslate2 Whisper model") from exc
        return _models[key]


def vad_parameters(options: DecodeOptions) -> dict[str, Any]:
    return {"min_silence_duration_ms": options.vad_min_silence_ms, "threshold": options.vad_threshold}


def decode_kwargs(options: DecodeOptions, language: str | None) -> dict[str, Any]:
    """faster-whisper's keyword arguments for our options; the benchmark's direct call uses these too."""
    return dict(
        language=language,
        beam_size=options.beam_size,
        temperature=0.0,
        condition_on_previous_text=False,
        word_timestamps=True,
        vad_filter=options.vad,
        vad_parameters=vad_parameters(options) if options.vad else None,
        initial_prompt=options.initial_prompt,
        hotwords=options.hotwords,
    )


FRAMES_AT_ONCE = 6000  # feature frames (60 s) transformed at a time: the STFT of a whole piece would
#                        take 0.6 MB per second of speech at once, several hundred MB for a long piece


def log_mel(extractor: Any, waveform: np.ndarray, padding: int = 160, chunk_length: int | None = None) -> np.ndarray:
    """faster-whisper's log-mel features (`FeatureExtractor.__call__`) before its floor and scaling.

    The same frames, window, FFT and mel filters, computed `FRAMES_AT_ONCE` frames at a time, so a
    worker's memory holds the features of its piece, not the short-time spectrum of all of it (each
    frame's values do not depend on how many are computed together: tests/test_pieces.py checks).
    """
    if chunk_length is not None:
        extractor.n_samples = chunk_length * extractor.sampling_rate
        extractor.nb_max_frames = extractor.n_samples // extractor.hop_length
    waveform = np.pad(waveform.astype(np.float32), (0, padding)) if padding else waveform.astype(np.float32)
    n_fft, hop = extractor.n_fft, extractor.hop_length
    window = np.hanning(n_fft + 1)[:-1].astype("float32")
    padded = np.pad(waveform, n_fft // 2, mode="reflect")  # the STFT's centring, as `FeatureExtractor.stft`
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    count = len(frames) - 1  # the last frame is dropped, as faster-whisper does
    out = np.empty((extractor.mel_filters.shape[0], max(0, count)), dtype=np.float32)
    # Blocks of equal size: a block of a single frame would go through another BLAS path (gemv) and
    # round differently.
    blocks = max(1, -(-count // FRAMES_AT_ONCE))
    bounds = [count * k // blocks for k in range(blocks + 1)]
    for a, b in itertools.pairwise(bounds):
        spectrum = np.fft.rfft(frames[a:b] * window, n=n_fft, axis=-1).astype("complex64").T
        magnitudes = np.abs(spectrum) ** 2
        out[:, a:b] = np.log10(np.clip(extractor.mel_filters @ magnitudes, a_min=1e-10, a_max=None))
    return out


class _FlooredAt:
    """The model's feature extractor with the floor set by a maximum given, not the input's own."""

    def __init__(self, inner: Any, top: float) -> None:
        self.inner, self.top = inner, top

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __call__(self, waveform: np.ndarray, padding: int = 160, chunk_length: int | None = None) -> np.ndarray:
        spec = log_mel(self.inner, waveform, padding, chunk_length)
        return np.asarray((np.maximum(spec, self.top - 8.0) + 4.0) / 4.0)


def speech_stream(audio: np.ndarray, speech: Sequence[tuple[int, int]]) -> np.ndarray:
    """The speech chunks joined end to end: what Whisper decodes after the VAD."""
    return np.concatenate([audio[a:b] for a, b in speech]) if speech else np.zeros(0, np.float32)


def mel_max(stream: np.ndarray, model: str) -> float:
    """The largest log-mel value of a stretch of speech, as the model's feature extractor computes it."""
    import json

    from faster_whisper.feature_extractor import FeatureExtractor

    config = resolve_ct2(model) / "preprocessor_config.json"
    size = json.loads(config.read_text()).get("feature_size", 80) if config.is_file() else 80
    return float(log_mel(FeatureExtractor(feature_size=size), stream).max())


class FasterWhisper:
    name = "faster-whisper"

    def transcribe(self, audio: np.ndarray, options: DecodeOptions,
                   progress: Progress | None = None) -> EngineResult:
        folder = resolve_ct2(options.model)
        model = load(folder, options.compute_type, options.threads)
        language = options.language or ("en" if not model.model.is_multilingual else None)
        kwargs = decode_kwargs(options, language)
        if options.batched:
            from faster_whisper import BatchedInferencePipeline

            pipeline: Any = BatchedInferencePipeline(model)
            kwargs["batch_size"] = options.batch_size
            # The batched pipeline needs VAD to cut the audio into independent pieces.
            kwargs["vad_filter"] = True
            kwargs["vad_parameters"] = vad_parameters(options)
        else:
            pipeline = model
        chunks = None
        if options.vad and options.speech is not None and not options.batched:
            # What faster-whisper does with its own VAD's chunks: decode them joined, then put
            # every timestamp back on the recording's timeline.
            chunks = [{"start": a, "end": b} for a, b in options.speech]
            if not chunks:
                return EngineResult(language=language or "en", segments=())
            audio = speech_stream(audio, options.speech)
            kwargs["vad_filter"], kwargs["vad_parameters"] = False, None
        extractor = model.feature_extractor
        if options.mel_max is not None:
            model.feature_extractor = _FlooredAt(extractor, options.mel_max)
        try:
            segments = self._segments(pipeline, audio, kwargs, chunks, progress)
        finally:
            model.feature_extractor = extractor
        return EngineResult(language=segments[0], segments=segments[1])

    @staticmethod
    def _segments(pipeline: Any, audio: np.ndarray, kwargs: dict[str, Any], chunks: list[dict[str, int]] | None,
                  progress: Progress | None) -> tuple[str, tuple[Segment, ...]]:
        segments_iter, info = pipeline.transcribe(audio, **kwargs)
        if chunks is not None:
            from faster_whisper.transcribe import restore_speech_timestamps

            segments_iter = restore_speech_timestamps(segments_iter, chunks, SAMPLE_RATE)
        segments: list[Segment] = []
        for s in segments_iter:
            words = tuple(Word(float(w.start), float(w.end), w.word, float(w.probability))
                          for w in (s.words or ()))
            segments.append(Segment(float(s.start), float(s.end), s.text, words))
            if progress is not None:
                progress(float(s.end))
        return str(info.language), tuple(segments)
