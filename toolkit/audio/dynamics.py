"""Gain that changes over time: speaker gates and the true-peak limiter.

Both work on chunks with their state carried over, so a programme of any length streams
through them. Both only do the expensive work where it is needed: a gate that is fully open
or fully closed is a multiplication, a limiter far from the ceiling is a delay line.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Audio = NDArray[np.float32]
Floats = NDArray[np.float64]

OVERSAMPLE = 4  # BS.1770 true peak: 4x at 44.1/48 kHz
# The interpolation filter, designed once (scipy's resample_poly would redesign it per call):
# 48 taps, 12 per phase, like BS.1770's, with a Kaiser window for a flat pass band.
_TAPS = 48


@functools.cache
def _fir() -> Audio:
    # scipy is imported here, not at the top: loading the show (and a build that finds nothing to
    # do) imports this module for its settings, and scipy.signal alone takes a second to import.
    from scipy.signal import firwin

    taps: Audio = (firwin(_TAPS, 1.0 / OVERSAMPLE, window=("kaiser", 5.0)) * OVERSAMPLE).astype(np.float32)
    return taps


def magnitude(x: NDArray[np.floating]) -> NDArray[np.floating]:
    """Largest absolute value across channels, per frame.

    A channel-by-channel np.maximum: numpy's reduce along a 2-wide axis costs a call per frame
    and was, measured, the single biggest cost of a stereo render.
    """
    out: NDArray[np.floating] = np.abs(x[:, 0])
    for c in range(1, x.shape[1]):
        np.maximum(out, np.abs(x[:, c]), out=out)
    return out


def true_peaks(x: NDArray[np.floating]) -> NDArray[np.float32]:
    """Per-frame true-peak estimate: the largest 4x-oversampled magnitude from frame n up to n+1.

    Covers frame n itself and the three points interpolated between it and the next, so a gain
    that holds from frame n to n+1 holds between them too. Near the ends of ``x`` the filter
    sees zeros: callers pass `CONTEXT` frames either side of the span they measure.
    """
    rows = np.ascontiguousarray(np.asarray(x, dtype=np.float32).T)  # one contiguous row per channel
    from scipy.signal import upfirdn

    up = upfirdn(_fir(), rows, up=OVERSAMPLE, axis=1)
    # upfirdn delays by half the filter: frame n of x sits at index n*4 + (taps-1)/2 of up.
    delay = (_TAPS - 1) // 2
    up = up[:, delay: delay + len(x) * OVERSAMPLE]
    mag = np.abs(up).max(axis=0).reshape(-1, OVERSAMPLE).max(axis=1)
    return np.asarray(np.maximum(mag, magnitude(x)), dtype=np.float32)


CONTEXT = 32  # frames either side of a span that its interpolation filter (12 frames wide) needs


class TruePeakMeter:
    """The largest true peak of a stream, oversampling only blocks that could beat it.

    True peak is never below sample peak and, for band-limited audio, not more than a few dB
    above it; so once a loud peak is known, only blocks whose sample peak comes within that
    margin of it need the 4x interpolation. On a long programme that is a handful of blocks.
    The last `CONTEXT` frames of a chunk wait for the next one (their interpolation needs what
    follows), so the result does not depend on where the stream was cut into chunks; `flush`
    measures them at the end.
    """

    _MARGIN = 10 ** (4.0 / 20)
    _BLOCK = 1024

    def __init__(self) -> None:
        self.peak = 0.0
        self._tail: NDArray[np.floating] | None = None  # frames kept from the last chunk
        self._done = 0                                    # how many of them are measured already

    def feed(self, x: NDArray[np.floating]) -> None:
        if len(x) == 0:
            return
        buf = x if self._tail is None else np.concatenate([self._tail, x])
        end = max(self._done, len(buf) - CONTEXT)
        self._measure(buf, self._done, end)
        keep = max(0, end - CONTEXT)
        self._tail, self._done = buf[keep:], end - keep

    def flush(self) -> float:
        """Measure what is still held (the stream has ended) and return the peak (linear)."""
        if self._tail is not None:
            self._measure(self._tail, self._done, len(self._tail))
            self._tail, self._done = None, 0
        return self.peak

    def _measure(self, buf: NDArray[np.floating], a: int, b: int) -> None:
        if b <= a:
            return
        mag = magnitude(buf[a:b])
        pad = (-len(mag)) % self._BLOCK
        blocks = np.concatenate([mag, np.zeros(pad, mag.dtype)]).reshape(-1, self._BLOCK).max(axis=1)
        for k in np.argsort(blocks)[::-1]:
            if blocks[k] * self._MARGIN <= self.peak:
                break
            s, e = a + int(k) * self._BLOCK, min(b, a + (int(k) + 1) * self._BLOCK)
            lo, hi = max(0, s - CONTEXT), min(len(buf), e + CONTEXT)
            self.peak = max(self.peak, float(true_peaks(buf[lo:hi])[s - lo: e - lo].max()))


class TruePeakLimiter:
    """Look-ahead limiter that keeps the oversampled peak at or below ``ceiling`` (linear).

    The gain is planned per step of `STEP` frames (0.7 ms at 44.1 kHz), not per frame: a step
    needs ceiling / (its true peak). A control point at the start of every step takes the
    minimum of the needed gain over the steps around it and ``lookahead`` ahead (so the gain is
    already down when the peak arrives), then the mean of that over the look-ahead (a smooth
    attack), then an exponential release. Every minimum a control point averages covers both
    steps it borders, so it is at or below both their needs; inside a step the gain ramps
    linearly from one control point to the next, so every frame, and every point interpolated
    between frames, gets at most the gain its step needs.

    Where the sample peak is far enough below the ceiling that no inter-sample peak can reach
    it (`_MARGIN`), no oversampling is done at all; where no step needs a cut, the audio passes
    through untouched. The output lags the input by the look-ahead (`feed` returns fewer frames
    at first); `flush` returns the rest, so the output has as many frames as the input.
    """

    STEP = 32
    _MARGIN = 10 ** (-4.0 / 20)  # inter-sample overs of band-limited audio stay well below 4 dB
    _SCREEN = 16                  # steps per sample-peak screening block: runs of hot ones are
    #                               oversampled in one call

    def __init__(self, rate: int, channels: int, ceiling: float, *, lookahead: float = 0.003,
                 release: float = 0.08) -> None:
        self.ceiling = ceiling
        self.channels = channels
        self.ahead = max(1, math.ceil(rate * lookahead / self.STEP))
        self._lag = self.ahead + 1  # control point k needs the steps up to k + lag
        self._decay = math.exp(-self.STEP / (rate * release))
        self._ramp = (np.arange(self.STEP) / self.STEP).astype(np.float32)
        self._fifo = np.zeros((0, channels), dtype=np.float32)  # input frames not yet output
        self._fifo_start = 0        # frame number of _fifo[0]
        self._steps = 0             # steps whose needed gain is known
        # Needed gain of the steps just before _steps (before the start: silence, gain 1).
        self._hist = np.ones(self._lag + self.ahead + 1)
        self._deficit = 0.0         # 1 - gain at the last control point (the release's state)
        self._last = 1.0            # gain at the last control point
        self._in = 0
        self._out = 0
        self.reduced = 0            # frames whose gain went below 1

    def feed(self, x: Audio) -> Audio:
        """Limit one chunk; returns the frames that are ready (the look-ahead holds back a few)."""
        self._in += len(x)
        fifo = np.concatenate([self._fifo, x]) if len(self._fifo) else x
        step = self.STEP
        ready = max(self._steps, (self._fifo_start + len(fifo) - CONTEXT) // step)
        n = ready - self._steps
        if n == 0:
            self._fifo = fifo
            return fifo[:0]
        need = self._needed_gain(fifo, self._steps * step - self._fifo_start, n)
        ctrl = self._control(need)  # control points _steps - lag .. ready - lag - 1
        starts = np.concatenate([[self._last], ctrl[:-1]])
        first = self._steps - self._lag - 1  # the step that starts at control point starts[0]
        self._last = float(ctrl[-1])
        self._steps = ready
        skip = min(len(ctrl), max(0, -first))  # steps before the programme's start
        starts, ends = starts[skip:], ctrl[skip:]
        frames = fifo[: len(ends) * step]
        self._fifo = fifo[len(frames):]
        self._fifo_start += len(frames)
        if len(ends) and min(float(starts.min()), float(ends.min())) < 1.0:
            gain = (starts[:, None] + (ends - starts)[:, None] * self._ramp).astype(np.float32)
            self.reduced += step * int(np.count_nonzero(np.minimum(starts, ends) < 1.0))
            frames = frames * gain.reshape(-1, 1)
        self._out += len(frames)
        return frames

    def flush(self) -> Audio:
        """The frames still held back by the look-ahead."""
        pad = (self._lag + 2) * self.STEP + CONTEXT
        out = self.feed(np.zeros((pad, self.channels), dtype=np.float32))
        self._in -= pad
        extra = self._out - self._in
        self._out = self._in
        return out[: len(out) - extra]

    def _needed_gain(self, fifo: Audio, a: int, n: int) -> Floats:
        """Needed gain of the ``n`` steps starting at frame ``a`` of ``fifo`` (1 where no cut is needed)."""
        step = self.STEP
        need = np.ones(n)
        peak = magnitude(fifo[a: a + n * step]).reshape(n, step).max(axis=1)
        screen = np.concatenate([peak, np.zeros((-n) % self._SCREEN)]).reshape(-1, self._SCREEN).max(axis=1)
        hot = np.flatnonzero(screen > self.ceiling * self._MARGIN)
        for run in np.split(hot, np.flatnonzero(np.diff(hot) > 1) + 1) if len(hot) else []:
            s0 = int(run[0]) * self._SCREEN
            s1 = min(n, (int(run[-1]) + 1) * self._SCREEN)
            lo, hi = a + s0 * step, a + s1 * step
            lo_ctx, hi_ctx = max(0, lo - CONTEXT), min(len(fifo), hi + CONTEXT)
            tp = true_peaks(fifo[lo_ctx:hi_ctx])[lo - lo_ctx: hi - lo_ctx].reshape(-1, step).max(axis=1)
            need[s0:s1] = np.minimum(1.0, self.ceiling / np.maximum(tp, 1e-12))
        return need

    def _control(self, need: Floats) -> Floats:
        """Gain at the next ``len(need)`` control points, from the needed gain of as many new steps."""
        ahead = self.ahead
        ext = np.concatenate([self._hist, need])
        self._hist = ext[len(ext) - len(self._hist):]
        if ext.min() >= 1.0 and self._deficit == 0.0:
            return np.ones(len(need))
        # Control point k sits between steps k-1 and k. Hold: the least need of steps k-1 .. k+lag,
        # then attack: the mean of that over control points k-ahead .. k.
        held = sliding_window_view(ext, self._lag + 2).min(axis=1)
        attack = sliding_window_view(held, ahead + 1).mean(axis=1)
        # Release: deficit d[k] = max(1 - attack[k], decay * d[k-1]), vectorised as a running
        # max in the log domain (d[k] = max_j (1 - attack[j]) * decay**(k-j)).
        cut = np.maximum(1.0 - attack, 0.0)
        log_decay = math.log(self._decay)
        idx = np.arange(1, len(cut) + 1, dtype=np.float64)
        with np.errstate(divide="ignore"):
            logs = np.log(cut) - idx * log_decay
            start = math.log(self._deficit) if self._deficit > 0 else -np.inf
        deficit = np.exp(np.maximum.accumulate(np.concatenate([[start], logs]))[1:] + idx * log_decay)
        deficit[deficit < 1e-4] = 0.0  # -0.001 dB: call it done, so the fast paths come back
        self._deficit = float(deficit[-1])
        return np.asarray(1.0 - np.minimum(deficit, 1.0), dtype=np.float64)
