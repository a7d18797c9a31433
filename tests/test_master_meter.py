"""The independent meter the master tests measure with: ffmpeg's ebur128 filter, not our code.

Also small helpers that make test inputs with ffmpeg (silence, other rates and formats).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import data_file


@dataclass(frozen=True)
class Measured:
    integrated: float  # LUFS
    lra: float         # LU
    true_peak: float   # dBTP


def ebur128(path: Path, start: float | None = None, duration: float | None = None) -> Measured:
    """Loudness of ``path`` (or of a span of it) by ffmpeg's ebur128=peak=true."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats"]
    if start is not None:
        cmd += ["-ss", f"{start:.3f}"]
    if duration is not None:
        cmd += ["-t", f"{duration:.3f}"]
    cmd += ["-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    summary = err[err.rfind("Summary:"):]

    def field(name: str, unit: str) -> float:
        m = re.search(rf"{name}:\s+(-?[\d.]+|-inf)\s+{unit}", summary)
        assert m, f"no {name} in ebur128 summary:\n{summary}"
        return float(m.group(1))

    return Measured(field("I", "LUFS"), field("LRA", "LU"), field("Peak", "dBFS"))


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, capture_output=True)


def ffprobe_stream(path: Path, entry: str) -> str:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                          f"stream={entry}", "-of", "default=nw=1:nk=1", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return out.strip()


def test_meter_reads_a_known_recording() -> None:
    # JFK's clip is a loud broadcast transfer; ebur128 puts it near -12.5 LUFS.
    m = ebur128(data_file("jfk.flac"))
    assert -14.0 < m.integrated < -11.0
    assert m.true_peak < 0.5


def test_meter_reads_a_span() -> None:
    whole = ebur128(data_file("jfk.flac"))
    part = ebur128(data_file("jfk.flac"), start=1.0, duration=4.0)
    assert part.integrated != pytest.approx(whole.integrated, abs=0.01) or part.lra != whole.lra
