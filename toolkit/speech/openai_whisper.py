"""The openai-whisper (PyTorch) engine: the reference implementation, slower on CPU.

It runs from an openai-whisper checkpoint converted once from the same CTranslate2 weights
faster-whisper uses (see `models.openai_checkpoint`), so both engines work offline with the
bundled models. Voice-activity detection uses the Silero model shipped in faster-whisper's
wheel, and only the speech it finds is decoded (openai-whisper's ``clip_timestamps``).
"""

from __future__ import annotations

import base64
import gzip
import threading
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import ModelError
from toolkit.speech.engine import SAMPLE_RATE, DecodeOptions, EngineResult, Progress
from toolkit.speech.models import BUNDLED, openai_checkpoint, resolve_ct2
from toolkit.speech.transcript import Segment, Word

_models: dict[tuple[str, int], Any] = {}
_lock = threading.Lock()


def _heads_dump(heads: list[list[int]], n_layer: int, n_head: int) -> bytes:
    """openai-whisper's encoding of alignment heads: base85 of a gzipped boolean mask."""
    mask = np.zeros((n_layer, n_head), dtype=bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


def _resolve(model: str) -> Path | str:
    """What to give `whisper.load_model`: a checkpoint file, or a name for its own cache.

    A local .pt is used as given. A bundled model or a local CTranslate2 folder is converted
    (once). Other official names go to openai-whisper's own cache, which downloads when online;
    anything else is looked up as a CTranslate2 model and converted.
    """
    import whisper

    path = Path(model).expanduser()
    if path.suffix == ".pt" and path.is_file():
        return path
    if model in BUNDLED or path.exists():
        return openai_checkpoint(resolve_ct2(model))
    if model in whisper.available_models():
        return model
    return openai_checkpoint(resolve_ct2(model))


def load(model: str, threads: int) -> Any:
    import torch
    import whisper

    source = _resolve(model)
    key = (str(source), threads)
    with _lock:
        if key not in _models:
            if threads > 0:
                torch.set_num_threads(threads)
            if isinstance(source, str):
                try:
                    # Its own cache (~/.cache/whisper), else a download; it sets the heads itself.
                    _models[key] = whisper.load_model(source, device="cpu")
                except (RuntimeError, OSError) as exc:
                    hint = "install a bundled model (" + ", ".join(
                        f"{b.name}: {' + '.join(b.pip_names)}" for b in BUNDLED.values()) + ") or go online once"
                    raise ModelError(f"openai-whisper could not load or download {source!r}: {exc}",
                                     hint=hint) from exc
                return _models[key]
            try:
                m = whisper.load_model(str(source), device="cpu")
                heads = torch.load(source, map_location="cpu", weights_only=True).get("alignment_heads")
            except (RuntimeError, KeyError, OSError) as exc:
                raise ModelError(f"openai-whisper could not load the model: {exc}", path=source,
                                 hint="delete the file to have it converted again") from exc
            if heads:
                # Without this, word timestamps use every head of the upper layers: a poor default.
                m.set_alignment_heads(_heads_dump(heads, m.dims.n_text_layer, m.dims.n_text_head))
            _models[key] = m
        return _models[key]


def speech_clips(audio: np.ndarray, options: DecodeOptions) -> list[float] | None:
    """Start/end seconds of the speech Silero VAD finds; None when VAD is off."""
    if not options.vad:
        return None
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if options.speech is not None:  # found already, on the whole recording (`pieces`)
        chunks = [{"start": a, "end": b} for a, b in options.speech]
    else:
        chunks = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=options.vad_min_silence_ms,
                                                         threshold=options.vad_threshold))
    # openai-whisper counts in 10 ms mel frames and loops forever on a clip that ends past its
    # last whole frame (it keeps seeking to a zero-length window), so clips end at that frame.
    last = (len(audio) // 160) / 100
    clips: list[float] = []
    for c in chunks:
        start, end = round(c["start"] / SAMPLE_RATE, 2), min(round(c["end"] / SAMPLE_RATE, 2), last)
        if end - start >= 0.02:
            clips += [start, end]
    return clips


# openai-whisper reports nothing until it has finished, so long audio is decoded in pieces of
# about this many seconds of VAD clips, and progress is reported after each. Clips never share a
# decoding window and no text is carried between windows, so the pieces don't change the words.
PIECE_SECONDS = 60.0


def pieces(clips: list[float]) -> list[list[float]]:
    """Consecutive start/end clip pairs grouped into pieces spanning about `PIECE_SECONDS`."""
    out: list[list[float]] = []
    for start, end in zip(clips[::2], clips[1::2], strict=True):
        if out and end - out[-1][0] <= PIECE_SECONDS:
            out[-1] += [start, end]
        else:
            out.append([start, end])
    return out


class OpenAIWhisper:
    name = "openai-whisper"

    def transcribe(self, audio: np.ndarray, options: DecodeOptions,
                   progress: Progress | None = None) -> EngineResult:
        import whisper

        model = load(options.model, options.threads)
        language = options.language or ("en" if not model.is_multilingual else None)
        clips = speech_clips(audio, options)
        if clips is None:
            clips = [0.0, (len(audio) // 160) / 100]
        segments: list[Segment] = []
        for piece in pieces(clips):
            # Cut on a mel-frame boundary (160 samples) so the frames match those of the whole.
            lo = int(piece[0] * SAMPLE_RATE) // 160 * 160
            hi = min(len(audio), int(piece[-1] * SAMPLE_RATE) + 320)
            offset = lo / SAMPLE_RATE
            last = ((hi - lo) // 160) / 100
            relative = [min(round(t - offset, 2), last) for t in piece]
            result = whisper.transcribe(
                # A writable copy: torch refuses to share memory with read-only numpy arrays.
                model, np.array(audio[lo:hi], dtype=np.float32), verbose=None, temperature=0.0,
                condition_on_previous_text=False, word_timestamps=True,
                initial_prompt=options.initial_prompt,
                # The vocabulary is meant for the whole episode, not only its first 30 s.
                carry_initial_prompt=options.initial_prompt is not None,
                clip_timestamps=relative, language=language, beam_size=options.beam_size, best_of=None,
                fp16=False,
            )
            # Detect the language once, on the first piece, and hold it for the rest.
            language = language or str(result.get("language") or "en")
            for s in result["segments"]:
                words = tuple(Word(round(offset + float(w["start"]), 3), round(offset + float(w["end"]), 3),
                                   str(w["word"]), float(w["probability"])) for w in s.get("words", ()))
                segments.append(Segment(round(offset + float(s["start"]), 3), round(offset + float(s["end"]), 3),
                                        str(s["text"]), words))
            if progress is not None:
                progress(piece[-1])
        return EngineResult(language=language or "en", segments=tuple(segments))
