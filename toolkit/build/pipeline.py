"""One build, from the show's sources to ``public/``:

    read podkit.toml -> anything to do? (`state`) -> load the show -> per episode, the `stages.STAGES`
    (stale episodes in worker processes) -> what the site shows of each episode -> render the site
    and the feeds -> swap them into ``public/`` -> keep the build state

The heavy modules (the stages, Jinja2, feedgen) are imported only once there is work to do, so a
build with nothing to do costs little more than starting Python.
"""

from __future__ import annotations

import dataclasses
import queue
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from toolkit.build.state import BuildState, Built, outside, scan
from toolkit.config import Config, not_public, read
from toolkit.errors import InvalidShow
from toolkit.files import atomic_write, repr_digest
from toolkit.show import GUID_FILE, Episode, Show, load_show

if TYPE_CHECKING:
    from toolkit.build.stages import Processed
    from toolkit.newsletter.compose import Letter
    from toolkit.publish.site import Site


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


@dataclass
class Run:
    """What a pipeline run did: stages run (a no-op build runs none) and what was built."""

    ran: Counter[str] = field(default_factory=Counter)
    processed: list[Processed] = field(default_factory=list)  # not those a build took from its state
    published: bool = False


def process(show: Show, slugs: Sequence[str] | None = None, *, reporter: Reporter | None = None,
            profile: Path | None = None, cluster: str | int | None = None) -> Run:
    """Run the stages of the given episodes (None: all), only what is stale; say how long each took.

    The caller holds the build lock (`lock`): this first deletes what killed builds left in the cache.
    With ``profile`` (a folder), each stage that runs leaves its cProfile statistics there. With
    ``cluster`` (a Dask scheduler's address, or a number of local workers; default ``[build] cluster``),
    the stale episodes are tasks on that cluster (`cluster`).
    """
    from toolkit.build.cache import Cache, code_digest
    from toolkit.build.stages import run_episode

    reporter = reporter or Quiet()
    Cache(show.cache_dir).tidy()
    run = Run()
    code = code_digest()
    episodes = [show.episode(s) for s in slugs] if slugs is not None else list(show.episodes)
    made: dict[str, Processed] = {}
    stale: list[Episode] = []
    for ep in episodes:
        found = run_episode(show, ep, code, lookup_only=True)
        if found is None:
            stale.append(ep)
        else:
            made[ep.slug] = found
    # Longest first keeps both workers busy to the end.
    stale.sort(key=lambda e: -sum(t.stat().st_size for t in e.tracks))
    from toolkit.build.timing import summary

    cluster = cluster or show.build.cluster
    if cluster and stale:
        from toolkit.build import cluster as dask_cluster

        results = dask_cluster.run(show, stale, code, reporter.stage, profile, cluster)
    else:
        results = _run_stale(show, stale, code, reporter, profile)
    for result in results:
        made[result.episode.slug] = result
        run.ran.update(result.ran)
        if result.times:
            reporter.info(f"{result.episode.slug}: {summary(result.times)}")
    for ep in episodes:
        item = made[ep.slug]
        for w in item.report.warnings:
            reporter.warn(f"{ep.slug}: {w}")
        late = [c for c in ep.chapters if c.start + item.report.timeline_shift >= item.report.duration]
        for c in late:
            reporter.warn(f"{ep.slug}: chapter {c.title!r} starts after the end of the audio; left out")
        run.processed.append(item)
    return run


def _run_stale(show: Show, episodes: list[Episode], code: str, reporter: Reporter,
               profile: Path | None) -> Iterable[Processed]:
    from toolkit.build.stages import run_episode
    from toolkit.speech import pieces

    workers = show.build.jobs
    if len(episodes) <= 1 or workers <= 1:
        pieces.set_workers(workers)  # one episode at a time: its long recordings use every worker
        for ep in episodes:
            result = run_episode(show, ep, code, reporter.stage, profile=profile)
            assert result is not None
            yield result
        return
    from multiprocessing import get_context

    from toolkit import workers as processes

    with processes.starting():
        manager = get_context("spawn").Manager()
    with manager:
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
            with processes.pool(min(workers, len(episodes))) as pool:
                futures = [pool.submit(_worker, show, ep, code, events, profile) for ep in episodes]
                for fut in futures:
                    yield fut.result()
        finally:
            stop.set()
            thread.join()


def _worker(show: Show, ep: Episode, code: str, events: Any, profile: Path | None) -> Processed:
    from toolkit.build.stages import run_episode
    from toolkit.speech import pieces

    pieces.set_workers(1)  # the other workers are busy with other episodes
    result = run_episode(show, ep, code, lambda *event: events.put(event), profile=profile)
    assert result is not None
    return result


def ensure_guid(ep: Episode) -> Episode:
    """The episode with its permanent guid, written next to its sources on its first build."""
    if ep.guid:
        return ep
    guid = str(uuid.uuid4())
    atomic_write(ep.folder / GUID_FILE, (guid + "\n").encode())
    return dataclasses.replace(ep, guid=guid)


SHOW_TABLE_RE = re.compile(r"^\ufeff?[ \t]*\[[ \t]*show[ \t]*\][ \t]*(#.*)?$", re.M)


def ensure_podcast_guid(show: Show, reporter: Reporter) -> Show:
    """The show with its podcast:guid: computed from the public feed URL once, then kept in podkit.toml.

    Never from a URL that is not public (``localhost``, a private address, an example domain: see
    `config.not_public`): every show built before its url is set would share that guid. Such a build
    says so and stores nothing; the first build with the public url stores it.

    The guid is written as one new line under ``[show]`` (plain text editing, not a TOML
    round-trip), so the author's comments and layout stay exactly as they were. Once stored it
    is never recomputed, so the show keeps its identity when the feed URL changes.
    """
    from toolkit.publish.feed import FEED_PATH, podcast_guid

    if show.info.guid:
        return show
    feed_url = show.info.base_url + FEED_PATH
    why = not_public(show.info.url)
    if why is not None:
        reporter.info(f"podcast:guid not stored yet: [show] url is not public ({why}); "
                      "the first build with the show's public url stores it")
        return show
    guid = podcast_guid(feed_url)
    text = show.config_path.read_text(encoding="utf-8")
    m = SHOW_TABLE_RE.search(text)
    if m is None:
        reporter.warn(f"{show.config_path}: no [show] line to store the podcast guid under; "
                      f"add guid = \"{guid}\" to [show] by hand")
    else:
        newline = "\r\n" if "\r\n" in text else "\n"
        line = f'guid = "{guid}"  # podcast:guid of {feed_url}, from the first build: keep it when the feed moves'
        atomic_write(show.config_path, (text[:m.end()] + newline + line + text[m.end():]).encode("utf-8"))
        reporter.info(f"stored the show's podcast:guid {guid} (from {feed_url}) in {show.config_path.name}: "
                      "commit it")
    return dataclasses.replace(show, info=dataclasses.replace(show.info, guid=guid))


def _built(show: Show, item: Processed, now: datetime) -> Built:
    from toolkit.content.make import Content
    from toolkit.publish.site import episode_digest, episode_view

    view = episode_view(show, item.episode, Content.load(item.done["content"]), item.audio,
                        item.report.duration, now)
    return Built(view, item.audio, episode_digest(view))


def _sources(show: Show, item: Processed) -> list[Path]:
    """The files outside the show's scan that an episode is made from."""
    from toolkit.build.stages import master_job

    job = master_job(show, item.episode, {})
    ep = item.episode
    named = [*job.tracks, *(p for p in (job.intro, job.outro) if p), *([ep.image] if ep.image else []),
             *(a.source for _, a in ep.assets)]  # a photo in the show's folder, say
    return outside(item.episode, named)


def build(root: Path, *, reporter: Reporter | None = None, force: bool = False,
          now: datetime | None = None, engine: str | None = None, wait: bool = False,
          profile: Path | None = None, cluster: str | int | None = None) -> Run:
    """Process what is stale, then render the site and feed and publish them in one swap.

    Returns at once, having read nothing but podkit.toml and file stats, when the published site is
    already the build of these sources (see `state`). Episodes whose files are unchanged since the
    last build are taken from the build state without being read again. Each stage's time is
    reported; with ``profile`` (a folder) each also leaves cProfile statistics there (`timing`). With
    ``cluster``, the stages run on a Dask cluster (see `process`).

    Holds the show's build lock throughout (`lock`): with another build running, waits for it
    (``wait``) or refuses.
    """
    from toolkit.build.lock import hold

    reporter = reporter or Quiet()
    root = root.resolve()
    config = read(root)
    with hold(root / config.build.cache, wait=wait, say=reporter.info):
        return _build(root, config, reporter, force, now or datetime.now(UTC), engine, profile, cluster)


def _build(root: Path, config: Config, reporter: Reporter, force: bool, now: datetime, engine: str | None,
           profile: Path | None, cluster: str | int | None = None) -> Run:
    from toolkit.publish.writer import read_manifest, recover

    output = root / config.build.output
    if not config.problems:
        recover(output)  # what a killed build left beside public/ (we hold the lock: no running build's)
    found = scan(root, config, engine)  # before anything is read: an edit during the build counts
    state = BuildState.load(root / config.build.cache, found.context if found else None)
    published, pages_before = read_manifest(output)
    if not force and found is not None and state.fresh(found, published, now):
        return Run()  # the CLI says there was nothing to do
    from toolkit.publish.site import fingerprint as site_fingerprint

    files = found.episodes if found else {}
    kept = state.take(files)
    show = load_show(root, config=config, known={name: b.view.episode for name, b in kept.items()},
                     probed=state.probed)
    if engine:
        show = show.with_transcribe(engine=engine)
    from toolkit.newsletter.edition import load_editions

    editions, problems = load_editions(show.root, {ep.slug for ep in show.episodes})
    if problems:  # before any work, as the show's own problems
        raise InvalidShow(problems)
    show = ensure_podcast_guid(show, reporter)
    show = dataclasses.replace(show, episodes=tuple(ep if ep.slug in kept else ensure_guid(ep) for ep in show.episodes))
    run = process(show, [ep.slug for ep in show.episodes if ep.slug not in kept], reporter=reporter,
                  profile=profile, cluster=cluster)
    for item in run.processed:
        kept[item.episode.slug] = made = _built(show, item, now)
        if item.episode.slug in files:
            state.put(item.episode.slug, files[item.episode.slug], _sources(show, item),
                      (item.done["content"], item.audio), made)
    for slug, b in kept.items():  # a scheduled episode comes due
        if b.view.published != b.view.episode.is_published(now):
            kept[slug] = _republished(b, now)
    site = _site(show, [kept[ep.slug] for ep in show.episodes], now)
    audio = {ep.slug: kept[ep.slug].audio for ep in show.episodes}
    from toolkit.newsletter.compose import compose

    letters = compose(site, editions)
    # The newsletter's outputs are made of the composed editions and the [newsletter] settings.
    fingerprint = site_fingerprint(site, audio)
    if letters:
        fingerprint = repr_digest(fingerprint, letters, show.newsletter)
    if force or fingerprint != published:
        from toolkit.build.timing import Clock, profiled

        clock = Clock()
        with clock.running():
            profiled(profile / "site.pstats" if profile else None,
                     lambda: _publish(show, site, audio, fingerprint, pages_before, reporter, letters))
        reporter.info(f"site: {clock.time}")
        run.ran["site"] += 1
        run.published = True
        reporter.info(f"built {len(site.public)} episode(s) into {show.output}")
    # The build is stale as soon as a scheduled episode comes due.
    scheduled = [ep for ep in show.episodes if not ep.draft and ep.date > now]
    for ep in scheduled:  # said at every build that publishes: a typo in a year must not hide an episode unseen
        if run.published:
            when = ep.date.date().isoformat()
            if ep.date.year > now.year + 1:
                reporter.warn(f"{ep.slug}: dated {when}, so it stays out of the feed and the index until then "
                              f"(is the year right? see {ep.source})")
            else:
                reporter.info(f"{ep.slug}: scheduled for {when}; out of the feed and the index until then")
    due = min([*(ep.date for ep in scheduled), *(e.when for e in editions if e.when > now)], default=None)
    state.save(found.digest if found else None, fingerprint, due)
    return run


def _republished(b: Built, now: datetime) -> Built:
    from toolkit.publish.site import episode_digest

    view = dataclasses.replace(b.view, published=b.view.episode.is_published(now))
    return dataclasses.replace(b, view=view, digest=episode_digest(view))


def _site(show: Show, built: list[Built], now: datetime) -> Site:
    from toolkit.build.cache import code_digest
    from toolkit.publish.site import Site, newest_first

    site = Site(show, tuple(newest_first(b.view for b in built)), "artwork" + show.artwork.suffix.lower(), now,
                code_digest())
    site.digests.update((b.view.slug, b.digest) for b in built)
    return site


def _publish(show: Show, site: Site, audio: dict[str, Path], fingerprint: str, pages_before: dict[str, str],
             reporter: Reporter, letters: list[Letter]) -> None:
    """Render the site and the feeds and swap them into ``public/``, reusing what is unchanged of the
    site published there (``pages_before``: its outputs' keys)."""
    from toolkit.build.cache import Cache
    from toolkit.newsletter import archive
    from toolkit.publish import atom, feed, pages
    from toolkit.publish.writer import Writer

    writer = Writer(show.output)
    try:
        def feeds(renderer: pages.Renderer) -> None:  # while Pagefind indexes what changed
            feed.write_feeds(site, writer)
            # The written archive, for blog readers: unchanged by an edit to an older episode.
            renderer.file(atom.ATOM_PATH, atom.key(site), lambda: atom.render(site))
            if letters:  # the newsletter: each edition's e-mail, the archive, its feed
                archive.render(renderer, letters)

        pages.render(site, writer, audio, Cache(show.cache_dir, reporter.warn), fingerprint,
                     previous=show.output if show.output.is_dir() else None, old=pages_before, jobs=show.build.jobs,
                     meanwhile=feeds, extra=archive.search_bundle(site, letters),
                     nav=(("Newsletter", archive.INDEX),) if letters else ())
        writer.commit()
    except BaseException:
        writer.abort()
        raise


def prune_cache(root: Path, *, wait: bool = False, say: Any = None) -> tuple[int, int]:
    """Delete the cache entries that no episode of the show and no search bundle of its published site
    uses any more, and what killed builds left; (entries deleted, bytes freed). Holds the build lock."""
    from toolkit.build.cache import Cache, code_digest, prune
    from toolkit.build.lock import hold
    from toolkit.build.stages import entries
    from toolkit.publish.writer import read_manifest

    root = root.resolve()
    config = read(root)
    with hold(root / config.build.cache, wait=wait, say=say):
        show = load_show(root, config=config)
        code = code_digest()
        used = {entry for ep in show.episodes for entry in entries(show, ep, code)}
        cache = Cache(show.cache_dir)
        # A search bundle is kept under the key the site's manifest gives its folder (see publish.search).
        _, keys = read_manifest(show.output if show.output.is_dir() else None, verify=False)
        used.update(cache.path("search", key) for key in keys.values() if re.fullmatch(r"[0-9a-f]{64}", key))
        return prune(show.cache_dir, used)


__all__ = ["Quiet", "Reporter", "Run", "build", "process", "prune_cache"]

