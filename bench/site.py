"""Benchmark building the site of a large show, against Pelican building the same articles.

    .venv/bin/python bench/site.py [--episodes 500] [--words 9000] [--rounds 3] [--keep DIR]

Generates a show of N episodes whose transcripts are about W words each, and seeds its cache
with what the master and transcribe stages would have left there (bench/show500.py: the master
stage runs for real once, on a four-second clip; every episode's transcribe entry is put under
the key `Cache.key` gives its transcribe job), so a build runs everything after transcription
through the real `podkit build` code path (`pipeline.build`): the content and tag stages, pages,
search index, feeds, the atomic swap.

Times, each a real build of the show folder:
- first build: the cache holds only the master and transcribe results, so every episode's
  content (transcript files, chapters, quotes, blog transcript) is made and its MP3 tagged,
  every page rendered, every search bundle indexed;
- second build: reads the guids the first one wrote into the show's files, renders nothing;
- no-op rebuild: nothing changed;
- one notes edit: one episode.md's notes edited on disk (three edits of three episodes; the
  middle time is reported);
- rebuild with public/ deleted: what a lost public/ costs (search bundles and the build state
  are still in the cache);
- full build from the stages' results: everything after the per-episode stages, from their
  cached results (master, transcribe, content, tag), with nothing kept from an earlier build:
  no public/, no search bundles, no record of episodes in the build state
  (`build.state`; it keeps what it knows of files: which recordings ffprobe has read and the
  sources' hashes, which earlier versions kept in the cache apart from the episodes' memo).
Pelican (installed into a throwaway virtual environment cached under ~/.cache/podkit-bench)
builds the same articles (notes plus the transcript as Markdown, chapter headings, speaker
names) with its defaults and pagination of 20. The two full builds alternate for --rounds
rounds, and the ratio is of their medians: this machine has slow spells of a minute or more,
and podkit, which keeps both cores busy, loses more in them than single-threaded Pelican.
What a build replaces is moved aside before it is timed and deleted after, so neither tool is
timed while the file system catches up with a deletion. Prints ratios and whether each meets
its target (full build >= 2x as fast as Pelican, one edit < 5% of the full build, no-op < 1 s).
Not a test: nothing asserts a time.

The code is imported in this process: to measure a fixed copy while others edit the tree, put
a copy of toolkit/ and templates/ first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after PYTHONPATH: a copy of toolkit/ there is the one measured

from bench.show500 import make_show, seed_cache  # noqa: E402
from toolkit.build import pipeline, state  # noqa: E402
from toolkit.content.article import article  # noqa: E402
from toolkit.show import Show  # noqa: E402
from toolkit.speech.transcript import Transcript  # noqa: E402

PELICAN_ENV = Path.home() / ".cache" / "podkit-bench" / "pelican-venv"


def timed(label: str, fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t
    print(f"  {label:<34} {elapsed:8.2f} s", flush=True)
    return elapsed


def build(root: Path, *, changes: bool = True) -> pipeline.Run:
    """One real build; ``changes=False``: one that must find nothing to do (else the time is not a no-op's:
    someone changed podkit's code or theme under the benchmark)."""
    run = pipeline.build(root)
    if not changes and (run.ran or run.published):
        print(f"  warning: this build was not a no-op (ran {dict(run.ran)}): the code or theme changed?",
              flush=True)
    return run


# --- Pelican -----------------------------------------------------------------------------------


def pelican_python() -> Path:
    python = PELICAN_ENV / "bin" / "python"
    if not python.is_file() or subprocess.run([python, "-c", "import pelican, markdown"],
                                              capture_output=True).returncode:
        print("  installing Pelican into", PELICAN_ENV, flush=True)
        shutil.rmtree(PELICAN_ENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(PELICAN_ENV)], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "pelican", "markdown"],
                       check=True)
    return python


def pelican_site(folder: Path, show: Show, transcripts: dict[str, Transcript]) -> Path:
    content = folder / "content"
    content.mkdir(parents=True)
    for ep in show.episodes:
        lines = [f"Title: {ep.title}", f"Date: {ep.date:%Y-%m-%d %H:%M}", f"Slug: {ep.slug}",
                 f"Tags: {', '.join(ep.tags)}", f"Authors: {', '.join(p.name for p in ep.people)}",
                 f"Summary: {ep.description}", "", ep.notes, "", "## Transcript", ""]
        for section in article(transcripts[ep.slug], ep.chapters).sections:
            if section.title:
                lines += [f"### {section.title}", ""]
            for p in section.paragraphs:
                lines += [f"**{p.speaker}:** {p.text}", ""]
        (content / f"{ep.slug}.md").write_text("\n".join(lines))
    (folder / "pelicanconf.py").write_text(
        'SITENAME = "Bench Show"\nSITEURL = ""\nTIMEZONE = "UTC"\nDEFAULT_LANG = "en"\nDEFAULT_PAGINATION = 20\n')
    return folder


def run_pelican(python: Path, folder: Path) -> None:
    subprocess.run([python, "-m", "pelican", str(folder / "content"), "-o", str(folder / "output"), "-s",
                    str(folder / "pelicanconf.py"), "-q"], check=True, cwd=folder)


def forget_episodes(cache_dir: Path) -> None:
    """Drop from the build state its record of the episodes and of the published site, and keep
    what it knows of files: the audio already probed and the source files' hashes (which the
    build state took over from the cache's own memos; a build without them runs ffprobe on every
    recording, about a minute at 500 episodes)."""
    state.BuildState.load(cache_dir, None).save(None, None, None)


def aside(paths: list[Path], trash: Path) -> None:
    """Move ``paths`` (those that exist) into ``trash``, to be deleted once the timing is done."""
    trash.mkdir(parents=True)
    for n, path in enumerate(paths):
        if path.exists():
            path.rename(trash / f"{n}-{path.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--words", type=int, default=9000)
    parser.add_argument("--rounds", type=int, default=3, help="full builds of each tool, in turn (default 3)")
    parser.add_argument("--keep", type=Path, help="work here and keep the result (default: a temp folder)")
    args = parser.parse_args()
    if args.episodes < 4:
        parser.error("--episodes: at least 4 (three of them are edited)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="podkit-bench-site-"))
    try:
        print(f"generating {args.episodes} episodes of ~{args.words} words in {work}", flush=True)
        t = time.perf_counter()
        show, transcripts = make_show(work / "show", args.episodes, args.words)
        for warning in seed_cache(show, transcripts):
            print(f"  the master stage's warning on the clip: {warning}")
        paragraphs = sum(len(article(t).paragraphs) for t in transcripts.values())
        print(f"  generated and cached in {time.perf_counter() - t:.1f} s ({paragraphs} transcript paragraphs)",
              flush=True)

        root = show.root
        print("podkit (each a real build of the show folder)", flush=True)
        first = timed("first build (content made)", lambda: build(root))
        # The first build wrote the guids into podkit.toml and each episode folder: the next one
        # reads the show again (and finds nothing to render); after that, nothing is read.
        second = timed("second build (reads the new guids)", lambda: build(root))
        noop = timed("no-op rebuild", lambda: build(root, changes=False))
        # Three edits of three episodes' notes (the middle time counts): the machine is noisy.
        edits = []
        for n, target in enumerate(show.episodes[len(show.episodes) // 4::len(show.episodes) // 4][:3]):
            source = target.folder / "episode.md"
            source.write_text(source.read_text() + f"\nCorrection {n}, added after publishing.\n")
            edits.append(timed("rebuild after one notes edit", lambda: build(root)))
            assert f"Correction {n}" in (show.output / f"episodes/{target.slug}/index.html").read_text()
        one = sorted(edits)[1]
        aside([show.output], work / "trash")
        relinked = timed("rebuild with public/ deleted", lambda: build(root))
        shutil.rmtree(work / "trash")

        print("full builds (podkit's from the stages' results), podkit and pelican in turn", flush=True)
        python = pelican_python()
        folder = pelican_site(work / "pelican", show, transcripts)
        fulls, pels = [], []
        for n in range(args.rounds):
            # podkit: everything after the per-episode stages, made from their cached results
            # (master, transcribe, content, tag) with nothing kept from an earlier build: no site
            # to reuse pages from, no search bundles, no record of episodes.
            aside([show.output, show.cache_dir / "search"], work / "trash")
            forget_episodes(show.cache_dir)
            fulls.append(timed(f"podkit ({n + 1})", lambda: build(root)))
            aside([folder / "output"], work / "trash-pelican")
            pels.append(timed(f"pelican ({n + 1})", lambda: run_pelican(python, folder)))
            shutil.rmtree(work / "trash")
            shutil.rmtree(work / "trash-pelican")
        full, pel = statistics.median(fulls), statistics.median(pels)

        def verdict(ok: bool) -> str:
            return "meets the target" if ok else "MISSES the target"

        print("results")
        print(f"  full build from the stages' results (medians of {args.rounds}): podkit {full:.2f} s, "
              f"pelican {pel:.2f} s: podkit is {pel / full:.2f}x as fast (target >= 2x: {verdict(pel / full >= 2)}; "
              f"pelican builds no search index); by round: "
              f"{', '.join(f'{p / f:.2f}x' for f, p in zip(fulls, pels, strict=True))}")
        print(f"  first build, content made from the transcripts: podkit {first:.2f} s: "
              f"{pel / first:.2f}x as fast as pelican")
        print(f"  rebuild with public/ deleted: {relinked:.2f} s ({pel / relinked:.1f}x as fast as pelican)")
        print(f"  no-op rebuild: {noop:.3f} s (target < 1 s: {verdict(noop < 1)}); "
              f"the build after the first: {second:.2f} s")
        print(f"  one-episode edit (middle of three): {one:.3f} s = {100 * one / full:.1f}% of the full build "
              f"(target < 5%: {verdict(one < 0.05 * full)}), {100 * one / first:.1f}% of the first build")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
