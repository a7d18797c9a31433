"""Speaker embeddings offline: the voice encoder whose weights the `resemblyzer` package ships.

The encoder (a GE2E d-vector model: three LSTM layers of 256 over 40 mel bands, then a linear
layer, ReLU and unit length) is small, runs on a CPU, and its weights (``pretrained.pt``,
Apache-2.0) come with the wheel, so no model hub is needed. Two voices are compared by the dot
product of their embeddings (cosine similarity).

Only the weights file is taken from the package: importing ``resemblyzer`` itself pulls in
librosa (slow to import, numba) and webrtcvad (which imports ``pkg_resources``, gone from current
setuptools). The network is rebuilt here with torch, and its input, the linear-power mel
spectrogram resemblyzer makes with librosa (25 ms Hann windows every 10 ms, 40 Slaney mel bands),
is computed with numpy; a test checks both against librosa and resemblyzer's own code.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from toolkit.errors import PodkitError

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms: one mel frame
N_MELS = 40
WINDOW_FRAMES = 160  # 1.6 s: the length of the partial utterances the encoder was trained on
NORM_DBFS = -30.0  # resemblyzer raises quieter audio to this RMS level before embedding
NAME = "resemblyzer"
CHUNK = 8192  # mel frames computed at a time


def weights_path() -> Path:
    """``pretrained.pt`` inside the installed resemblyzer package, found without importing it."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise PodkitError("the speaker-embedding model is not installed",
                          hint="install podkit's diarization extra: pip install 'podkit[diarize]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise PodkitError(f"resemblyzer is installed without its weights: {path} is missing",
                          hint="reinstall it: pip install --force-reinstall resemblyzer==0.1.4")
    return path


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    mel = f / (200.0 / 3)
    log = f >= 1000.0
    return np.asarray(np.where(log, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel))


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    return np.asarray(np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * (200.0 / 3)))


@functools.cache
def mel_filters() -> np.ndarray:
    """The (40, 201) Slaney-normalised triangular mel filterbank over 0-8 kHz, as librosa makes it."""
    fft_freqs = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(SAMPLE_RATE / 2)), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return np.asarray(weights, dtype=np.float32)


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """The encoder's input for 16 kHz ``samples``: (frames, 40) linear-power mel spectrogram,
    one frame per 10 ms, frames centred on their time (zero padding at the ends, like librosa)."""
    x = np.pad(np.asarray(samples, dtype=np.float32), N_FFT // 2)
    n = 1 + (len(x) - N_FFT) // HOP
    if n <= 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, N_FFT), strides=(x.strides[0] * HOP, x.strides[0]),
                                             writeable=False)
    out = np.empty((n, N_MELS), dtype=np.float32)
    for a in range(0, n, CHUNK):  # in chunks: an hour's spectrum at once would be a gigabyte of complex numbers
        power = np.abs(np.fft.rfft(frames[a:a + CHUNK] * window, axis=1)) ** 2
        out[a:a + CHUNK] = power.astype(np.float32) @ mel_filters().T
    return out


def level(samples: np.ndarray) -> np.ndarray:
    """``samples`` raised to `NORM_DBFS` RMS if they are quieter (never lowered), as the encoder's
    training data was: its input is linear power, so the level matters."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    if rms <= 0:
        return samples
    change = NORM_DBFS - 20 * np.log10(rms)
    return samples * np.float32(10 ** (change / 20)) if change > 0 else samples


class VoiceEncoder:
    """The resemblyzer d-vector network on the CPU. Loading it imports torch (a few seconds), so an
    instance is made only when there is something to embed."""

    name = NAME

    def __init__(self, threads: int = 0) -> None:
        path = weights_path()
        try:
            import torch
        except ImportError:
            raise PodkitError("torch, which runs the speaker-embedding model, is not installed",
                              hint="install podkit's diarization extra: pip install 'podkit[diarize]'") from None

        if threads:
            torch.set_num_threads(threads)
        state = torch.load(path, map_location="cpu", weights_only=True)["model_state"]
        self._torch: Any = torch
        self.lstm = torch.nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = torch.nn.Linear(256, 256)
        self.lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self.linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
        self.lstm.eval()
        self.linear.eval()

    def embed_windows(self, windows: Sequence[np.ndarray], *, batch: int = 64,
                      progress: Callable[[int], None] | None = None) -> np.ndarray:
        """One unit-length embedding per mel window (each (frames, 40), at most `WINDOW_FRAMES`
        frames is what the model was trained on; shorter ones are fine, down to a few tenths of
        a second). Windows are run in batches of similar length, each to its own last frame."""
        torch = self._torch
        out = np.zeros((len(windows), 256), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        done = 0
        with torch.inference_mode():
            for b in range(0, len(order), batch):
                idx = order[b:b + batch]
                seqs = [torch.from_numpy(np.ascontiguousarray(windows[i], dtype=np.float32)) for i in idx]
                lengths = torch.tensor([len(s) for s in seqs])
                padded = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True)
                packed = torch.nn.utils.rnn.pack_padded_sequence(padded, lengths, batch_first=True,
                                                                 enforce_sorted=False)
                _, (hidden, _) = self.lstm(packed)
                raw = torch.relu(self.linear(hidden[-1]))
                emb = raw / torch.clamp(torch.linalg.norm(raw, dim=1, keepdim=True), min=1e-8)
                out[idx] = emb.numpy()
                done += len(idx)
                if progress is not None:
                    progress(done)
        return out

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One embedding of a whole clip: the mean of its 1.6 s windows (half overlapping), unit length."""
        mel = mel_frames(level(np.asarray(samples, dtype=np.float32)))
        step = WINDOW_FRAMES // 2
        starts = range(0, max(1, len(mel) - WINDOW_FRAMES + step), step)
        windows = [mel[s:s + WINDOW_FRAMES] for s in starts if len(mel[s:s + WINDOW_FRAMES]) >= 20]
        if not windows:
            raise ValueError("the clip is too short to embed")
        e = self.embed_windows(windows).mean(axis=0)
        return np.asarray(e / max(float(np.linalg.norm(e)), 1e-8), dtype=np.float32)
