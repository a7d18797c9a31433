"""ffmpeg pipes: decode any audio file to float32 chunks, encode float32 chunks to MP3.

A long programme never sits in memory whole: it flows through in chunks of about a second.
The encoder is fed from a thread so that numpy works on the next chunk while LAME (the
slowest step, on the other core) encodes this one.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Generator
from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import NDArray

from ..errors import MediaError, PodkitError

Audio = NDArray[np.float32]


def _ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        raise PodkitError("ffmpeg is not installed", hint="run scripts/bootstrap.sh, or install ffmpeg")
    return found


def _stderr_tail(handle: IO[bytes], lines: int = 4) -> str:
    handle.seek(0)
    text = handle.read().decode("utf-8", "replace")
    kept = [ln for ln in text.strip().splitlines() if ln.strip()][-lines:]
    return "\n    ".join(kept)


class Decoded:
    """What a finished decode found: frames read and ffmpeg's complaints, if any."""

    def __init__(self) -> None:
        self.frames = 0
        self.complaint = ""


def read_chunks(path: Path, *, rate: int, channels: int, chunk: int, start: float = 0.0,
                duration: float | None = None, result: Decoded | None = None) -> Generator[Audio, None, None]:
    """Yield (frames, channels) float32 chunks of ``path`` resampled to ``rate``.

    A decode error after some audio came through is not fatal (a truncated file: keep what is
    there); it is recorded in ``result.complaint`` for the caller to warn about. A decode that
    yields nothing at all raises `MediaError` naming the file.
    """
    result = result if result is not None else Decoded()
    cmd = [_ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error"]
    if start > 0:
        cmd += ["-ss", f"{start:.6f}"]
    cmd += ["-i", str(path)]
    if duration is not None:
        cmd += ["-t", f"{duration:.6f}"]
    # soxr is both faster and cleaner than swr's default resampler for these ratios.
    cmd += ["-vn", "-map", "0:a:0", "-ac", str(channels), "-af", f"aresample={rate}:resampler=soxr",
            "-f", "f32le", "-"]
    width = 4 * channels
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        try:
            leftover = b""
            while True:
                data = proc.stdout.read(chunk * width)
                if not data:
                    break
                data = leftover + data
                whole = len(data) // width * width
                leftover = data[whole:]
                if whole:
                    result.frames += whole // width
                    yield np.frombuffer(data[:whole], dtype="<f4").reshape(-1, channels)
        finally:
            proc.stdout.close()
            code = proc.wait()
        if code != 0 or err.tell() > 0:
            result.complaint = _stderr_tail(err)
        if code != 0 and result.frames == 0:
            raise MediaError(f"ffmpeg could not decode the audio: {result.complaint}", path=path,
                             hint="is the file complete and really audio?")


class Mp3Writer:
    """Encode float32 chunks to an MP3 through ffmpeg's libmp3lame, atomically.

    Audio goes to a temporary file next to ``out``; `close` renames it into place only when the
    encoder succeeded, so a crash or an error never leaves a partial MP3 behind.
    """

    def __init__(self, out: Path, *, rate: int, channels: int, bitrate: int) -> None:
        self.out = out
        self.channels = channels
        fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".mp3.part", dir=out.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the encoder)
        cmd = [_ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
               "-f", "f32le", "-ar", str(rate), "-ac", str(channels), "-i", "-",
               "-c:a", "libmp3lame", "-b:a", f"{bitrate}k", "-ar", str(rate),
               # Untagged on purpose: tags are a separate cheap step (toolkit.tags).
               "-map_metadata", "-1", "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", str(self.tmp)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._err)
        # Two chunks in flight is enough to keep LAME busy; more would only cost memory.
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            while (item := self._queue.get()) is not None:
                stdin.write(item)
        except BaseException as exc:  # a broken pipe: ffmpeg died; drain so put() never blocks
            self._failure = exc
            while self._queue.get() is not None:
                pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def write(self, chunk: NDArray[np.floating]) -> None:
        if len(chunk):
            self._queue.put(np.ascontiguousarray(chunk, dtype="<f4").tobytes())

    def close(self) -> None:
        """Finish the encode and move the file into place, or raise `MediaError` and clean up."""
        self._queue.put(None)
        self._thread.join()
        code = self._proc.wait()
        try:
            if code != 0 or self._failure is not None:
                raise MediaError(f"MP3 encoding failed: {_stderr_tail(self._err)}", path=self.out,
                                 hint="is there space on the disk, and is ffmpeg built with libmp3lame?")
            os.replace(self.tmp, self.out)
        finally:
            self._err.close()
            self.tmp.unlink(missing_ok=True)

    def abort(self) -> None:
        """Stop the encoder and remove the temporary file (after an error elsewhere)."""
        self._proc.kill()
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._proc.wait()
        self._err.close()
        self.tmp.unlink(missing_ok=True)
