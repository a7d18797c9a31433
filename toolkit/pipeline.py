"""The per-episode stages and the order they run in.

    load show -> master audio -> transcribe -> writeup -> tag -> render site + feeds -> publish

Each expensive stage is a function of plain, serialisable inputs (`EpisodeJob`) whose
result lives in the content-addressed cache, so the same function can run in a worker
process here or on a cluster later. The parent process only looks results up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import queue
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from . import master as mastering
from . import tags as tagging
from . import transcribe as transcribing
from . import uptodate, writeup
from .cache import Cache, atomic_write, code_digest, stage_key
from .memo import Memo
from .show import GUID_FILE, Chapter, Episode, Show, load_show
from .transcript import Transcript
from .uptodate import STAMP
from .views import EpisodeView, Site, episode_digest, newest_first
from .writer import Writer, recover
from .writeup import Writeup, WriteupJob


class Reporter(Protocol):
    """What the pipeline tells the person waiting: the CLI draws it, tests count it."""

    def stage(self, slug: str, stage: str, done: float, total: float) -> None: ...
    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...


class Quiet:
    def stage(self, slug: str, stage: str, done: float, total: float) -> None:
        pass

    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


@dataclass(frozen=True)
class EpisodeJob:
    """Everything the master and transcribe stages need, as plain data."""

    slug: str
    tracks: tuple[str, ...]
    multitrack: bool
    master: mastering.MasterSettings
    transcribe: transcribing.TranscribeSettings
    cache_root: str

    def master_key(self) -> str:
        s = self.master
        extra = {k: Path(v) for k, v in (("intro", s.intro), ("outro", s.outro)) if v}
        return stage_key("master", mastering.STAGE_VERSION,
                         {"tracks": [Path(t) for t in self.tracks], "settings": s, **extra})

    def transcribe_key(self, mastered: Path, shift: float) -> str:
        return stage_key("transcribe", transcribing.STAGE_VERSION, {
            "audio": mastered, "settings": self.transcribe,
            "tracks": [Path(t) for t in self.tracks] if self.multitrack else [],
            "shift": round(shift, 4) if self.multitrack else 0.0,
        })


@dataclass(frozen=True)
class EpisodeResult:
    slug: str
    audio: str  # the mastered, untagged MP3 in the cache
    report: dict[str, Any]
    transcript: str  # transcript.json in the cache (read only by the stages that need the words)
    ran: tuple[str, ...] = ()
    transcript_key: str = ""  # the transcript's cache key: its identity, without hashing its words


Progress = Callable[[str, str, float, float], None]


def run_job(job: EpisodeJob, progress: Progress | None = None, lookup_only: bool = False) -> EpisodeResult | None:
    """Master then transcribe one episode, through the cache. With ``lookup_only``, None if anything is stale."""
    cache = Cache(Path(job.cache_root))
    ran: list[str] = []

    def report(stage: str) -> Callable[[float, float], None]:
        return lambda done, total: progress(job.slug, stage, done, total) if progress else None

    key = job.master_key()
    entry = cache.get("master", key)
    if entry is None:
        if lookup_only:
            return None
        tick = report("master")

        def do_master(folder: Path) -> None:
            rep = mastering.master([Path(t) for t in job.tracks], folder / "audio.mp3", job.master,
                                   progress=lambda f: tick(f, 1.0))
            (folder / "report.json").write_text(json.dumps(rep.to_dict()))

        entry = cache.put("master", key, do_master)
        ran.append("master")
    audio = entry / "audio.mp3"
    report_data = json.loads((entry / "report.json").read_text())
    shift = float(report_data.get("timeline_shift", 0.0))

    key = job.transcribe_key(audio, shift)
    entry = cache.get("transcribe", key)
    if entry is None:
        if lookup_only:
            return None
        duration = float(report_data.get("duration", 0.0)) or 1.0
        tick = report("transcribe")

        def do_transcribe(folder: Path) -> None:
            tracks = [Path(t) for t in job.tracks] if job.multitrack else []
            result = transcribing.transcribe(audio, job.transcribe, tracks=tracks, timeline_shift=shift,
                                             progress=lambda s: tick(s, duration))
            (folder / "transcript.json").write_text(json.dumps(result.to_dict()))

        entry = cache.put("transcribe", key, do_transcribe)
        ran.append("transcribe")
    return EpisodeResult(job.slug, str(audio), report_data, str(entry / "transcript.json"), tuple(ran), key)


def _worker(job: EpisodeJob, events: Any) -> EpisodeResult:
    def progress(slug: str, stage: str, done: float, total: float) -> None:
        events.put((slug, stage, done, total))

    result = run_job(job, progress)
    assert result is not None
    return result


@dataclass
class Processed:
    """An episode with its mastered audio and transcript, and (after `write_up`) its writeup."""

    episode: Episode
    audio: Path
    report: mastering.MasterReport
    transcript_path: Path  # transcript.json in the cache; `transcript` reads it when asked
    transcript_key: str = ""
    writeup: Writeup | None = None

    @property
    def transcript(self) -> Transcript:
        """The transcript with speaker labels replaced by names (read from the cache: slow on long ones)."""
        return Transcript.load(self.transcript_path, self.episode.speaker_names())


@dataclass
class Run:
    """What a pipeline run did: stages run (a no-op build runs none) and what was built."""

    ran: Counter[str] = field(default_factory=Counter)
    processed: list[Processed] = field(default_factory=list)  # not those a build took from its memo
    published: bool = False


def job_for(show: Show, ep: Episode) -> EpisodeJob:
    m = ep.master
    resolved = dataclasses.replace(
        m, intro=str((show.root / m.intro).resolve()) if m.intro else None,
        outro=str((show.root / m.outro).resolve()) if m.outro else None)
    names = [p.name for p in ep.people]
    vocabulary = tuple(dict.fromkeys([*ep.transcribe.vocabulary, *names]))
    return EpisodeJob(ep.slug, tuple(str(t) for t in ep.tracks), ep.multitrack, resolved,
                      dataclasses.replace(ep.transcribe, vocabulary=vocabulary), str(show.cache_dir))


def process(show: Show, slugs: Sequence[str] | None = None, *, reporter: Reporter | None = None,
            run: Run | None = None) -> Run:
    """Master and transcribe the given episodes (None: all), running only what is stale."""
    reporter = reporter or Quiet()
    run = run or Run()
    episodes = [show.episode(s) for s in slugs] if slugs is not None else list(show.episodes)
    jobs = {ep.slug: job_for(show, ep) for ep in episodes}
    results: dict[str, EpisodeResult] = {}
    stale: list[EpisodeJob] = []
    for slug, job in jobs.items():
        found = run_job(job, lookup_only=True)
        if found is None:
            stale.append(job)
        else:
            results[slug] = found
    # Longest first keeps both workers busy to the end.
    stale.sort(key=lambda j: -sum(Path(t).stat().st_size for t in j.tracks))
    for result in _run_stale(stale, show.build.jobs, reporter):
        results[result.slug] = result
        run.ran.update(result.ran)
    Cache(show.cache_dir).save_hashes()
    for ep in episodes:
        res = results[ep.slug]
        rep = mastering.MasterReport.from_dict(res.report)
        for w in rep.warnings:
            reporter.warn(f"{ep.slug}: {w}")
        run.processed.append(Processed(ep, Path(res.audio), rep, Path(res.transcript), res.transcript_key))
    return run


def _run_stale(jobs: list[EpisodeJob], workers: int, reporter: Reporter) -> Iterable[EpisodeResult]:
    if len(jobs) <= 1 or workers <= 1:
        for job in jobs:
            result = run_job(job, reporter.stage)
            assert result is not None
            yield result
        return
    ctx = get_context("spawn")  # a fresh interpreter: no inherited threads or model state
    with ctx.Manager() as manager:
        events = manager.Queue()
        stop = threading.Event()

        def pump() -> None:
            while not stop.is_set():
                try:
                    reporter.stage(*events.get(timeout=0.2))
                except queue.Empty:
                    continue

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        try:
            with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
                futures = [pool.submit(_worker, job, events) for job in jobs]
                for fut in futures:
                    yield fut.result()
        finally:
            stop.set()
            thread.join()


def ensure_guid(ep: Episode) -> str:
    """The episode's permanent guid, written next to its sources on first build."""
    if ep.guid:
        return ep.guid
    guid = str(uuid.uuid4())
    atomic_write(ep.folder / GUID_FILE, (guid + "\n").encode())
    return guid


SHOW_TABLE_RE = re.compile(r"^[ \t]*\[[ \t]*show[ \t]*\][ \t]*(#.*)?$", re.M)


def ensure_podcast_guid(show: Show, reporter: Reporter) -> Show:
    """The show with its podcast:guid: computed from the feed URL once, then kept in podkit.toml for good.

    The guid is written as one new line under ``[show]`` (plain text editing, not a TOML
    round-trip), so the author's comments and layout stay exactly as they were. Once stored it
    is never recomputed, so the show keeps its identity when the feed URL changes.
    """
    from .feed import FEED_PATH, podcast_guid

    if show.info.guid:
        return show
    guid = podcast_guid(show.info.base_url + FEED_PATH)
    text = show.config_path.read_text(encoding="utf-8")
    m = SHOW_TABLE_RE.search(text)
    if m is None:
        reporter.warn(f"{show.config_path}: no [show] line to store the podcast guid under; "
                      f"add guid = \"{guid}\" to [show] by hand")
    else:
        newline = "\r\n" if "\r\n" in text else "\n"
        line = f'guid = "{guid}"  # podcast:guid, written by the first build: keep it when the feed moves'
        atomic_write(show.config_path, (text[:m.end()] + newline + line + text[m.end():]).encode("utf-8"))
        reporter.info(f"stored the show's podcast guid in {show.config_path.name}: commit it")
    return dataclasses.replace(show, info=dataclasses.replace(show.info, guid=guid))


def is_published(ep: Episode, now: datetime | None = None) -> bool:
    """Drafts and episodes dated in the future stay out of the feed and the index."""
    return not ep.draft and ep.date <= (now or datetime.now(UTC))


def author_chapters(item: Processed) -> tuple[Chapter, ...]:
    """The author's [[chapters]] on the programme timeline: moved past any intro."""
    shift = item.report.timeline_shift
    return tuple(Chapter(max(0.0, c.start + shift), c.title) for c in item.episode.chapters)


def episode_url(show: Show, slug: str) -> str:
    return f"{show.info.base_url}episodes/{slug}/"


def writeup_job(show: Show, item: Processed) -> WriteupJob:
    ep = item.episode
    return WriteupJob(ep.slug, str(item.transcript_path), item.transcript_key,
                      tuple(sorted(ep.speaker_names().items())), author_chapters(item), item.report.duration,
                      ep.notes_settings, episode_url(show, ep.slug), str(show.cache_dir))


def _writeup(job: WriteupJob) -> Writeup:
    return writeup.run(job)


def write_up(show: Show, run: Run, reporter: Reporter) -> None:
    """Give each processed episode its writeup (see `writeup`), making the stale ones in parallel."""
    jobs = {item.episode.slug: writeup_job(show, item) for item in run.processed}
    found = {slug: writeup.lookup(job) for slug, job in jobs.items()}
    stale = [job for slug, job in jobs.items() if found[slug] is None]
    # Longest transcript first keeps both workers busy to the end.
    stale.sort(key=lambda j: -Path(j.transcript).stat().st_size)
    if stale:
        reporter.info(f"writing up {len(stale)} episode(s)")
    for job, made in zip(stale, _map(_writeup, stale, show.build.jobs), strict=True):
        found[job.slug] = made
        run.ran["writeup"] += 1
    for item in run.processed:
        item.writeup = found[item.episode.slug]


def _map(fn: Callable[[Any], Any], jobs: Sequence[Any], workers: int) -> Iterable[Any]:
    """``fn`` over ``jobs`` in worker processes (in this one when there is little to share)."""
    if len(jobs) <= 2 or workers <= 1:
        return map(fn, jobs)
    ctx = get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx)

    def results() -> Iterable[Any]:
        with pool:
            yield from pool.map(fn, jobs)

    return results()


def tag(show: Show, item: Processed, reporter: Reporter, run: Run) -> Path:
    """A tagged copy of the mastered MP3 (cheap; kept apart so a title edit never re-masters)."""
    ep = item.episode
    # Proposed chapters too: some apps read only the MP3's CHAP frames.
    assert item.writeup is not None, "tag runs after write_up"
    chapters = tuple(tagging.Chapter(c.start, c.title) for c in item.writeup.chapters)
    cover = ep.image or show.artwork  # the episode's own image, else the show's
    info = tagging.TagInfo(title=ep.title, artist=show.info.author, album=show.info.title, track=ep.number,
                           date=ep.date.date().isoformat(), comment=ep.description, cover=cover,
                           chapters=chapters)
    cache = Cache(show.cache_dir, reporter.warn)
    key = stage_key("tag", "1", {"audio": item.audio, "info": info, "duration": item.report.duration})
    entry = cache.get("tag", key)
    if entry is None:
        def do_tag(folder: Path) -> None:
            out = folder / "episode.mp3"
            out.write_bytes(item.audio.read_bytes())
            tagging.write_tags(out, info, item.report.duration)

        entry = cache.put("tag", key, do_tag)
        run.ran["tag"] += 1
    return entry / "episode.mp3"


SITE_VERSION = "1"


def episode_view(show: Show, item: Processed, audio: Path, now: datetime) -> EpisodeView:
    """What the site and the feeds show of one episode."""
    from . import notes, site

    ep, made = item.episode, item.writeup
    assert ep.guid is not None and made is not None
    options = ep.notes_settings
    # The author's notes first, then the generated parts; timestamps link to the page (absolute,
    # since the same HTML is the feed's content:encoded).
    generated = notes.generate(ep, made.chapters, made.derived, options)
    author_html = site.markdown_html(ep.notes)
    return EpisodeView(
        episode=ep, guid=ep.guid, audio_path=f"episodes/{ep.slug}/{ep.slug}.mp3",
        audio_bytes=audio.stat().st_size, duration=item.report.duration,
        chapters=made.chapters, writeup=made,
        notes_html=notes.render_html(author_html, generated, episode_url(show, ep.slug)),
        notes_text=notes.render_text(site.markdown_text(ep.notes), generated),
        published=is_published(ep, now),
        page_notes_html=notes.render_html(author_html, dataclasses.replace(generated, chapters=())),
    )


def site_of(show: Show, views: Iterable[EpisodeView], now: datetime) -> Site:
    return Site(show, tuple(newest_first(views)), "artwork" + show.artwork.suffix.lower(), now)


def _fingerprint(view: Site, audio: dict[str, Path]) -> str:
    """Everything the published site and feed depend on; equal fingerprints mean an identical site.

    Transcripts count by their writeups' cache keys: nothing reads a transcript to decide that
    the site is up to date.
    """
    from . import site

    # The feeds' own code: site.fingerprint covers the page-rendering code.
    return stage_key("site", SITE_VERSION, {"code": code_digest("feed.py", "atom.py", "pipeline.py"),
                                           "site": site.fingerprint(view, audio)})


def publish(show: Show, view: Site, audio: dict[str, Path], *, force: bool = False,
            reporter: Reporter | None = None, meanwhile: Callable[[], None] | None = None) -> bool:
    """Render the site and feed and swap them in; False when the published site is already this one.

    Pages whose inputs did not change are reused from the current ``public/`` (see site.render).
    ``meanwhile`` runs while search bundles are indexed, if it comes to that.
    """
    from . import atom, feed, site

    reporter = reporter or Quiet()
    fingerprint = _fingerprint(view, audio)
    stamp = show.output / STAMP
    if not force and stamp.is_file() and stamp.read_text().strip() == fingerprint:
        reporter.info(f"{show.output} is up to date")
        return False
    writer = Writer(show.output)
    try:
        def feeds(renderer: site.Renderer) -> None:  # while Pagefind indexes what changed
            feed.write_feeds(view, writer)
            # The written archive, for blog readers: unchanged by an edit to an older episode.
            renderer.file(atom.ATOM_PATH, atom.key(view), partial(atom.render, view))
            if meanwhile is not None:
                meanwhile()

        site.render(view, writer, audio, previous=show.output if show.output.is_dir() else None,
                    jobs=show.build.jobs, meanwhile=feeds)
        writer.write(STAMP, fingerprint + "\n")
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return True


@dataclass(frozen=True)
class Built:
    """What a build made of one episode, kept in the `memo` for the next build."""

    view: EpisodeView
    audio: Path  # the tagged MP3 in the cache
    digest: str  # episode_digest(view)


def _named(show: Show, ep: Episode) -> list[Path]:
    """The files outside its folder that an episode is made from (those inside count with the folder)."""
    job = job_for(show, ep)
    named = [Path(t) for t in job.tracks] + [Path(p) for p in (job.master.intro, job.master.outro) if p] + (
        [ep.image] if ep.image else [])
    # All resolved already (the show's root, the files an episode names): resolving again would
    # stat every folder on the way, for each file of each episode.
    folder = ep.folder

    def scanned(path: Path) -> bool:  # as `uptodate.scan` sees the folder
        return path.is_relative_to(folder) and not any(map(uptodate.ignored, path.relative_to(folder).parts[:-1]))

    return [p for p in named if not scanned(p)]


@contextlib.contextmanager
def _rare_collections() -> Iterator[None]:
    """The cyclic garbage collector, run a few hundred times less often.

    A build of a large show makes hundreds of thousands of objects that live to its end (the
    episodes, their views, pages' keys) and next to no cycles. Every 700 allocations the
    collector would look for cycles among them, and every few thousand walk all of them: a
    tenth of an edit's build. Garbage still goes as soon as nothing refers to it.
    """
    before = gc.get_threshold()
    gc.set_threshold(200_000, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def build(root: Path, *, reporter: Reporter | None = None, force: bool = False,
          now: datetime | None = None, engine: str | None = None) -> Run:
    """Process what is stale, then render the site and feed and publish them in one swap.

    Returns at once, having read nothing but file stats, when the published site is already the
    build of these sources (see `uptodate`). Episodes whose files are unchanged since the last
    build are taken from the `memo` without being read again.
    """
    with _rare_collections():
        return _build(root, reporter=reporter, force=force, now=now, engine=engine)


def _build(root: Path, *, reporter: Reporter | None, force: bool, now: datetime | None,
           engine: str | None) -> Run:
    reporter = reporter or Quiet()
    now = now or datetime.now(UTC)
    root = root.resolve()
    folders = uptodate.folders(root)
    if folders:  # a commit cut off while moving folders in leaves public/ without them: first put them back
        recover(folders[0])
    scanned = uptodate.scan(root, engine)  # before anything is read: an edit during the build counts
    digest = scanned.digest if scanned else None
    if not force and uptodate.fresh(root, digest, now):
        reporter.info("the site is up to date")
        return Run()
    memo: Memo[Built] = Memo(folders[1] if folders else root, scanned.context if scanned else None)
    files = scanned.episodes if scanned else {}
    kept = memo.take(files)
    show = load_show(root, known={name: b.view.episode for name, b in kept.items()})
    if engine:
        show = show.with_transcribe(engine=engine)
    show = ensure_podcast_guid(show, reporter)
    run = process(show, [ep.slug for ep in show.episodes if ep.slug not in kept], reporter=reporter)
    for item in run.processed:
        item.episode = dataclasses.replace(item.episode, guid=ensure_guid(item.episode))
    write_up(show, run, reporter)
    for item in run.processed:
        ep, tagged = item.episode, tag(show, item, reporter, run)
        assert item.writeup is not None
        view = episode_view(show, item, tagged, now)
        kept[ep.slug] = made = Built(view, tagged, episode_digest(view))
        if ep.slug in files:
            memo.put(ep.slug, files[ep.slug], _named(show, ep), (item.writeup.folder, tagged), made)
    for slug, b in kept.items():  # a scheduled episode comes due
        if b.view.published != is_published(b.view.episode, now):
            view = dataclasses.replace(b.view, published=not b.view.published)
            kept[slug] = dataclasses.replace(b, view=view, digest=episode_digest(view))
    whole = site_of(show, (kept[ep.slug].view for ep in show.episodes), now)
    whole.digests.update((slug, b.digest) for slug, b in kept.items())
    audio = {ep.slug: kept[ep.slug].audio for ep in show.episodes}
    # The memo is written while Pagefind indexes (it holds nothing that depends on the publish).
    if publish(show, whole, audio, force=force, reporter=reporter, meanwhile=memo.save):
        run.ran["site"] += 1
        run.published = True
        reporter.info(f"built {len(whole.public)} episode(s) into {show.output}")
    memo.save()  # a no-op when publish wrote it
    uptodate.record(root, digest, show.episodes, now)
    return run
