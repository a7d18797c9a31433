"""The render pass: decode every track at full rate, apply the plan, limit, encode. Once.

Per chunk of about a second: each track's gain curve (leveling and gate, planned from the
analysis at 100 ms resolution, interpolated per sample so every change is a ramp, never a
step), the mix, the master gain, intro and outro, the true-peak limiter, then LAME. The MP3
is decoded again and measured as it is written (see `Mp3Writer`), so the pass ends knowing
the loudness and true peak of the file it shipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from toolkit.audio.dynamics import TruePeakLimiter, TruePeakMeter, magnitude
from toolkit.audio.loudness import SUB_BLOCK, BlockMeter
from toolkit.audio.streams import Audio, Decoded, Mp3Writer, read_chunks

Floats = NDArray[np.float64]

CHUNK = 1 << 16  # frames per chunk: big enough that numpy's per-call cost vanishes
CLIP_LEVEL = 0.999  # a 16-bit full-scale sample decodes to 0.99997


@dataclass(frozen=True)
class Plan:
    """Everything the render pass needs, decided beforehand from the analysis."""

    paths: tuple[Path, ...]
    rate: int
    channels: int
    bitrate: int
    gains_db: tuple[Floats, ...]   # per track, per 100 ms sub-block of the source timeline
    start: int                     # first source frame kept (trim)
    end: int                       # one past the last source frame kept
    ceiling: float                 # linear true-peak ceiling for the limiter
    intro: Audio | None = None     # already at its target loudness
    outro: Audio | None = None
    crossfade: int = 0             # frames of overlap with the intro and the outro


@dataclass
class RenderStats:
    """What the render pass found on the way (the input is only seen at full rate here)."""

    clipped: list[int]            # per track: samples in runs of 3+ at full scale
    peak: list[float]             # per track: largest input sample (linear)
    decoded: list[Decoded]
    limited: int = 0              # output samples the limiter turned down
    frames: int = 0               # frames written
    energy: Floats = field(default_factory=lambda: np.zeros(0))  # of the MP3, per sub-block
    true_peak: float = 0.0        # of the MP3, linear


def _clipped(mag: NDArray[np.floating]) -> int:
    """Frames that begin a run of 3 or more at full scale, from the frames' `magnitude`."""
    hot = mag >= CLIP_LEVEL
    if hot.sum() < 3:
        return 0
    run3 = hot[:-2] & hot[1:-1] & hot[2:]
    return int(run3.sum())


def _mix(plan: Plan, stats: RenderStats, master_gain: float) -> Iterator[Audio]:
    """The trimmed, levelled, gated mix of all tracks at the master gain, in chunks."""
    readers = [read_chunks(p, rate=plan.rate, channels=plan.channels, chunk=CHUNK, result=d)
               for p, d in zip(plan.paths, stats.decoded, strict=True)]
    # Gains per sub-block become linear amplitudes at the sub-block centres; np.interp between
    # centres turns each 100 ms step into a linear ramp (no clicks).
    block = plan.rate * SUB_BLOCK
    centres = [(np.arange(len(g)) + 0.5) * block for g in plan.gains_db]
    amps = [10 ** (g / 20) * master_gain for g in plan.gains_db]
    pos = 0
    live = list(range(len(readers)))
    while pos < plan.end and live:
        out: Audio | None = None
        got = 0
        for k in list(live):
            try:
                x = next(readers[k])
            except StopIteration:
                live.remove(k)
                continue
            mag = magnitude(x)
            stats.clipped[k] += _clipped(mag)
            stats.peak[k] = max(stats.peak[k], float(mag.max()) if len(mag) else 0.0)
            t = np.arange(pos, pos + len(x), dtype=np.float64)
            gain = np.interp(t, centres[k], amps[k]).astype(np.float32)
            y = x * gain[:, None]
            if out is None:
                out = y  # a new array already
            elif len(y) > len(out):
                y[: len(out)] += out
                out = y
            else:
                out[: len(y)] += y
            got = max(got, len(x))
        if out is None or got == 0:
            break
        lo, hi = max(pos, plan.start), min(pos + got, plan.end)
        if hi > lo:
            yield out[lo - pos: hi - pos]
        pos += got
    for r in readers:
        r.close()  # stops ffmpeg early when the trim cut the end off


def _with_intro_outro(plan: Plan, body: Iterator[Audio]) -> Iterator[Audio]:
    """Put the intro before and the outro after the programme.

    The crossfade is a fade-under: the intro's last ``crossfade`` frames fade out (cosine)
    over the programme's first frames, which play at full level, and the outro fades in over
    the programme's last frames. The programme is never faded, so a first word that starts
    right at the trim point is not swallowed.
    """
    x = plan.crossfade
    fade = np.cos(np.linspace(0, np.pi / 2, x, dtype=np.float32)) ** 2 if x else np.zeros(0, np.float32)
    pending: Audio | None = None  # intro tail still to be laid over the programme
    if plan.intro is not None and len(plan.intro):
        xi = min(x, len(plan.intro))
        yield plan.intro[: len(plan.intro) - xi]
        pending = plan.intro[len(plan.intro) - xi:] * fade[len(fade) - xi:, None] if xi else None
    tail = np.zeros((0, plan.channels), dtype=np.float32)
    keep = x if plan.outro is not None else 0
    for chunk in body:
        if pending is not None and len(pending):
            chunk = chunk.copy()
            n = min(len(chunk), len(pending))
            chunk[:n] += pending[:n]
            pending = pending[n:]
        if keep:
            tail = np.concatenate([tail, chunk])
            if len(tail) > keep:
                yield tail[: len(tail) - keep]
                tail = tail[len(tail) - keep:]
        else:
            yield chunk
    if pending is not None and len(pending):
        yield pending  # programme shorter than the crossfade
    if plan.outro is not None and len(plan.outro):
        outro = plan.outro.copy()
        n = min(len(tail), len(outro))
        rising = fade[::-1][len(fade) - n:] if n else np.zeros(0, np.float32)
        head = tail.copy()
        head[len(tail) - n:] += outro[:n] * rising[:, None]
        yield head
        yield outro[n:]
    elif len(tail):
        yield tail


def render(plan: Plan, out: Path, *, master_gain: float,
           progress: Callable[[float], None] | None = None) -> RenderStats:
    """Run the pass and write ``out`` (atomically). Returns what it saw.

    ``master_gain`` applies to the tracks; intro and outro come at their own planned level.
    """
    n = len(plan.paths)
    stats = RenderStats(clipped=[0] * n, peak=[0.0] * n, decoded=[Decoded() for _ in range(n)])
    limiter = TruePeakLimiter(plan.rate, plan.channels, plan.ceiling)
    meter = BlockMeter(plan.rate, plan.channels)
    peak = TruePeakMeter()

    def check(x: Audio) -> None:  # runs on the writer's thread, on the decoded MP3
        meter.feed(x)
        peak.feed(x)

    writer = Mp3Writer(out, rate=plan.rate, channels=plan.channels, bitrate=plan.bitrate, monitor=check)
    total = max(1, plan.end - plan.start)
    done = 0
    try:
        for chunk in _with_intro_outro(plan, _mix(plan, stats, master_gain)):
            y = limiter.feed(chunk)
            writer.write(y)
            stats.frames += len(y)
            done += len(chunk)
            if progress is not None:
                progress(min(1.0, done / total))
        y = limiter.flush()
        writer.write(y)
        stats.frames += len(y)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    stats.limited = limiter.reduced
    stats.energy = meter.energies()
    stats.true_peak = peak.flush()
    return stats


def fade_edges(x: Audio, frames: int) -> Audio:
    """Short fades at both ends of a clip, so an intro cut mid-sound does not click."""
    if len(x) < 2 * frames or frames == 0:
        return x
    ramp = np.linspace(0.0, 1.0, frames, dtype=np.float32)[:, None]
    y = x.copy()
    y[:frames] *= ramp
    y[-frames:] *= ramp[::-1]
    return y


def stack(parts: Sequence[Audio], channels: int) -> Audio:
    return np.concatenate(parts) if parts else np.zeros((0, channels), dtype=np.float32)
