"""Short clips of the finished episode (its soundbites), as MP3s with a fade in and out.

pydub is the tool for clips this short: each is decoded alone (ffmpeg seeks to it; the episode is
never loaded whole), faded, and encoded. Made in the tag stage from the tagged MP3, so a clip is
exactly what the published episode plays at that moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toolkit.errors import MediaError

FADE_IN_MS, FADE_OUT_MS = 300, 1000
BITRATE = "64k"


def clip_name(number: int) -> str:
    """The file of the episode's ``number``-th soundbite (from 1) in the tag stage's folder."""
    return f"soundbite-{number}.mp3"


def cut(audio: Path, moments: Sequence[tuple[float, float]], folder: Path) -> list[Path]:
    """One faded MP3 in ``folder`` per (start, duration) in seconds of ``audio``."""
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    out = []
    for number, (start, duration) in enumerate(moments, 1):
        try:
            clip = AudioSegment.from_file(str(audio), start_second=start, duration=duration)
        except CouldntDecodeError as exc:
            raise MediaError(f"could not cut the soundbite at {start:.1f} s: {exc}", path=audio) from exc
        path = folder / clip_name(number)
        clip.fade_in(FADE_IN_MS).fade_out(FADE_OUT_MS).export(str(path), format="mp3", bitrate=BITRATE)
        out.append(path)
    return out
