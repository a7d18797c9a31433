"""Gain that changes over time: speaker gates and the true-peak limiter.

Both work on chunks with their state carried over, so a programme of any length streams
through them. Both only do the expensive work where it is needed: a gate that is fully open
or fully closed is a multiplication, a limiter far from the ceiling is a delay line.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import minimum_filter1d
from scipy.signal import firwin, upfirdn

Audio = NDArray[np.float32]
Floats = NDArray[np.float64]

OVERSAMPLE = 4  # BS.1770 true peak: 4x at 44.1/48 kHz
# The interpolation filter, designed once (scipy's resample_poly would redesign it per call):
# 48 taps, 12 per phase, like BS.1770's, with a Kaiser window for a flat pass band.
_TAPS = 48
_FIR = firwin(_TAPS, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)) * OVERSAMPLE


def magnitude(x: NDArray[np.floating]) -> NDArray[np.floating]:
    """Largest absolute value across channels, per frame.

    A channel-by-channel np.maximum: numpy's reduce along a 2-wide axis costs a call per frame
    and was, measured, the single biggest cost of a stereo render.
    """
    out: NDArray[np.floating] = np.abs(x[:, 0])
    for c in range(1, x.shape[1]):
        np.maximum(out, np.abs(x[:, c]), out=out)
    return out


def true_peaks(x: NDArray[np.floating]) -> Floats:
    """Per-sample true-peak estimate: the largest 4x-oversampled magnitude around each sample.

    An inter-sample peak between samples n and n+1 is charged to both, so a gain that holds
    at both samples also holds between them.
    """
    up = upfirdn(_FIR, x.astype(np.float64), up=OVERSAMPLE, axis=0)
    # upfirdn delays by half the filter: sample n of x sits at index n*4 + (taps-1)/2 of up.
    delay = (_TAPS - 1) // 2
    up = up[delay: delay + len(x) * OVERSAMPLE]
    mag = magnitude(up).reshape(-1, OVERSAMPLE).max(axis=1)
    nxt = np.concatenate([mag[1:], mag[-1:]])
    return np.asarray(np.maximum(np.maximum(mag, nxt), magnitude(x)), dtype=np.float64)


class TruePeakMeter:
    """The largest true peak of a stream, oversampling only blocks that could beat it.

    True peak is never below sample peak and, for band-limited audio, not more than a few dB
    above it; so once a loud peak is known, only blocks whose sample peak comes within that
    margin of it need the 4x interpolation. On a long programme that is a handful of blocks.
    """

    _MARGIN = 10 ** (4.0 / 20)
    _BLOCK = 1024

    def __init__(self) -> None:
        self.peak = 0.0

    def feed(self, x: NDArray[np.floating]) -> None:
        if len(x) == 0:
            return
        mag = magnitude(x)
        pad = (-len(mag)) % self._BLOCK
        blocks = np.concatenate([mag, np.zeros(pad, mag.dtype)]).reshape(-1, self._BLOCK).max(axis=1)
        for k in np.argsort(blocks)[::-1]:
            if blocks[k] * self._MARGIN <= self.peak:
                break
            a, b = int(k) * self._BLOCK, min(len(x), (int(k) + 1) * self._BLOCK)
            lo, hi = max(0, a - 32), min(len(x), b + 32)
            # The context only feeds the filter; its edges ring (zero padding), so it is not counted.
            self.peak = max(self.peak, float(true_peaks(x[lo:hi])[a - lo: b - lo].max()))


class TruePeakLimiter:
    """Look-ahead limiter that keeps the oversampled peak at or below ``ceiling`` (linear).

    Gain is computed per sample as ceiling / true peak, then: the minimum over the next
    ``lookahead`` samples (so the gain is already down when the peak arrives), a moving
    average over the same length (a smooth attack, still at or below the needed gain at every
    sample), and an exponential release. The output is delayed by the look-ahead; `feed`
    hides that by dropping the first samples and `flush` returns the tail.

    Where the sample peak is far enough below the ceiling that no inter-sample peak can reach
    it (`_MARGIN`), no oversampling is done at all: speech at -16 LUFS needs it in a few
    percent of the blocks.
    """

    _MARGIN = 10 ** (-4.0 / 20)  # inter-sample overs of band-limited audio stay well below 4 dB
    _BLOCK = 512

    def __init__(self, rate: int, channels: int, ceiling: float, *, lookahead: float = 0.003,
                 release: float = 0.08) -> None:
        self.ceiling = ceiling
        self.look = max(2, round(rate * lookahead))
        self.channels = channels
        self._decay = math.exp(-1.0 / (rate * release))
        self._greq = np.ones(2 * self.look - 1)   # needed gain of the last 2L-1 input samples
        self._xhist = np.zeros((self.look, channels), dtype=np.float32)
        self._deficit = 0.0                        # 1 - gain of the last output sample (release state)
        self._to_skip = self.look                  # the delay line's initial zeros
        self._context = np.zeros((0, channels), dtype=np.float32)
        self.reduced = 0                           # samples whose gain went below 1
        self.max_reduction_db = 0.0
        self.peak_in = 0.0                         # largest true peak seen at the input (linear)

    def _needed_gain(self, x: Audio) -> Floats:
        n = len(x)
        greq = np.ones(n)
        if n == 0:
            return greq
        sample_peak = magnitude(x)
        pad = (-n) % self._BLOCK
        blocks = np.concatenate([sample_peak, np.zeros(pad)]).reshape(-1, self._BLOCK).max(axis=1)
        hot = np.flatnonzero(blocks > self.ceiling * self._MARGIN)
        if len(hot) == 0:
            self.peak_in = max(self.peak_in, float(blocks.max()))
            return greq
        # Oversample each run of hot blocks with some context for the interpolation filter.
        ctx = 32
        runs = np.split(hot, np.flatnonzero(np.diff(hot) > 1) + 1)
        for run in runs:
            a = int(run[0]) * self._BLOCK
            b = min(n, (int(run[-1]) + 1) * self._BLOCK)
            lo, hi = max(0, a - ctx), min(n, b + ctx)
            tp = true_peaks(x[lo:hi])[a - lo: b - lo]
            self.peak_in = max(self.peak_in, float(tp.max()))
            over = tp > self.ceiling
            if over.any():
                greq[a:b][over] = self.ceiling / tp[over]
        return greq

    def feed(self, x: Audio) -> Audio:
        """Limit one chunk; returns as many samples as came in (less at the very start)."""
        n = len(x)
        if n == 0:
            return x
        greq = self._needed_gain(x)
        look = self.look
        g_all = np.concatenate([self._greq, greq])
        x_all = np.concatenate([self._xhist, x])
        self._greq = g_all[-(2 * look - 1):]
        self._xhist = x_all[-look:]
        delayed = x_all[:n]
        if g_all.min() >= 1.0 and self._deficit < 1e-6:
            out = delayed  # nothing to do: the fast path for most of a speech programme
            self._deficit = 0.0
        else:
            # m[k] = min of the needed gain over the L samples from k on (look-ahead hold) ...
            m = minimum_filter1d(g_all, look, origin=-(look // 2), mode="nearest")[: n + look]
            # ... s[k] = mean of m over the L samples up to k: smooth, and never above greq[k].
            c = np.concatenate([[0.0], np.cumsum(m)])
            s = (c[look:] - c[:-look])[:n] / look
            # Release: deficit d[n] = max(1 - s[n], decay * d[n-1]), vectorised as a running max
            # in the log domain (d[n] = max_k (1 - s[k]) * decay**(n-k)).
            need = np.maximum(1.0 - s, 0.0)
            log_decay = math.log(self._decay)
            idx = np.arange(1, n + 1, dtype=np.float64)
            with np.errstate(divide="ignore"):
                logs = np.log(need) - idx * log_decay
                start = math.log(self._deficit) if self._deficit > 0 else -np.inf
            run = np.maximum.accumulate(np.concatenate([[start], logs]))[1:]
            deficit = np.exp(run + idx * log_decay)
            gain = 1.0 - np.minimum(deficit, 1.0)
            self._deficit = float(deficit[-1]) if deficit[-1] > 1e-9 else 0.0
            below = gain < 1.0 - 1e-6
            self.reduced += int(below.sum())
            if below.any():
                self.max_reduction_db = max(self.max_reduction_db, -20 * math.log10(float(gain.min())))
            out = (delayed * gain[:, None]).astype(np.float32)
        if self._to_skip:
            skip = min(self._to_skip, len(out))
            self._to_skip -= skip
            out = out[skip:]
        return out

    def flush(self) -> Audio:
        """The last look-ahead's worth of samples still in the delay line."""
        return self.feed(np.zeros((self.look, self.channels), dtype=np.float32))
