"""Transcript output formats: one writer per format, in a registry keyed by name.

Writers take a `Transcript` whose speakers are already display names (see
`Transcript.with_speakers`) and return the file's text. Each has a golden-file test.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

from toolkit.speech.shaping import Cue, Paragraph, cues, paragraphs
from toolkit.speech.transcript import Transcript

__all__ = ["FORMATS", "Format", "Paragraph", "paragraphs", "timestamp"]

VTT_LINE = 42  # a caption line that reads at a glance; well inside WebVTT's ~65
SRT_LINE = 32  # subtitle practice for SRT: 2 lines of 32


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    mime: str
    write: Callable[[Transcript], str]


def _clock(seconds: float, sep: str) -> str:
    ms = round(seconds * 1000) if seconds > 0 else 0
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return "%02d:%02d:%02d%s%03d" % (h, m, s, sep, ms)  # noqa: UP031 (twice as fast as the f-string)


def timestamp(seconds: float) -> str:
    """A reader's timestamp: 4:05, or 1:02:03 past the hour."""
    total = int(max(0.0, seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _timed_cues(t: Transcript, width: int) -> list[tuple[Cue, float]]:
    """Each cue with its end: players show one cue at a time, so none ends after the next one starts."""
    out = cues(t, line_chars=width, lines=2)
    ends = [min(c.end, later.start) for c, later in itertools.pairwise(out)]
    return list(zip(out, [*ends, out[-1].end] if out else [], strict=True))


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_vtt(t: Transcript) -> str:
    """WebVTT with ``<v Name>`` voice spans (Apple reads speakers from them)."""
    blocks = ["WEBVTT"]
    for i, (c, end) in enumerate(_timed_cues(t, VTT_LINE), 1):
        text = _vtt_escape("\n".join(c.lines))
        if c.speaker:
            text = f"<v {_vtt_escape(c.speaker)}>{text}</v>"
        blocks.append(f"{i}\n{_clock(c.start, '.')} --> {_clock(end, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def write_srt(t: Transcript) -> str:
    """SubRip: the format has no speakers."""
    blocks = [f"{i}\n{_clock(c.start, ',')} --> {_clock(end, ',')}\n" + "\n".join(c.lines)
              for i, (c, end) in enumerate(_timed_cues(t, SRT_LINE), 1)]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def write_json(t: Transcript) -> str:
    """Podcast Index transcript JSON, one entry per segment (sentence or phrase)."""
    segments = []
    for s in t.segments:
        entry: dict[str, object] = {}
        if s.speaker:
            entry["speaker"] = s.speaker
        entry.update(startTime=round(s.start, 3), endTime=round(s.end, 3), body=s.text.strip())
        segments.append(entry)
    return json.dumps({"version": "1.0.0", "segments": segments}, ensure_ascii=False, indent=2) + "\n"


def write_html(t: Transcript) -> str:
    """An HTML fragment for the site: a paragraph per turn, with its speaker and start time."""
    out = ['<div class="transcript">']
    for p in paragraphs(t):
        who = f'<cite>{html.escape(p.speaker)}</cite> ' if p.speaker else ""
        when = f'<time datetime="PT{p.start:.2f}S">{timestamp(p.start)}</time>'
        out.append(f'<p data-start="{p.start:.2f}">{who}{when} {html.escape(p.text)}</p>')
    out.append("</div>")
    return "\n".join(out) + "\n"


def write_txt(t: Transcript) -> str:
    """Plain text: paragraphs, each led by its speaker's name when known."""
    paras = [f"{p.speaker}: {p.text}" if p.speaker else p.text for p in paragraphs(t)]
    return "\n\n".join(paras) + "\n" if paras else ""


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("vtt", "vtt", "text/vtt", write_vtt),
    Format("srt", "srt", "application/x-subrip", write_srt),
    Format("json", "json", "application/json", write_json),
    Format("html", "html", "text/html", write_html),
    Format("txt", "txt", "text/plain", write_txt),
)}
