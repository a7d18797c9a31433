"""ITU-R BS.1770-4 loudness from 100 ms sub-block energies.

The meter keeps one mean square per 100 ms sub-block instead of the samples: a 400 ms gating
block (75 % overlap) is the mean of four consecutive sub-blocks and a 3 s short-term block of
thirty, so integrated loudness and loudness range can be computed later for any subset of the
programme, e.g. only the blocks where one speaker is talking, without decoding anything again.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]

SUB_BLOCK = 0.1        # seconds; the hop of the 400 ms gating block
ABSOLUTE_GATE = -70.0  # LUFS
RELATIVE_GATE = -10.0  # LU below the absolutely gated loudness
LRA_RELATIVE_GATE = -20.0
SILENT = -150.0        # what we call the loudness of digital silence, instead of -inf


def k_weighting(rate: int) -> NDArray[np.float64]:
    """The two K-weighting biquads (high shelf, then high pass) designed for ``rate``, as SOS.

    BS.1770 publishes coefficients for 48 kHz only; these analog prototypes (shelf +4 dB at
    1.5 kHz, Q 1/sqrt(2); high pass at 38 Hz, Q 0.5) through the bilinear transform match them
    to better than 0.01 dB and work at the low rates the analysis decode uses.
    """
    def shelf(gain_db: float, q: float, fc: float) -> list[float]:
        a = 10 ** (gain_db / 40)
        w0 = 2 * math.pi * fc / rate
        alpha = math.sin(w0) / (2 * q)
        cw, sa = math.cos(w0), 2 * math.sqrt(a) * alpha
        b = [a * ((a + 1) + (a - 1) * cw + sa), -2 * a * ((a - 1) + (a + 1) * cw),
             a * ((a + 1) + (a - 1) * cw - sa)]
        den = [(a + 1) - (a - 1) * cw + sa, 2 * ((a - 1) - (a + 1) * cw), (a + 1) - (a - 1) * cw - sa]
        return [v / den[0] for v in b] + [1.0, den[1] / den[0], den[2] / den[0]]

    def highpass(q: float, fc: float) -> list[float]:
        w0 = 2 * math.pi * fc / rate
        alpha, cw = math.sin(w0) / (2 * q), math.cos(w0)
        a0 = 1 + alpha
        b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
        return [v / a0 for v in b] + [1.0, -2 * cw / a0, (1 - alpha) / a0]

    return np.array([shelf(4.0, 1 / math.sqrt(2), 1500.0), highpass(0.5, 38.0)])


class BlockMeter:
    """Streams samples in, keeps the K-weighted mean square of every 100 ms sub-block.

    Channels are summed with weight 1 (left, right, centre or mono), as BS.1770 does for
    everything but surround channels; our inputs are downmixed to mono or stereo first.
    """

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.channels = channels
        self.block = round(rate * SUB_BLOCK)
        self._sos = k_weighting(rate)
        self._zi = np.zeros((len(self._sos), channels, 2))  # filter state per section and channel
        self._pending = np.zeros(0)
        self._energies: list[Floats] = []
        self.frames = 0

    def feed(self, samples: NDArray[np.floating]) -> None:
        """Add (frames, channels) samples."""
        if len(samples) == 0:
            return
        self.frames += len(samples)
        # Channels as contiguous rows: filtering along them and summing across them is twice as
        # fast as working on (frames, channels), whose 2-wide sum costs numpy a call per frame.
        rows = np.ascontiguousarray(np.asarray(samples).T)
        from scipy.signal import sosfilt  # here: scipy.signal takes a second to import (see dynamics._fir)

        weighted, self._zi = sosfilt(self._sos, rows, axis=-1, zi=self._zi)
        power = np.einsum("ij,ij->j", weighted, weighted)
        if len(self._pending):
            power = np.concatenate([self._pending, power])
        whole = len(power) // self.block * self.block
        if whole:
            self._energies.append(power[:whole].reshape(-1, self.block).mean(axis=1))
        self._pending = power[whole:]

    def energies(self) -> Floats:
        """Mean square per sub-block; a trailing partial block counts if it is at least half full."""
        parts = list(self._energies)
        if len(self._pending) >= self.block // 2:
            parts.append(np.array([self._pending.mean()]))
        return np.concatenate(parts) if parts else np.zeros(0)


def to_lufs(energy: Floats | float) -> Floats:
    """Mean square of K-weighted samples to loudness; silence becomes `SILENT`, not -inf."""
    e = np.maximum(np.asarray(energy, dtype=np.float64), 1e-30)
    return np.maximum(-0.691 + 10 * np.log10(e), SILENT)


def gating_blocks(sub: Floats, size: int = 4) -> Floats:
    """Mean energies of overlapping blocks of ``size`` sub-blocks (4 = the 400 ms gating block)."""
    if len(sub) < size:
        return np.array([sub.mean()]) if len(sub) else np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(sub)])
    out: Floats = (c[size:] - c[:-size]) / size
    return out


def integrated(sub: Floats, mask: NDArray[np.bool_] | None = None) -> float:
    """Gated integrated loudness (LUFS) of the 400 ms blocks; ``mask`` selects blocks to count.

    ``mask`` has one entry per gating block (``len(sub) - 3``); it is how per-speaker loudness is
    measured on the blocks where that speaker is the one talking.
    """
    blocks = gating_blocks(sub)
    if mask is not None:
        blocks = blocks[mask[: len(blocks)]]
    levels = to_lufs(blocks)
    kept = blocks[levels > ABSOLUTE_GATE]
    if len(kept) == 0:
        return SILENT
    gate = float(to_lufs(kept.mean())) + RELATIVE_GATE
    kept = kept[to_lufs(kept) > gate]
    return float(to_lufs(kept.mean()))


def loudness_range(sub: Floats) -> float:
    """EBU Tech 3342 loudness range (LU): 10th to 95th percentile of gated 3 s short-term loudness."""
    short = to_lufs(gating_blocks(sub, 30))
    short = short[short > ABSOLUTE_GATE]
    if len(short) == 0:
        return 0.0
    gate = float(to_lufs(float(np.mean(10 ** ((short + 0.691) / 10))))) + LRA_RELATIVE_GATE
    short = short[short > gate]
    if len(short) < 2:
        return 0.0
    low, high = np.percentile(short, [10, 95])
    return float(high - low)
