"""A transcript someone else made (WebVTT, SRT or Podcast Index JSON) read into a `Transcript`.

An imported show usually has transcripts already; reading them is instant, where transcribing
again takes minutes per episode. These formats carry cues (a stretch of time and its text, and in
WebVTT ``<v Name>`` or JSON ``speaker`` the speaker's name) but no word timings, which podkit's
quotes, chapters and blog transcript are made of: each cue's time is shared out among its words in
proportion to their length, which puts every word within its cue and keeps their order.

The parsers are the well-kept ``webvtt-py`` and ``srt`` packages; Podcast Index JSON is plain JSON.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import PodkitError
from toolkit.speech.transcript import Segment, Transcript, Word

READER_VERSION = "1"  # bump when the same file would be read into a different transcript
ENGINE = "imported"  # Transcript.engine of an imported transcript, so a report can tell it apart
FORMATS = {".vtt": "vtt", ".srt": "srt", ".json": "json"}
MIME_FORMATS = {"text/vtt": "vtt", "application/x-subrip": "srt", "application/srt": "srt",
                "text/srt": "srt", "application/json": "json"}
_TIME_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})$")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: str | None = None


def _seconds(stamp: str) -> float:
    m = _TIME_RE.match(stamp.strip())
    if not m:
        raise ValueError(f"not a cue time: {stamp!r}")
    h, mnt, s, ms = m.groups()
    return int(h or 0) * 3600 + int(mnt) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _vtt(text: str) -> list[Cue]:
    import webvtt

    return [Cue(_seconds(c.start), _seconds(c.end), c.text, c.voice)
            for c in webvtt.from_buffer(io.StringIO(text)).captions]


def _srt(text: str) -> list[Cue]:
    import srt

    return [Cue(s.start.total_seconds(), s.end.total_seconds(), re.sub(r"<[^>]+>", "", s.content))
            for s in srt.parse(text)]


def _json(text: str) -> list[Cue]:
    data = json.loads(text)
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise ValueError('no "segments" list: not a Podcast Index JSON transcript')
    return [Cue(float(s["startTime"]), float(s["endTime"]), str(s.get("body", "")), s.get("speaker") or None)
            for s in segments]


READERS = {"vtt": _vtt, "srt": _srt, "json": _json}


def read_cues(path: Path) -> list[Cue]:
    """The cues of a transcript file, by its extension. Raises `PodkitError` naming the file."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise PodkitError(f"not a transcript format podkit reads: {path.suffix or 'no extension'}", path=path,
                          hint="WebVTT (.vtt), SRT (.srt) or Podcast Index JSON (.json)")
    try:
        cues = READERS[kind](path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise PodkitError(f"not a readable {kind.upper()} transcript: {exc}", path=path) from exc
    except Exception as exc:  # webvtt-py and srt raise their own error classes for malformed files
        raise PodkitError(f"not a readable {kind.upper()} transcript: {exc}", path=path) from exc
    cues = [c for c in cues if c.text.strip()]
    if not cues:
        raise PodkitError(f"the {kind.upper()} transcript has no text", path=path)
    return cues


def _words(cue: Cue, shift: float, duration: float) -> tuple[Word, ...]:
    tokens = cue.text.split()
    start, end = cue.start + shift, max(cue.end, cue.start) + shift
    total = sum(len(t) for t in tokens) or 1
    out, at = [], start
    for token in tokens:
        step = (end - start) * len(token) / total
        out.append(Word(round(max(0.0, min(at, duration)), 3), round(min(at + step, duration), 3), " " + token,
                        1.0, cue.speaker))
        at += step
    return tuple(out)


def read_transcript(path: Path, *, duration: float, shift: float = 0.0, language: str = "en") -> Transcript:
    """The transcript in ``path`` on the programme's timeline: times moved by ``shift`` (the master
    stage's intro and trim) and kept within ``duration``; cues that fall outside are dropped."""
    segments = []
    for cue in read_cues(path):
        if cue.start + shift >= duration or cue.end + shift <= 0:
            continue
        words = tuple(w for w in _words(cue, shift, duration) if w.end >= 0)
        if words:
            segments.append(Segment(max(0.0, words[0].start), words[-1].end, " " + " ".join(cue.text.split()),
                                    words, cue.speaker))
    return Transcript(language=language, duration=duration, segments=tuple(segments), engine=ENGINE,
                      model=path.suffix.lstrip(".").lower())
