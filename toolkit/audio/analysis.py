"""The analysis pass: one cheap decode of every track at a low rate, reduced to 100 ms energies.

From those energies alone come each track's loudness, who is talking when, how loud each
speaker's every turn is, where the programme starts and ends, and a prediction of the mix's
loudness for any set of gains. The full-rate audio is only touched once, by the render pass.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from toolkit.audio.dynamics import magnitude
from toolkit.audio.loudness import SILENT, SUB_BLOCK, BlockMeter, integrated, to_lufs
from toolkit.audio.streams import Decoded, read_chunks
from toolkit.errors import MediaError
from toolkit.media import MediaInfo, probe

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

ANALYSIS_RATE = 22050   # keeps speech up to 11 kHz, about what LAME keeps at speech bitrates
SPLIT_ABOVE = 120.0     # seconds: longer tracks are analysed as two halves on the two cores
WARMUP = 1.0            # seconds decoded before a split point so the K-weighting filter settles


@dataclass
class TrackAnalysis:
    """One input track, as the analysis pass saw it."""

    path: Path
    info: MediaInfo
    declared: float                     # seconds the file claims to hold
    energy: Floats                      # K-weighted mean square per 100 ms sub-block
    peak: Floats                        # sample peak per sub-block (at the analysis rate)
    decoded: float                      # seconds actually decoded
    complaint: str = ""                 # ffmpeg's stderr, if the decode had problems
    loudness: float = SILENT            # gated integrated loudness of the whole track
    active: Bools = field(default_factory=lambda: np.zeros(0, dtype=bool))
    speech: float = SILENT              # loudness of this speaker's own speech only

    @property
    def silent(self) -> bool:
        return self.loudness <= -60.0


def declared_duration(path: Path, info: MediaInfo) -> float:
    """The length the file claims to have, which a truncated file no longer has.

    ffprobe measures a WAV by its size (so a cut WAV looks whole), while the RIFF header still
    holds the size of the data as recorded; other formats' headers (FLAC's STREAMINFO, MP3's
    Xing frame count) are what ffprobe reports already.
    """
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return info.duration
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return info.duration
    pos, byte_rate, data_size = 12, 0, 0
    while pos + 8 <= len(head):
        chunk, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if chunk == b"fmt " and pos + 20 <= len(head):
            byte_rate = int.from_bytes(head[pos + 16:pos + 20], "little")
        if chunk == b"data":
            data_size = size
            break
        pos += 8 + size + (size & 1)
    if byte_rate <= 0 or data_size in (0, 0xFFFFFFFF):  # 0xFFFFFFFF: written by a stream, unknown
        return info.duration
    return max(info.duration, data_size / byte_rate)


def _analyse_span(path: Path, channels: int, start: float, length: float | None,
                  drop: int) -> tuple[Floats, Floats, Decoded]:
    """Energies and peaks per sub-block of one span of a file; the first ``drop`` frames only
    warm the filter up (they lie before the span, see `analyse`)."""
    meter = BlockMeter(ANALYSIS_RATE, channels)
    mags: list[Floats] = []
    result = Decoded()
    try:
        for chunk in read_chunks(path, rate=ANALYSIS_RATE, channels=channels, chunk=ANALYSIS_RATE * 4,
                                 start=start, duration=length, result=result):
            meter.feed(chunk)
            # Peak per sub-block; chunks are whole sub-blocks (4 s), so the grid never drifts.
            mag = magnitude(chunk).astype(np.float64)
            whole = len(mag) // meter.block * meter.block
            if whole:
                mags.append(mag[:whole].reshape(-1, meter.block).max(axis=1))
            if len(mag) > whole:
                mags.append(np.array([mag[whole:].max()]))
    except MediaError:
        if start == 0:
            raise
        # The second half of a split decode found nothing: the file ends early (truncated).
        return np.zeros(0), np.zeros(0), result
    skip = drop // meter.block
    energy = meter.energies()[skip:]
    peak = (np.concatenate(mags) if mags else np.zeros(0))[skip:]
    n = min(len(energy), len(peak))
    result.frames = max(0, result.frames - drop)
    return energy[:n], peak[:n], result


def analyse(paths: Sequence[Path], channels: int,
            progress: Callable[[float], None] | None = None) -> list[TrackAnalysis]:
    """Probe and analyse every track, two decodes at a time (this machine has two cores)."""
    infos = [probe(p) for p in paths]
    jobs: list[tuple[int, float, float | None, int]] = []
    for i, info in enumerate(infos):
        if info.duration > SPLIT_ABOVE and len(paths) == 1:
            # Split on a sub-block boundary, with a warm-up decoded before it and dropped.
            mid = round(info.duration / 2 / SUB_BLOCK) * SUB_BLOCK
            block = round(ANALYSIS_RATE * SUB_BLOCK)
            jobs.append((i, 0.0, mid, 0))
            jobs.append((i, mid - WARMUP, None, round(WARMUP / SUB_BLOCK) * block))
        else:
            jobs.append((i, 0.0, None, 0))
    done = 0

    def run(job: tuple[int, float, float | None, int]) -> tuple[Floats, Floats, Decoded]:
        nonlocal done
        i, start, length, drop = job
        out = _analyse_span(paths[i], channels, start, length, drop)
        done += 1
        if progress is not None:
            progress(done / len(jobs))
        return out

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, jobs))
    tracks: list[TrackAnalysis] = []
    for i, (path, info) in enumerate(zip(paths, infos, strict=True)):
        parts = [r for job, r in zip(jobs, results, strict=True) if job[0] == i]
        energy = np.concatenate([p[0] for p in parts])
        peak = np.concatenate([p[1] for p in parts])
        frames = sum(p[2].frames for p in parts)
        complaint = "; ".join(p[2].complaint for p in parts if p[2].complaint)
        track = TrackAnalysis(path=path, info=info, declared=declared_duration(path, info),
                              energy=energy, peak=peak,
                              decoded=frames / ANALYSIS_RATE, complaint=complaint)
        track.loudness = integrated(energy)
        tracks.append(track)
    return tracks


def smoothed_levels(energy: Floats, width: int = 3) -> Floats:
    """LUFS per sub-block, from energies averaged over ``width`` sub-blocks centred on it."""
    if len(energy) == 0:
        return np.zeros(0)
    kernel = np.ones(width) / width
    return to_lufs(np.convolve(energy, kernel, mode="same"))


def find_activity(tracks: Sequence[TrackAnalysis], length: int) -> None:
    """Decide, per sub-block, which tracks carry their own speaker's speech.

    A track is active where it is near its speaker's speech level (not noise: more than 6 dB
    above the track's own quiet floor, and within 30 dB of its speech level) and, with several
    tracks, where it is the loudest track relative to its own speech level (within 6 dB, to let
    both through when people talk over each other). The other person's bleed is far below
    the bleeding speaker's own track on that scale, so it never wins.
    """
    levels = []
    for t in tracks:
        lev = np.full(length, SILENT)
        lev[: len(t.energy)] = smoothed_levels(t.energy)[:length]
        levels.append(lev)
    norm = np.full((len(tracks), length), -np.inf)
    candidate = np.zeros((len(tracks), length), dtype=bool)
    for k, (t, lev) in enumerate(zip(tracks, levels, strict=True)):
        if t.silent:
            continue
        floor = float(np.percentile(lev[: len(t.energy)], 5)) if len(t.energy) else SILENT
        candidate[k] = (lev > floor + 6.0) & (lev > t.loudness - 30.0) & (lev > -70.0)
        norm[k] = lev - t.loudness
    best = norm.max(axis=0)
    for k, t in enumerate(tracks):
        t.active = candidate[k] & (norm[k] >= best - 6.0)


def gating_mask(active: Bools) -> Bools:
    """Which 400 ms gating blocks are mostly (3 of 4 sub-blocks) inside ``active``."""
    if len(active) < 4:
        return np.zeros(0, dtype=bool)
    a = active.astype(np.int32)
    c = np.concatenate([[0], np.cumsum(a)])
    return bool_array((c[4:] - c[:-4]) >= 3)


def bool_array(x: NDArray[np.generic]) -> Bools:
    return np.asarray(x, dtype=bool)


def runs(mask: Bools) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs of ``mask``."""
    if len(mask) == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


def fill_gaps(mask: Bools, gap: int) -> Bools:
    """Close False runs shorter than ``gap`` sub-blocks that lie between True runs."""
    out = mask.copy()
    spans = runs(mask)
    for (_, end), (nxt, _) in itertools.pairwise(spans):
        if nxt - end < gap:
            out[end:nxt] = True
    return out


def speech_levels(track: TrackAnalysis, length: int, *, window: float, turn_gap: float) -> Floats:
    """This speaker's loudness around each sub-block (LUFS), measured on their speech only.

    Speech is grouped into turns (active runs with gaps under ``turn_gap`` s closed); inside a
    turn, the level is the mean energy of the active sub-blocks within +-``window``/2 seconds
    in that turn, so a quiet turn and a loud one each get their own level while a sentence is
    not pumped. Outside turns the level of the nearest turn holds (the gate is closed there).
    """
    energy = np.zeros(length)
    energy[: min(length, len(track.energy))] = track.energy[:length]
    active = track.active[:length]
    turns = fill_gaps(active, round(turn_gap / SUB_BLOCK))
    half = max(1, round(window / 2 / SUB_BLOCK))
    out = np.full(length, np.nan)
    ce = np.concatenate([[0.0], np.cumsum(np.where(active, energy, 0.0))])
    ca = np.concatenate([[0], np.cumsum(active.astype(np.int64))])
    min_blocks = 5
    for a, b in runs(turns):
        count = int(ca[b] - ca[a])
        if count < min_blocks:
            continue  # too little speech to measure: takes the neighbouring level below
        idx = np.arange(a, b)
        lo = np.maximum(idx - half, a)
        hi = np.minimum(idx + half + 1, b)
        n = ca[hi] - ca[lo]
        e = np.where(n >= min_blocks, (ce[hi] - ce[lo]) / np.maximum(n, 1), (ce[b] - ce[a]) / count)
        out[a:b] = to_lufs(e)
    known = np.flatnonzero(~np.isnan(out))
    if len(known) == 0:
        return np.full(length, track.speech)
    # Hold the nearest measured level across gaps (np.interp holds the end values outside).
    idx = np.arange(length)
    return np.asarray(np.interp(idx, known, out[known]), dtype=np.float64)


def mix_energy(energies: Sequence[Floats], gains_db: Sequence[Floats], length: int) -> Floats:
    """Predicted K-weighted energy per sub-block of the sum of tracks at the given gains.

    Different speakers' signals are uncorrelated enough that energies add; the bleed that
    would correlate is gated down by then.
    """
    total = np.zeros(length)
    for e, g in zip(energies, gains_db, strict=True):
        n = min(length, len(e))
        total[:n] += e[:n] * 10 ** (g[:n] / 10)
    return total


def mix_peak(peaks: Sequence[Floats], gains_db: Sequence[Floats], length: int) -> Floats:
    """Predicted sample peak per sub-block of the mix: the largest track's (gated tracks are quiet)."""
    out = np.zeros(length)
    for p, g in zip(peaks, gains_db, strict=True):
        n = min(length, len(p))
        out[:n] = np.maximum(out[:n], p[:n] * 10 ** (g[:n] / 20))
    return out


# How much of a limited sub-block's energy the gain reduction reaches (0..1): the limiter
# pulls down a few ms around each peak and recovers over its release, so a 100 ms block is
# only partly turned down. Fitted on LJ Speech and the interview at -19 LUFS / -1.3 dBTP.
LIMITER_REACH = 0.5
TRUE_PEAK_OVER_SAMPLE = 1.05  # full-rate true peak over the 22 kHz sample peak, typical of speech


def limiter_loss(energy: Floats, peak: Floats, gain: float, ceiling: float) -> float:
    """Predicted loudness the limiter takes away (LU, >= 0) from a mix at linear ``gain``."""
    if len(energy) == 0:
        return 0.0
    over = np.maximum(peak * gain * TRUE_PEAK_OVER_SAMPLE, 1e-12)
    reduction = np.minimum(1.0, ceiling / over)
    before = integrated(energy)
    after = integrated(energy * reduction ** (2 * LIMITER_REACH))
    if before <= SILENT or after <= SILENT:
        return 0.0
    return max(0.0, before - after)


def db(x: float) -> float:
    return 20 * math.log10(max(x, 1e-12))
