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
from collections.abc import Callable, Generator
from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import NDArray

from toolkit.errors import MediaError, PodkitError

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


# Frames a decoder of a bare MP3 stream (no LAME tag to say how much to trim) puts before the
# first encoded sample: LAME's encoder delay (576) plus the decoder's (529). Measured the same at
# every MP3 rate and channel count; tests/test_master_meter.py keeps it honest.
MP3_DELAY = 1105


def _tee_target(path: Path) -> str:
    """``path`` as an output of ffmpeg's tee muxer: a plain file, its special characters escaped."""
    text = str(path.resolve())
    for ch in "\\'|[]":
        text = text.replace(ch, "\\" + ch)
    return "file:" + text


class Mp3Writer:
    """Encode float32 chunks to an MP3 through ffmpeg's libmp3lame, atomically.

    Audio goes to a temporary file next to ``out``; `close` renames it into place only when the
    encoder succeeded, so a crash or an error never leaves a partial MP3 behind.

    With a ``monitor``, the encoded stream is also decoded again as it is written (ffmpeg's tee
    muxer sends the same MP3 frames to the file and to a second ffmpeg) and ``monitor`` gets the
    decoded samples, exactly those a player decodes from the file, from a thread of its own: the
    check of what we ship runs alongside the encode instead of after it.
    """

    def __init__(self, out: Path, *, rate: int, channels: int, bitrate: int,
                 monitor: Callable[[Audio], None] | None = None) -> None:
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
               "-map_metadata", "-1"]
        if monitor is None:
            cmd += ["-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", str(self.tmp)]
        else:
            # The file gets the Xing/LAME frame (the tee output is seekable; the file is
            # byte-identical to a direct encode); the pipe gets bare frames, hence MP3_DELAY.
            cmd += ["-map", "0:a", "-f", "tee",
                    f"[f=mp3:id3v2_version=0:write_xing=1]{_tee_target(self.tmp)}|[f=mp3:id3v2_version=0]pipe:1"]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._err,
                                      stdout=None if monitor is None else subprocess.PIPE)
        self._written = 0     # frames handed to the encoder so far
        self._check: subprocess.Popen[bytes] | None = None
        self._check_err: IO[bytes] | None = None
        self._watcher: threading.Thread | None = None
        self._monitor_failure: BaseException | None = None
        if monitor is not None:
            assert self._proc.stdout is not None
            self._check_err = tempfile.TemporaryFile()  # noqa: SIM115 (as long as the decoder)
            self._check = subprocess.Popen(
                [_ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "mp3", "-i", "pipe:0",
                 "-f", "f32le", "-"], stdin=self._proc.stdout, stdout=subprocess.PIPE, stderr=self._check_err)
            self._proc.stdout.close()  # the decoder holds it now; the encoder sees it go away if it dies
            self._watcher = threading.Thread(target=self._watch, args=(monitor,), daemon=True)
            self._watcher.start()
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

    def _watch(self, monitor: Callable[[Audio], None]) -> None:
        """Feed the decoded check to ``monitor``: drop the decoder's delay and the encoder's padding."""
        assert self._check is not None and self._check.stdout is not None
        width = 4 * self.channels
        skip = MP3_DELAY
        seen = 0
        leftover = b""
        while data := self._check.stdout.read(1 << 18):
            if self._monitor_failure is not None:
                continue  # keep draining, or the encoder would stall on a full pipe
            data = leftover + data
            whole = len(data) // width * width
            leftover = data[whole:]
            x = np.frombuffer(data[:whole], dtype="<f4").reshape(-1, self.channels)
            cut = min(skip, len(x))
            skip -= cut
            # A frame decodes only after the encoder had it, so _written already counts it; the
            # padding LAME adds after the last frame is beyond it.
            x = x[cut: cut + max(0, self._written - seen)]
            seen += len(x)
            if len(x):
                try:
                    monitor(x)
                except BaseException as exc:
                    self._monitor_failure = exc

    def write(self, chunk: NDArray[np.floating]) -> None:
        if len(chunk):
            self._written += len(chunk)
            self._queue.put(np.ascontiguousarray(chunk, dtype="<f4").tobytes())

    def close(self) -> None:
        """Finish the encode and move the file into place, or raise `MediaError` and clean up."""
        self._queue.put(None)
        self._thread.join()
        code = self._proc.wait()
        check = 0
        if self._check is not None and self._watcher is not None:
            self._watcher.join()
            check = self._check.wait()
        try:
            if code != 0 or self._failure is not None:
                raise MediaError(f"MP3 encoding failed: {_stderr_tail(self._err)}", path=self.out,
                                 hint="is there space on the disk, and is ffmpeg built with libmp3lame?")
            if self._monitor_failure is not None:
                raise self._monitor_failure
            if check != 0 and self._check_err is not None:
                raise MediaError(f"decoding the MP3 for the check failed: {_stderr_tail(self._check_err)}",
                                 path=self.out, hint="is ffmpeg built with an MP3 decoder?")
            os.replace(self.tmp, self.out)
        finally:
            self._close_files()
            self.tmp.unlink(missing_ok=True)

    def abort(self) -> None:
        """Stop the encoder and remove the temporary file (after an error elsewhere)."""
        self._proc.kill()
        if self._check is not None:
            self._check.kill()
        self._queue.put(None)
        self._thread.join(timeout=5)
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self._proc.wait()
        if self._check is not None:
            self._check.wait()
        self._close_files()
        self.tmp.unlink(missing_ok=True)

    def _close_files(self) -> None:
        self._err.close()
        if self._check_err is not None:
            self._check_err.close()
        if self._check is not None and self._check.stdout is not None:
            self._check.stdout.close()
