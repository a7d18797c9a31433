"""Benchmark building the site of a large show, against Pelican building the same articles.

    .venv/bin/python bench/site.py [--episodes 500] [--words 9000] [--rounds 3] [--keep DIR]

Generates a show of N episodes whose transcripts are about W words each (sentences from the
shared clips' transcripts in ../shared/audio/*.txt, shuffled per episode, two speakers,
chapters every ten minutes). No audio is processed: each episode's recording is a tiny MP3,
and the cache is seeded with what the master and transcribe stages would have left there (the
mastered MP3, its report, the transcript), so a build runs everything after transcription
through the real `podkit build` code path (`pipeline.build`): writeup, tag, pages, search
index, feeds, the atomic swap.

Times, each a real build of the show folder:
- first build: the cache holds only transcripts, so every writeup (transcript files,
  chapters, quotes, blog transcript) is made, every page rendered, every search bundle indexed;
- second build: reads the guids the first one wrote into the show's files, renders nothing;
- no-op rebuild: nothing changed;
- one notes edit: one episode.md's notes edited on disk (three edits of three episodes; the
  middle time is reported);
- rebuild with public/ deleted: what a lost public/ costs (search bundles and the memo of
  episodes are still in the cache);
- full build from the stages' results: everything after the per-episode stages, from their
  cached results (master, transcribe, writeup, tag), with nothing kept from an earlier build:
  no public/, no search bundles, no memo of episodes or feed items.
Pelican (installed into a throwaway virtual environment cached under ~/.cache/podkit-bench)
builds the same articles (notes plus the transcript as Markdown, chapter headings, speaker
names) with its defaults and pagination of 20. The two full builds alternate for --rounds
rounds, and the ratio is of their medians: this machine has slow spells of a minute or more,
and podkit, which keeps both cores busy, loses more in them than single-threaded Pelican.
What a build replaces is moved aside before it is timed and deleted after, so neither tool is
timed while the file system catches up with a deletion. Prints ratios. Not a test: nothing
asserts a time.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit import feeditems, memo, pipeline  # noqa: E402
from toolkit.article import article  # noqa: E402
from toolkit.cache import Cache  # noqa: E402
from toolkit.master import MasterReport  # noqa: E402
from toolkit.media import run_ffmpeg  # noqa: E402
from toolkit.scaffold import make_artwork  # noqa: E402
from toolkit.show import Chapter, Show, load_show  # noqa: E402
from toolkit.transcript import Segment, Transcript, Word  # noqa: E402

SHARED = ROOT.parent / "shared" / "audio"
PELICAN_ENV = Path.home() / ".cache" / "podkit-bench" / "pelican-venv"
HOST, GUEST = "Ada Lindqvist", "Tom Reyes"

TOML = """\
[show]
title = "Bench Show"
url = "https://example.com/podcast/"
author = "Ada Lindqvist"
email = "ada@example.com"
language = "en"
description = "A large generated show for the site benchmark."
category = "Technology"
explicit = false
artwork = "artwork.png"
"""


def sentences() -> list[str]:
    text = " ".join(p.read_text() for p in sorted(SHARED.glob("*.txt")))
    found = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s.split()) >= 3]
    if not found:
        raise SystemExit(f"no transcripts found in {SHARED}")
    return found


def make_transcript(rng: random.Random, pool: list[str], words: int) -> Transcript:
    segments: list[Segment] = []
    t, count, speaker = 0.0, 0, HOST
    while count < words:
        if rng.random() < 0.25:
            speaker = GUEST if speaker == HOST else HOST
            t += 0.8
        sentence = rng.choice(pool)
        ws: list[Word] = []
        for token in sentence.split():
            dur = 0.12 + 0.04 * len(token)
            ws.append(Word(round(t, 2), round(t + dur, 2), " " + token, 0.9, speaker))
            t += dur + 0.08
        segments.append(Segment(ws[0].start, ws[-1].end, " " + sentence, tuple(ws), speaker))
        count += len(ws)
        t += rng.random() * 2.5  # some pauses are long enough to start a new paragraph
    return Transcript("en", t, tuple(segments), "bench", "none")


def chapters_of(transcript: Transcript) -> tuple[Chapter, ...]:
    return tuple(Chapter(float(m * 600), f"Part {m + 1}") for m in range(int(transcript.duration // 600) + 1))


def make_show(folder: Path, n: int, words: int) -> tuple[Show, dict[str, Transcript]]:
    """The show's folder, and each episode's transcript (not yet in the cache)."""
    folder.mkdir(parents=True)
    (folder / "podkit.toml").write_text(TOML)
    make_artwork(folder / "artwork.png", "Bench Show")
    silence = folder / "silence.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "0.5", "-c:a", "libmp3lame", "-b:a", "64k",
                str(silence)])
    start = datetime(2020, 1, 6, 7, tzinfo=UTC)
    tags = ["mlops", "data", "infrastructure", "testing", "careers", "research", "speech", "ethics"]
    pool = sentences()
    transcripts = {}
    for i in range(1, n + 1):
        slug = f"episode-{i:04d}"
        ep = folder / "episodes" / slug
        ep.mkdir(parents=True)
        # A valid MP3 whose bytes differ per episode (an ID3v1 tag), so each has its own cache keys.
        ep.joinpath("recording.mp3").write_bytes(silence.read_bytes() + b"TAG" + f"{slug:<125}".encode())
        date = (start + timedelta(days=7 * i)).isoformat()
        chosen = ", ".join(f'"{tags[(i + k) % len(tags)]}"' for k in range(2))
        transcript = make_transcript(random.Random(i), pool, words)
        transcripts[slug] = transcript
        chapters = "".join(f'[[chapters]]\nstart = {c.start}\ntitle = "{c.title}"\n' for c in chapters_of(transcript))
        ep.joinpath("episode.md").write_text(
            f'+++\ntitle = "Episode {i}: shipping models, part {i}"\ndate = {date}\nnumber = {i}\n'
            f'description = "Conversation number {i} about putting models into production."\n'
            f'audio = "recording.mp3"\ntags = [{chosen}]\n'
            f'[[people]]\nname = "{HOST}"\nrole = "host"\n'
            f'[[people]]\nname = "{GUEST}"\nrole = "guest"\n'
            f"{chapters}"
            f'+++\n\nIn this episode we talk about **deployment**, monitoring and the people who do it.\n\n'
            f"- What broke in release {i}\n- How it was measured\n- What they would do again\n")
    return load_show(folder), transcripts


def seed_cache(show: Show, transcripts: dict[str, Transcript]) -> None:
    """What master and transcribe would have left in the cache: mastered MP3, report, transcript."""
    cache = Cache(show.cache_dir)
    for ep in show.episodes:
        job = pipeline.job_for(show, ep)
        transcript = transcripts[ep.slug]
        report = MasterReport(duration=transcript.duration, channels=1, sample_rate=44100, bitrate=64,
                              timeline_shift=0.0, target_lufs=-19.0, ceiling_dbtp=-1.0, input_lufs=-22.0,
                              input_lra=6.0, output_lufs=-19.0, output_lra=5.0, output_true_peak=-1.5,
                              limited_seconds=0.0)

        def master(folder: Path, track: Path = ep.tracks[0], report: MasterReport = report) -> None:
            shutil.copyfile(track, folder / "audio.mp3")
            (folder / "report.json").write_text(json.dumps(report.to_dict()))

        entry = cache.put("master", job.master_key(), master)
        key = job.transcribe_key(entry / "audio.mp3", 0.0)
        def transcribe(folder: Path, transcript: Transcript = transcript) -> None:
            (folder / "transcript.json").write_text(json.dumps(transcript.to_dict()))

        cache.put("transcribe", key, transcribe)
    cache.save_hashes()


def timed(label: str, fn: object) -> float:
    assert callable(fn)
    t = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t
    print(f"  {label:<34} {elapsed:8.2f} s", flush=True)
    return elapsed


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
    work = args.keep or Path(tempfile.mkdtemp(prefix="podkit-bench-site-"))
    try:
        print(f"generating {args.episodes} episodes of ~{args.words} words in {work}", flush=True)
        t = time.perf_counter()
        show, transcripts = make_show(work / "show", args.episodes, args.words)
        seed_cache(show, transcripts)
        paragraphs = sum(len(article(t).paragraphs) for t in transcripts.values())
        print(f"  generated and cached in {time.perf_counter() - t:.1f} s ({paragraphs} transcript paragraphs)",
              flush=True)

        root = show.root
        print("podkit (each a real build of the show folder)", flush=True)
        first = timed("first build (writeups made)", lambda: pipeline.build(root))
        # The first build wrote the guids into podkit.toml and each episode folder: the next one
        # reads the show again (and finds nothing to render); after that, nothing is read.
        second = timed("second build (reads the new guids)", lambda: pipeline.build(root))
        noop = timed("no-op rebuild", lambda: pipeline.build(root))
        # Three edits of three episodes' notes (the middle time counts): the machine is noisy.
        edits = []
        for n, target in enumerate(show.episodes[len(show.episodes) // 4::len(show.episodes) // 4][:3]):
            source = target.folder / "episode.md"
            source.write_text(source.read_text() + f"\nCorrection {n}, added after publishing.\n")
            edits.append(timed("rebuild after one notes edit", lambda: pipeline.build(root)))
            assert f"Correction {n}" in (show.output / f"episodes/{target.slug}/index.html").read_text()
        one = sorted(edits)[1]
        aside([show.output], work / "trash")
        relinked = timed("rebuild with public/ deleted", lambda: pipeline.build(root))
        shutil.rmtree(work / "trash")

        print("full builds (podkit's from the stages' results), podkit and pelican in turn", flush=True)
        python = pelican_python()
        folder = pelican_site(work / "pelican", show, transcripts)
        fulls, pels = [], []
        for n in range(args.rounds):
            # podkit: everything after the per-episode stages, made from their cached results
            # (master, transcribe, writeup, tag) with nothing kept from an earlier build: no site
            # to reuse pages from, no search bundles, no memo of episodes or feed items.
            aside([show.output, *(show.cache_dir / name for name in ("search", "templates", memo.NAME,
                                                                    feeditems.MEMO_FILE))], work / "trash")
            fulls.append(timed(f"podkit ({n + 1})", lambda: pipeline.build(root)))
            aside([folder / "output"], work / "trash-pelican")
            pels.append(timed(f"pelican ({n + 1})", lambda: run_pelican(python, folder)))
            shutil.rmtree(work / "trash")
            shutil.rmtree(work / "trash-pelican")
        full, pel = statistics.median(fulls), statistics.median(pels)

        print("results")
        print(f"  full build from the stages' results (medians of {args.rounds}): podkit {full:.2f} s, "
              f"pelican {pel:.2f} s: podkit is {pel / full:.2f}x as fast (target >= 2x; pelican builds no "
              f"search index); by round: {', '.join(f'{p / f:.2f}x' for f, p in zip(fulls, pels, strict=True))}")
        print(f"  first build, writeups made from the transcripts: podkit {first:.2f} s: "
              f"{pel / first:.2f}x as fast as pelican")
        print(f"  rebuild with public/ deleted: {relinked:.2f} s ({pel / relinked:.1f}x as fast as pelican)")
        print(f"  no-op rebuild: {noop:.3f} s (target < 1 s); the build after the first: {second:.2f} s")
        print(f"  one-episode edit (middle of three): {one:.3f} s = {100 * one / full:.1f}% of the full build "
              f"(target < 5%), {100 * one / first:.1f}% of the first build")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
