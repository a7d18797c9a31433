"""The per-episode stages, in the order they run, and the one way every stage is run.

    master -> transcribe -> diarize -> content -> tag

Every stage has the same shape (`Stage`): a job of plain, serialisable inputs that it reads (made
here from the show, the episode and the earlier stages' results), the function that makes its
result into a folder, and a cache key. The key is the stage's name, the content of every source
file in the job, every setting in it, and either the stage's own version (master and transcribe,
too costly to redo after every change to podkit) or the digest of podkit's whole code (the
rest). A file an earlier stage made counts by the key of the entry it is in (`cache.Cache.key`).
A stage with nothing to do for an episode (diarize, for all but single-track episodes of two or
more people) makes no job: None, and it is skipped.

`run_episode` runs the stages of one episode through the cache; it takes plain arguments, so it
runs in this process, in a worker process, or on a cluster. Adding a stage means a module with
its job and its ``make``, and one line in `STAGES` with the function that makes its job.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit import media
from toolkit.audio import id3, master
from toolkit.build.cache import Cache
from toolkit.build.timing import Clock, StageTime, profiled
from toolkit.content import make as content
from toolkit.content import soundbites
from toolkit.errors import PodkitError
from toolkit.show import Chapter, Episode, Show
from toolkit.speech import diarize, transcribe
from toolkit.speech.transcript import Transcript

Progress = Callable[[float, float], None]  # (done, total) of one stage of one episode
Done = Mapping[str, Path]  # stage name -> the folder of its result, for the stages run so far


@dataclass(frozen=True)
class Stage:
    name: str  # its folder in the cache, and its name in progress and in `podkit build`'s summary
    job: Callable[[Show, Episode, Done], Any]  # the plain inputs it reads (a frozen dataclass), or None: skip it
    make: Callable[[Any, Path, Progress], None]  # makes its result into a fresh folder
    version: str | None = None  # None: keyed on podkit's code digest


def master_job(show: Show, ep: Episode, done: Done) -> master.MasterJob:
    s = ep.master
    return master.MasterJob(tuple(ep.tracks), s, (show.root / s.intro).resolve() if s.intro else None,
                            (show.root / s.outro).resolve() if s.outro else None)


def master_report(done: Done) -> master.MasterReport:
    return master.MasterReport.from_dict(json.loads((done["master"] / master.REPORT).read_text()))


def transcribe_job(show: Show, ep: Episode, done: Done) -> transcribe.TranscribeJob | transcribe.ImportedJob:
    report = master_report(done)
    if ep.transcript is not None:  # made elsewhere (`podkit import`): read, not transcribed
        return transcribe.ImportedJob(ep.transcript, round(report.duration, 3), round(report.timeline_shift, 4),
                                      show.info.language.split("-")[0].lower())
    # The people's names are vocabulary too: Whisper should spell them as the show does.
    vocabulary = tuple(dict.fromkeys([*ep.transcribe.vocabulary, *(p.name for p in ep.people)]))
    settings = dataclasses.replace(ep.transcribe, vocabulary=vocabulary)
    tracks = tuple(ep.tracks) if ep.multitrack else ()
    return transcribe.TranscribeJob(done["master"] / master.AUDIO, settings, round(report.duration, 3), tracks,
                                    round(report.timeline_shift, 4) if ep.multitrack else 0.0)


def diarize_job(show: Show, ep: Episode, done: Done) -> diarize.DiarizeJob | None:
    if not ep.diarized:
        return None
    shift = master_report(done).timeline_shift  # `at` is on the recording; the programme may start later
    seats = tuple(diarize.Seat(p.role, None if p.at is None else round(max(0.0, p.at + shift), 3)) for p in ep.people)
    speakers = None if ep.speakers == "auto" else (ep.speakers or len(ep.people))
    voice = (show.root / show.info.host_voice).resolve() if show.info.host_voice else None
    return diarize.DiarizeJob(done["master"] / master.AUDIO, done["transcribe"] / transcribe.TRANSCRIPT, seats,
                              speakers, voice)


def transcript_file(done: Done) -> Path:
    """The episode's final transcript: the diarize stage's when it ran, else the transcribe stage's."""
    return done.get("diarize", done["transcribe"]) / transcribe.TRANSCRIPT


def author_chapters(ep: Episode, report: master.MasterReport) -> tuple[Chapter, ...]:
    """The author's [[chapters]] on the programme's timeline: moved past any intro. A chapter that
    starts after the end of the programme is left out (`podkit check` names it): it points at nothing."""
    moved = (Chapter(max(0.0, c.start + report.timeline_shift), c.title) for c in ep.chapters)
    return tuple(c for c in moved if c.start < report.duration)


def content_job(show: Show, ep: Episode, done: Done) -> content.ContentJob:
    report = master_report(done)
    return content.ContentJob(transcript_file(done), tuple(sorted(ep.speaker_names().items())),
                              author_chapters(ep, report), round(report.duration, 3), ep.notes_settings,
                              show.episode_url(ep.slug))


def tag_job(show: Show, ep: Episode, done: Done) -> id3.TagJob:
    # The chapters the content stage settled on: some apps read only the MP3's CHAP frames.
    made = content.Content.load(done["content"])
    chapters = tuple(id3.Chapter(c.start, c.title) for c in made.chapters)
    duration = master_report(done).duration
    bites = tuple((b.start, b.duration) for b in soundbites.choose(made.derived.quotes, duration))
    info = id3.TagInfo(title=ep.title, artist=show.info.author, album=show.info.title, track=ep.number,
                       date=ep.date.date().isoformat(), comment=ep.description, cover=ep.image or show.artwork,
                       chapters=chapters)
    return id3.TagJob(done["master"] / master.AUDIO, info, duration, bites)


STAGES: tuple[Stage, ...] = (
    Stage("master", master_job, master.make, master.STAGE_VERSION),
    Stage("transcribe", transcribe_job, transcribe.make, transcribe.STAGE_VERSION),
    Stage("diarize", diarize_job, diarize.make, diarize.STAGE_VERSION),
    Stage("content", content_job, content.make),
    Stage("tag", tag_job, id3.make),
)


def _maker(stage: Stage, job: Any, progress: Progress) -> Callable[[Path], None]:
    return lambda folder: stage.make(job, folder, progress)


@dataclass(frozen=True)
class Processed:
    """An episode with the results of its stages."""

    episode: Episode
    done: dict[str, Path]  # stage name -> its result's folder in the cache
    ran: tuple[str, ...] = ()  # the stages that were not in the cache
    times: dict[str, StageTime] = dataclasses.field(default_factory=dict)  # of the stages in ``ran``

    @property
    def report(self) -> master.MasterReport:
        return master_report(self.done)

    @property
    def audio(self) -> Path:
        """The published MP3: the tag stage's."""
        return self.done["tag"] / id3.TAGGED

    @property
    def transcript(self) -> Transcript:
        """The transcript with speaker labels replaced by names (slow on long ones)."""
        return Transcript.load(transcript_file(self.done), self.episode.speaker_names())


def _budget(show: Show, ep: Episode, done: Done) -> float:
    """Seconds a stage of ``ep`` may work: [build] stage_budget per second of its audio, at least
    stage_budget_min. The audio's length is the master's, once there is one, else the tracks'."""
    seconds = master_report(done).duration if "master" in done else sum(media.probe(t).duration for t in ep.tracks)
    return max(show.build.stage_budget_min, show.build.stage_budget * seconds)


def run_episode(show: Show, ep: Episode, code: str, progress: Callable[[str, str, float, float], None] | None = None,
                *, lookup_only: bool = False, profile: Path | None = None) -> Processed | None:
    """Run the episode's stages through the cache. With ``lookup_only``, None if any stage is stale.

    Each stage that runs is timed (`Processed.times`); with ``profile`` (a folder), its cProfile
    statistics go to ``<profile>/<slug>.<stage>.pstats``.

    ``code`` is the digest of podkit's code (`cache.code_digest`), the version of the stages that have
    none of their own: the build's, so that a worker keys its results as the build looks them up."""
    cache = Cache(show.cache_dir)
    done: dict[str, Path] = {}
    ran: list[str] = []
    times: dict[str, StageTime] = {}
    for stage in STAGES:
        job = stage.job(show, ep, done)
        if job is None:
            continue
        key = cache.key(stage.name, stage.version or code, job)
        entry = cache.get(stage.name, key)
        if entry is None:
            if lookup_only:
                return None

            budget = _budget(show, ep, done)
            deadline = time.monotonic() + budget

            def tick(d: float, total: float, name: str = stage.name, deadline: float = deadline,
                     budget: float = budget) -> None:
                if time.monotonic() > deadline:  # checked as the stage reports progress, which it does often
                    raise PodkitError(f"the {name} stage ran past its time budget of {media.clock(budget)}",
                                      path=ep.source, hint="is the audio damaged? [build] stage_budget and "
                                      "stage_budget_min in podkit.toml allow more time")
                if progress is not None:
                    progress(ep.slug, name, d, total)

            clock = Clock()
            out = profile / f"{ep.slug}.{stage.name}.pstats" if profile is not None else None
            with clock.running():
                entry = profiled(out, functools.partial(cache.put, stage.name, key, _maker(stage, job, tick)))
            ran.append(stage.name)
            times[stage.name] = clock.time
        done[stage.name] = entry
    return Processed(ep, done, tuple(ran), times)


def entries(show: Show, ep: Episode, code: str) -> list[Path]:
    """The cache entries an episode's stages use as it is now, as far as they have been made."""
    cache = Cache(show.cache_dir)
    done: dict[str, Path] = {}
    for stage in STAGES:
        job = stage.job(show, ep, done)
        if job is None:  # a stage this episode does not have (diarize, for one track per speaker)
            continue
        entry = cache.get(stage.name, cache.key(stage.name, stage.version or code, job))
        if entry is None:
            break
        done[stage.name] = entry
    return list(done.values())
