"""Plausibility before work: audio that cannot be real is refused with one message before any stage
runs, and a stage that runs too long stops cleanly. The hostile files are made here, from a real clip."""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SHOW_TOML, data_file, episode_md
from toolkit.cli import cli


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def _wav(dest: Path, *extra: str) -> Path:
    _ffmpeg("-i", str(data_file("jfk.flac")), *extra, "-c:a", "pcm_s16le", str(dest))
    return dest


def _patch(path: Path, offset: int, value: int) -> None:
    """Overwrite one little-endian 32-bit field of a WAV header (the fmt chunk's, at the usual offsets)."""
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"fmt ", "ffmpeg's WAV header has moved"
    data[offset:offset + 4] = struct.pack("<I", value)
    path.write_bytes(bytes(data))


def _rate_of_one_hertz(folder: Path) -> None:  # the trial's runaway: 11 s that ffprobe says last 2 days
    path = _wav(folder / "speech.wav", "-ac", "1", "-ar", "16000")
    _patch(path, 24, 1)  # sample rate
    _patch(path, 28, 2)  # byte rate


def _flac_claims_days(folder: Path) -> None:  # STREAMINFO's total samples set to the most it can say
    data = bytearray(data_file("jfk.flac").read_bytes())
    assert data[:4] == b"fLaC"
    fields = int.from_bytes(data[18:26], "big")  # rate (20 bits), channels, bits per sample, total samples (36)
    data[18:26] = (fields | ((1 << 36) - 1)).to_bytes(8, "big")
    (folder / "speech.wav").write_bytes(bytes(data))  # the name does not matter to ffprobe


def _four_kilohertz(folder: Path) -> None:
    _wav(folder / "speech.wav", "-ar", "4000")


def _twelve_channels(folder: Path) -> None:
    pads = "".join(f"[a{i}]" for i in range(12))
    _wav(folder / "speech.wav", "-filter_complex", f"[0:a]pan=mono|c0=c0,asplit=12{pads};{pads}amerge=inputs=12")


CASES: list[tuple[str, Callable[[Path], None], str, str]] = [
    ("rate of 1 Hz", _rate_of_one_hertz, "", "a sample rate of 1 Hz cannot be a recording"),
    ("FLAC claims 18 days", _flac_claims_days, "", "the file says it lasts 432:51:05, but its 1,152,693 bytes hold"),
    ("4 kHz", _four_kilohertz, "", "a sample rate of 4000 Hz cannot be a recording"),
    ("12 channels", _twelve_channels, "", "12 channels: podkit takes 1 to 8"),
    ("longer than max_hours", lambda folder: None, "[build]\nmax_hours = 0.001\n",
     "the audio lasts 0:00:11, longer than the 0.001 hours podkit accepts"),
    ("stage past its budget", lambda folder: None, "[build]\nstage_budget = 0\nstage_budget_min = 0\n",
     "the master stage ran past its time budget of 0:00:00"),
]


@pytest.mark.parametrize(("name", "make", "toml", "what"), CASES, ids=[c[0] for c in CASES])
def test_implausible_audio_is_refused_before_work(make_show: Callable[..., Path], name: str,
                                                  make: Callable[[Path], None], toml: str, what: str) -> None:
    audio = "speech.wav" if toml == "" else "speech.flac"  # the settings' cases use the clip as it is
    root = make_show({"kennedy": episode_md(audio=audio)}, toml=SHOW_TOML + toml)
    make(root / "episodes" / "kennedy")
    result = CliRunner().invoke(cli, ["build", "--show", str(root)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.startswith("error")]
    assert len(lines) == 1, result.output
    assert "kennedy" in lines[0] and what in lines[0], lines[0]
    assert not (root / "public").exists()
    tmp = root / ".podkit" / ".tmp"
    assert not tmp.exists() or not list(tmp.iterdir())  # nothing half-made is left behind
    shutil.rmtree(root / ".podkit", ignore_errors=True)
