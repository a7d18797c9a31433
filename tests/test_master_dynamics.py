"""The true-peak limiter and meter on synthetic signals with known inter-sample peaks."""

from __future__ import annotations

import numpy as np
import pytest

from toolkit.audio.dynamics import CONTEXT, TruePeakLimiter, TruePeakMeter, true_peaks
from toolkit.audio.streams import Audio

RATE = 44100


def _loud(seconds: float = 6.0, channels: int = 2) -> Audio:
    """Bursts of noise and of a quarter-rate sine whose samples miss its peaks by 3 dB."""
    n = round(RATE * seconds)
    t = np.arange(n)
    rng = np.random.default_rng(3)
    sine = np.sin(np.pi / 2 * t + np.pi / 4)  # samples at +-0.707 of the crest
    bursts = (np.sin(2 * np.pi * 0.7 * t / RATE) > 0.3).astype(np.float64)
    x = 0.9 * sine * bursts + 0.5 * rng.standard_normal(n) * (1 - bursts)
    x = np.clip(x, -1, 1)
    return np.stack([x * (1.0 - 0.2 * c) for c in range(channels)], axis=1).astype(np.float32)


def _limit(x: Audio, ceiling: float, sizes: list[int]) -> tuple[Audio, TruePeakLimiter]:
    lim = TruePeakLimiter(RATE, x.shape[1], ceiling)
    out, pos, k = [], 0, 0
    while pos < len(x):
        size = sizes[k % len(sizes)]
        out.append(lim.feed(x[pos: pos + size]))
        pos += size
        k += 1
    out.append(lim.flush())
    return np.concatenate(out), lim


def test_limiter_keeps_every_interpolated_point_under_the_ceiling() -> None:
    x = _loud()
    ceiling = 10 ** (-1.3 / 20)
    assert true_peaks(x).max() > 1.2  # the input is well over it, mostly between samples
    y, lim = _limit(x, ceiling, [65536])
    assert len(y) == len(x)
    # A gain that moves from one frame to the next shifts the interpolated points a little:
    # 0.001 dB at most, far inside the headroom the master leaves under the ceiling.
    assert true_peaks(y).max() <= ceiling * 10 ** (0.001 / 20)
    assert lim.reduced > 0


def test_limiter_output_does_not_depend_on_how_the_input_was_cut() -> None:
    x = _loud(seconds=3.0)
    ceiling = 10 ** (-2.0 / 20)
    whole, _ = _limit(x, ceiling, [len(x)])
    pieces, _ = _limit(x, ceiling, [1, 31, 1000, 4097, 65536, 7])
    np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-6)


def test_limiter_passes_quiet_audio_through_untouched() -> None:
    x = _loud(seconds=2.0) * np.float32(0.3)
    y, lim = _limit(x, 10 ** (-1.0 / 20), [5000])
    np.testing.assert_array_equal(y, x)
    assert lim.reduced == 0


def test_limiter_gain_moves_smoothly() -> None:
    x = np.full((2 * RATE, 1), 0.5, dtype=np.float32)
    x[RATE // 2] = 1.0  # one hot sample in a steady signal
    y, _ = _limit(x, 0.8, [4096])
    gain = y[:, 0] / x[:, 0]
    gain[RATE // 2] = gain[RATE // 2 - 1]  # that sample's own value says nothing about the ramp
    assert 0.7 < gain.min() <= 0.8
    assert (gain[RATE * 3 // 2:] == 1).all()  # released, back to exactly 1 within a second
    assert np.abs(np.diff(gain)).max() < 0.01  # ramps of a step or more, never a jump


@pytest.mark.parametrize("size", [1000, 4096, 65536])
def test_true_peak_meter_does_not_depend_on_chunk_edges(size: int) -> None:
    x = _loud(seconds=3.0)
    exact = float(true_peaks(x).max())
    meter = TruePeakMeter()
    for k in range(0, len(x), size):
        meter.feed(x[k: k + size])
    assert meter.flush() == pytest.approx(exact, rel=1e-6)
    assert CONTEXT >= 12  # the interpolation filter's reach on either side
