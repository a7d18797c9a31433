"""The diarize stage: who said each word of a single-track episode with two or more people.

It runs after transcription, on the same mastered programme, and writes the transcript again
with each word's speaker set: the index of the person in the episode's [[people]] ("0", "1",
...), like a multi-track episode's track labels, so renaming a person re-makes nothing here.
A multi-track episode is never diarized: its tracks already tell who speaks.

Which voice is whom, in this order:

1. a person with ``at = "M:SS"`` is whoever speaks at that moment of the recording;
2. with ``[show] host_voice``, the host is the speaker whose voice is most like that clip's;
3. the rest in order of first appearance: the first to speak is the host (the first person with
   role "host"), then the others in the order of [[people]].

More voices than people (``speakers = "auto"``) are named "Speaker 3", "Speaker 4", ...
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from toolkit import media
from toolkit.speech.diarizer import Diarization, SpeakerTurn
from toolkit.speech.diarizers import get_diarizer
from toolkit.speech.engine import SAMPLE_RATE
from toolkit.speech.shaping import resegment
from toolkit.speech.transcribe import TRANSCRIPT, load_audio
from toolkit.speech.transcript import Transcript, Word

# Bump whenever the same input and settings would give different speakers.
STAGE_VERSION = "1"


@dataclass(frozen=True)
class Seat:
    """One of the episode's [[people]] as diarization sees them: their role and, if the author
    pinned them, a moment (programme seconds) when they speak."""

    role: str
    at: float | None = None


@dataclass(frozen=True)
class DiarizeJob:
    """What the diarize stage reads: the mastered programme, its transcript, the people, how many
    voices to look for (None: estimate), and optionally a clip of the host's voice."""

    audio: Path
    transcript: Path
    people: tuple[Seat, ...]
    speakers: int | None
    host_voice: Path | None = None
    diarizer: str = "resemblyzer"


def speaker_at(turns: Sequence[SpeakerTurn], t: float) -> int | None:
    """The speaker of the turn at time ``t``, or of the nearest turn."""
    if not turns:
        return None
    return min(turns, key=lambda u: (0.0 if u.start <= t <= u.end else min(abs(u.start - t), abs(u.end - t)),
                                     u.start)).speaker


def names(diarization: Diarization, people: Sequence[Seat], host_voice: np.ndarray | None = None) -> dict[int, str]:
    """Each speaker of ``diarization`` -> its label: a person's index in ``people`` as a string (see
    the module's docstring for the order of the rules), or "Speaker N" for a voice nobody was given."""
    who: dict[int, int] = {}  # speaker -> person
    for i, seat in enumerate(people):
        if seat.at is not None:
            s = speaker_at(diarization.turns, seat.at)
            if s is not None and s not in who:
                who[s] = i
    hosts = [i for i, seat in enumerate(people) if seat.role == "host" and i not in who.values()]
    free = [s for s in range(diarization.speakers) if s not in who]
    if host_voice is not None and hosts and free:
        sims = diarization.voices[free] @ host_voice
        who[free[int(np.argmax(sims))]] = hosts[0]
    first: dict[int, float] = {}
    for u in diarization.turns:
        first.setdefault(u.speaker, u.start)
    waiting = sorted((s for s in range(diarization.speakers) if s not in who), key=lambda s: first.get(s, np.inf))
    rest = [i for i, seat in enumerate(people) if seat.role == "host" and i not in who.values()]
    rest += [i for i, seat in enumerate(people) if seat.role != "host" and i not in who.values()]
    for s, i in zip(waiting, rest, strict=False):
        who[s] = i
    return {s: str(who[s]) if s in who else f"Speaker {s + 1}" for s in range(diarization.speakers)}


def attribute(words: Sequence[Word], turns: Sequence[SpeakerTurn], labels: dict[int, str]) -> list[Word]:
    """``words`` with ``speaker`` set: the label of the turn that overlaps the word most, or of the
    nearest turn for a word in no turn."""
    if not turns:
        return list(words)
    starts = [u.start for u in turns]
    out = []
    for w in words:
        i = bisect.bisect_right(starts, w.end)
        best, overlap = None, 0.0
        j = i - 1
        while j >= 0 and turns[j].end > w.start:
            o = min(turns[j].end, w.end) - max(turns[j].start, w.start)
            if o > overlap:
                best, overlap = turns[j], o
            j -= 1
        if best is None:
            near = [turns[k] for k in (i - 1, i) if 0 <= k < len(turns)]
            best = min(near, key=lambda u: min(abs(u.start - w.end), abs(w.start - u.end)))
        out.append(replace(w, speaker=labels[best.speaker]))
    return out


def speech(words: Sequence[Word]) -> list[tuple[float, float]]:
    """Where there is speech: the words' own spans (Whisper's VAD and timings already found it)."""
    return [(w.start, w.end) for w in words if w.end > w.start]


def diarize(job: DiarizeJob, transcript: Transcript, progress: Callable[[float], None] | None = None) -> Transcript:
    """``transcript`` with every word's speaker set (see the module's docstring)."""
    samples = load_audio(job.audio)
    diarizer = get_diarizer(job.diarizer)
    words = transcript.words
    result = diarizer.diarize(samples, speech(words), job.speakers, progress)
    if not result.turns:  # no speech long enough to tell voices apart: who speaks stays as transcribed
        return replace(transcript, extra={**transcript.extra, "diarizer": diarizer.name, "speakers": 0})
    host = None
    if job.host_voice is not None:
        host = diarizer.voice(media.decode(job.host_voice, rate=SAMPLE_RATE)[:, 0])
    labels = names(result, job.people, host)
    extra = {**transcript.extra, "diarizer": diarizer.name, "speakers": result.speakers}
    return replace(transcript, segments=resegment(attribute(words, result.turns, labels)), extra=extra)


def make(job: DiarizeJob, folder: Path, progress: Callable[[float, float], None]) -> None:
    """The diarize stage: ``folder`` gets the transcript with speakers (`TRANSCRIPT`)."""
    transcript = Transcript.from_dict(json.loads(job.transcript.read_text(encoding="utf-8")))
    result = diarize(job, transcript, lambda share: progress(share, 1.0))
    progress(1.0, 1.0)
    (folder / TRANSCRIPT).write_text(json.dumps(result.to_dict()))
