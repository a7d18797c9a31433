"""ID3 tags for a finished episode: text frames, cover art, chapters (CHAP + CTOC).

A separate, cheap step on purpose: editing a title rewrites the tag, never the audio.

Written as ID3v2.3, not 2.4: Apple Podcasts has been seen to drop ID3v2.4 chapter lists with
long titles (radio-t/radio-t-site#211 fixed theirs by moving to 2.3), and Windows Explorer
shows cover art from 2.3 tags only. Chapter frames exist in both versions alike.
"""

from __future__ import annotations

import mimetypes
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mutagen.id3

from toolkit.errors import MediaError

# mutagen's frame classes build their constructors at runtime, so mypy sees them untyped;
# going through Any here keeps the rest of this module strictly checked.
id3: Any = mutagen.id3


COVER_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


@dataclass(frozen=True)
class Chapter:
    """A chapter of the finished episode; times in seconds of the programme (after intro/trim)."""

    start: float
    title: str
    end: float | None = None  # None: until the next chapter starts (or the episode ends)


@dataclass(frozen=True)
class TagInfo:
    title: str
    artist: str               # the show's author
    album: str                # the show's title
    track: int | None
    date: str                 # ISO date, e.g. 2024-05-01
    comment: str
    cover: Path | None        # episode image, else the show's artwork (the caller decides)
    chapters: tuple[Chapter, ...] = ()


def _cover_mime(path: Path) -> str:
    head = path.read_bytes()[:8]
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8"):
        return "image/jpeg"
    guess = COVER_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    raise MediaError(f"cover art must be a JPEG or PNG image (found {guess or 'something else'})",
                     path=path, hint="convert it to .jpg or .png")


def _chapter_frames(chapters: tuple[Chapter, ...], duration: float) -> list[Any]:
    ordered = sorted(chapters, key=lambda c: c.start)
    total_ms = max(0, round(duration * 1000))
    frames: list[Any] = []
    ids = []
    for i, ch in enumerate(ordered):
        start = min(total_ms, max(0, round(ch.start * 1000)))
        if ch.end is not None:
            end = round(ch.end * 1000)
        elif i + 1 < len(ordered):
            end = round(ordered[i + 1].start * 1000)
        else:
            end = total_ms
        end = min(total_ms, max(start, end))
        # Zero-padded: frames are written in the order of their keys, so "chp10" must not sort before "chp2".
        element = f"chp{i:03d}"
        ids.append(element)
        # Byte offsets 0xFFFFFFFF mean "not given": players seek by time.
        frames.append(id3.CHAP(element_id=element, start_time=start, end_time=end,
                           start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                           sub_frames=[id3.TIT2(encoding=3, text=[ch.title])]))
    if ids:
        # Apple Podcasts wants the table of contents to carry a title of its own (atldotnet#23).
        frames.insert(0, id3.CTOC(element_id="toc", flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                              child_element_ids=ids,
                              sub_frames=[id3.TIT2(encoding=3, text=["Table of Contents"])]))
    return frames


def write_tags(mp3: Path, info: TagInfo, duration: float) -> None:
    """Replace the ID3 tag of ``mp3`` with one built from ``info`` (ID3v2.3, see module doc)."""
    if not mp3.is_file():
        raise MediaError("cannot tag: the MP3 does not exist", path=mp3, hint="master the episode first")
    try:
        tag = id3.ID3(mp3)
        tag.clear()
    except id3.ID3NoHeaderError:
        tag = id3.ID3()
    # Encoding 1 (UTF-16 with BOM) is the one Unicode text encoding ID3v2.3 has.
    tag.add(id3.TIT2(encoding=1, text=[info.title]))
    tag.add(id3.TPE1(encoding=1, text=[info.artist]))
    tag.add(id3.TALB(encoding=1, text=[info.album]))
    if info.track is not None:
        tag.add(id3.TRCK(encoding=1, text=[str(info.track)]))
    if info.date:
        tag.add(id3.TDRC(encoding=1, text=[info.date]))  # TYER/TDAT in v2.3 (update_to_v23 below)
    if info.comment:
        tag.add(id3.COMM(encoding=1, lang="eng", desc="", text=[info.comment]))
    if info.cover is not None:
        if not info.cover.is_file():
            raise MediaError("cover art not found", path=info.cover, hint="check the image path")
        tag.add(id3.APIC(encoding=0, mime=_cover_mime(info.cover), type=id3.PictureType.COVER_FRONT,
                     desc="", data=info.cover.read_bytes()))
    for frame in _chapter_frames(info.chapters, duration):
        # Sub-frames inside CHAP/CTOC must use v2.3 encodings too.
        for sub in frame.sub_frames.values():
            sub.encoding = 1
        tag.add(frame)
    # TDRC is a v2.4 frame: saving as v2.3 keeps it unless the tag is converted first (to TYER + TDAT).
    tag.update_to_v23()
    try:
        tag.save(mp3, v2_version=3, v1=0)
    except OSError as exc:
        raise MediaError(f"could not write the ID3 tag: {exc}", path=mp3, hint="is the file writable?") from exc


TAGGED = "episode.mp3"  # the tag stage's result: the programme as published


@dataclass(frozen=True)
class TagJob:
    """What the tag stage reads: the mastered programme, what its tags say, and its length."""

    audio: Path
    info: TagInfo
    duration: float
    soundbites: tuple[tuple[float, float], ...] = ()  # (start, duration) of each clip to cut


def make(job: TagJob, folder: Path, progress: Callable[[float, float], None]) -> None:
    """The tag stage: a tagged copy of the programme (kept apart from mastering, so that a title edit
    never masters again), and its soundbites as clips (`clips.clip_name`) beside it."""
    from toolkit.audio.clips import cut

    out = folder / TAGGED
    shutil.copyfile(job.audio, out)
    write_tags(out, job.info, job.duration)
    cut(out, job.soundbites, folder)
