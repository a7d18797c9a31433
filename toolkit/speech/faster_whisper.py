"""The faster-whisper (CTranslate2) engine: the default, and the fastest on CPU."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ModelError
from toolkit.speech.engine import DecodeOptions, EngineResult, Progress
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
        segments_iter, info = pipeline.transcribe(audio, **kwargs)
        segments: list[Segment] = []
        for s in segments_iter:
            words = tuple(Word(float(w.start), float(w.end), w.word, float(w.probability))
                          for w in (s.words or ()))
            segments.append(Segment(float(s.start), float(s.end), s.text, words))
            if progress is not None:
                progress(float(s.end))
        return EngineResult(language=str(info.language), segments=tuple(segments))
