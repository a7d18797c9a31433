"""The one place podkit talks to ffmpeg and ffprobe.

Every failure becomes a `MediaError` that names the file and quotes ffmpeg's own stderr,
so the user sees why a file could not be read.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import OS_HINTS, MediaError, PodkitError

if TYPE_CHECKING:
    import numpy as np


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise PodkitError(f"{name} is not installed", hint="run scripts/bootstrap.sh, or install ffmpeg")
    return found


def _tail(stderr: bytes | str, lines: int = 6, about: Path | str | None = None) -> str:
    """The last lines of ffmpeg's stderr, without the noise (the file's own path, decoder addresses)."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    if about is not None:
        text = text.replace(f"{about}: ", "")
    text = re.sub(r"\[[\w:-]+ @ 0x[0-9a-f]+\] ", "", text)
    kept = list(dict.fromkeys(ln.strip() for ln in text.splitlines() if ln.strip()))[-lines:]
    return "; ".join(kept)


def run_ffmpeg(args: Sequence[str], *, about: Path | str | None = None) -> bytes:
    """Run ffmpeg quietly; return its stdout. ``about`` is the file named in an error."""
    cmd = [_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", *args]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        said = _tail(proc.stderr, about=about)
        raise MediaError(f"ffmpeg failed: {said}", path=about,
                         hint=OS_HINTS[errno.ENOSPC] if "No space left on device" in said else None)
    return proc.stdout


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe says of a file's first audio stream."""

    duration: float
    sample_rate: int
    channels: int
    codec: str
    format: str


MIN_RATE, MAX_RATE, MAX_CHANNELS = 8000, 384000, 8
LOWEST_BITRATE = 500  # bits per second: below any speech codec (Opus goes to 6 kbit/s, Codec 2 to 700 bit/s)


def clock(seconds: float) -> str:
    """A duration as H:MM:SS."""
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


def probe(path: Path, *, max_duration: float | None = None) -> MediaInfo:
    """Describe an audio file, or raise `MediaError` saying why it is not one.

    What cannot be real is refused before any work, since a header that lies sends ffmpeg off to
    make hours of audio from seconds of data: a sample rate outside 8 to 384 kHz, more than 8
    channels, a duration the file's size cannot hold (uncompressed audio: by its frame size; any
    audio: at 500 bit/s, below every speech codec), or longer than ``max_duration`` seconds.
    """
    if not path.is_file():
        raise MediaError("audio file not found", path=path)
    if path.stat().st_size == 0:
        raise MediaError("audio file is empty (0 bytes)", path=path)
    cmd = [_tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
           "-show_streams", "-select_streams", "a:0", str(path)]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        raise MediaError(f"not a readable audio file ({_tail(proc.stderr, 2, path)})", path=path)
    data = json.loads(proc.stdout or b"{}")
    streams = data.get("streams") or []
    if not streams:
        raise MediaError("the file has no audio stream", path=path)
    stream, fmt = streams[0], data.get("format", {})
    duration = float(stream.get("duration") or fmt.get("duration") or 0.0)
    if duration <= 0:
        raise MediaError("the audio has no length (is it truncated?)", path=path)
    info = MediaInfo(duration=duration, sample_rate=int(stream.get("sample_rate") or 0),
                     channels=int(stream.get("channels") or 0), codec=str(stream.get("codec_name", "")),
                     format=str(fmt.get("format_name", "")))
    _plausible(path, info, int(stream.get("bits_per_sample") or 0), max_duration)
    return info


def _plausible(path: Path, info: MediaInfo, bits: int, max_duration: float | None) -> None:
    damaged = "the file's header may be damaged: export it again"
    if not MIN_RATE <= info.sample_rate <= MAX_RATE:
        raise MediaError(f"a sample rate of {info.sample_rate} Hz cannot be a recording "
                         f"(podkit takes {MIN_RATE // 1000} to {MAX_RATE // 1000} kHz)", path=path, hint=damaged)
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise MediaError(f"{info.channels} channels: podkit takes 1 to {MAX_CHANNELS}", path=path,
                         hint="mix it down to stereo or mono first" if info.channels > MAX_CHANNELS else damaged)
    size = path.stat().st_size
    holds = size * 8 / LOWEST_BITRATE
    if info.codec.startswith("pcm_") and bits > 0:  # uncompressed: the size says the duration exactly
        holds = size * 8 / (info.sample_rate * info.channels * bits)
    if info.duration > holds * 1.05 + 1:
        raise MediaError(f"the file says it lasts {clock(info.duration)}, but its {size:,} bytes hold at most "
                         f"{clock(holds)} of audio", path=path, hint=damaged)
    if max_duration is not None and info.duration > max_duration:
        raise MediaError(f"the audio lasts {clock(info.duration)}, longer than the {max_duration / 3600:g} hours "
                         "podkit accepts", path=path, hint="split it, or raise [build] max_hours in podkit.toml")


def decode(path: Path, *, rate: int, channels: int = 1) -> np.ndarray:
    """Decode a whole file to float32 samples, shape (frames, channels).

    For short material (clips, tests, analysis at a low rate); stream long programmes instead.
    """
    import numpy as np

    raw = run_ffmpeg(["-i", str(path), "-vn", "-ac", str(channels), "-ar", str(rate),
                      "-f", "f32le", "-"], about=path)
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels)


def decode_blocks(path: Path, *, rate: int, block: int) -> Iterator[np.ndarray]:
    """`decode` of a mono mix, the same samples, in blocks of ``block`` frames (the last one shorter):
    an hour at 16 kHz is 230 MB as one array, and reading it whole held twice that in pipe buffers."""
    import tempfile

    import numpy as np

    cmd = [_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path), "-vn", "-ac", "1",
           "-ar", str(rate), "-f", "f32le", "-"]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        try:
            while data := proc.stdout.read(4 * block):
                yield np.frombuffer(data[: len(data) // 4 * 4], dtype="<f4")
        finally:
            proc.stdout.close()
            if proc.wait() != 0 and proc.returncode > 0:
                err.seek(0)
                raise MediaError(f"ffmpeg failed: {_tail(err.read(), about=path)}", path=path)

