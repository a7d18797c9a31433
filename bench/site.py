"""Benchmark rendering the site of a large show, against Pelican building the same articles.

    .venv/bin/python bench/site.py [--episodes 500] [--words 9000] [--keep DIR]

Generates a show of N episodes whose transcripts are about W words each (sentences from the
shared clips' transcripts in ../shared/audio/*.txt, shuffled per episode, two speakers,
chapters every ten minutes). No audio is processed: the Site and EpisodeView objects are built
directly, as the pipeline builds them from its cache, and published through the same
`pipeline.publish` the build command uses (render + search index + feed + atomic swap).

Times: the full build into an empty output, a no-op rebuild, and a rebuild after editing one
episode's notes. Then installs Pelican into a throwaway virtual environment (cached under
~/.cache/podkit-bench) and builds the same articles (notes plus the transcript as Markdown,
chapter headings, speaker names) with its defaults and pagination of 20. Prints ratios.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolkit import pipeline, site  # noqa: E402
from toolkit.article import article  # noqa: E402
from toolkit.scaffold import make_artwork  # noqa: E402
from toolkit.show import Chapter, Show, load_show  # noqa: E402
from toolkit.transcript import Segment, Transcript, Word  # noqa: E402
from toolkit.views import EpisodeView, Site  # noqa: E402

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


def make_show(folder: Path, n: int) -> Show:
    folder.mkdir(parents=True)
    (folder / "podkit.toml").write_text(TOML)
    make_artwork(folder / "artwork.png", "Bench Show")
    start = datetime(2020, 1, 6, 7, tzinfo=UTC)
    tags = ["mlops", "data", "infrastructure", "testing", "careers", "research", "speech", "ethics"]
    for i in range(1, n + 1):
        ep = folder / "episodes" / f"episode-{i:04d}"
        ep.mkdir(parents=True)
        date = (start + timedelta(days=7 * i)).isoformat()
        chosen = ", ".join(f'"{tags[(i + k) % len(tags)]}"' for k in range(2))
        ep.joinpath("episode.md").write_text(
            f'+++\ntitle = "Episode {i}: shipping models, part {i}"\ndate = {date}\nnumber = {i}\n'
            f'description = "Conversation number {i} about putting models into production."\n'
            f"tags = [{chosen}]\n"
            f'[[people]]\nname = "{HOST}"\nrole = "host"\ntrack = "host.flac"\n'
            f'[[people]]\nname = "{GUEST}"\nrole = "guest"\ntrack = "guest.flac"\n'
            f'+++\n\nIn this episode we talk about **deployment**, monitoring and the people who do it.\n\n'
            f"- What broke in release {i}\n- How it was measured\n- What they would do again\n")
    return load_show(folder, check_audio=False)


def make_views(show: Show, words: int, audio_file: Path) -> tuple[Site, dict[str, Path], dict[str, str]]:
    pool = sentences()
    views, audio, keys = [], {}, {}
    for ep in show.episodes:
        seed = int(ep.slug.rsplit("-", 1)[1])
        transcript = make_transcript(random.Random(seed), pool, words)
        chapters = tuple(Chapter(float(m * 600), f"Part {m + 1}") for m in range(int(transcript.duration // 600) + 1))
        ep = dataclasses.replace(ep, guid=f"guid-{seed}", chapters=chapters)
        audio[ep.slug] = audio_file
        # What the transcription cache key is to a real build: the transcript's identity.
        keys[ep.slug] = hashlib.sha256(f"bench/{seed}/{words}".encode()).hexdigest()
        views.append(_view(ep, transcript, audio_file))
    views.sort(key=lambda v: (v.date, v.episode.number or 0, v.slug), reverse=True)
    return Site(show, tuple(views), "artwork.png", datetime.now(UTC)), audio, keys


def _view(ep: object, transcript: Transcript, audio_file: Path) -> EpisodeView:
    from toolkit.show import Episode

    assert isinstance(ep, Episode) and ep.guid
    return EpisodeView(
        episode=ep, guid=ep.guid, audio_path=f"episodes/{ep.slug}/{ep.slug}.mp3",
        audio_bytes=audio_file.stat().st_size, duration=transcript.duration, chapters=ep.chapters,
        transcript=transcript, files=site.episode_files(ep.slug), article=article(transcript, ep.chapters),
        notes_html=site.markdown_html(ep.notes), notes_text=site.markdown_text(ep.notes), published=True)


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


def pelican_site(folder: Path, view: Site) -> Path:
    content = folder / "content"
    content.mkdir(parents=True)
    for v in view.episodes:
        ep = v.episode
        lines = [f"Title: {ep.title}", f"Date: {ep.date:%Y-%m-%d %H:%M}", f"Slug: {ep.slug}",
                 f"Tags: {', '.join(ep.tags)}", f"Authors: {', '.join(p.name for p in ep.people)}",
                 f"Summary: {ep.description}", "", ep.notes, "", "## Transcript", ""]
        for section in v.article.sections:
            if section.title:
                lines += [f"### {section.title}", ""]
            for p in section.paragraphs:
                lines += [f"**{p.speaker}:** {p.text}", ""]
        (content / f"{ep.slug}.md").write_text("\n".join(lines))
    (folder / "pelicanconf.py").write_text(
        'SITENAME = "Bench Show"\nSITEURL = ""\nTIMEZONE = "UTC"\nDEFAULT_LANG = "en"\nDEFAULT_PAGINATION = 20\n')
    return folder


def run_pelican(python: Path, folder: Path) -> None:
    out = folder / "output"
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([python, "-m", "pelican", str(folder / "content"), "-o", str(out), "-s",
                    str(folder / "pelicanconf.py"), "-q"], check=True, cwd=folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--words", type=int, default=9000)
    parser.add_argument("--keep", type=Path, help="work here and keep the result (default: a temp folder)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="podkit-bench-site-"))
    try:
        print(f"generating {args.episodes} episodes of ~{args.words} words in {work}", flush=True)
        t = time.perf_counter()
        show = make_show(work / "show", args.episodes)
        audio_file = work / "audio.mp3"
        audio_file.write_bytes(b"\xff\xfb\x90\x00" * 256)  # a stand-in: audio is published by hard link
        view, audio, keys = make_views(show, args.words, audio_file)
        pages = sum(len(v.article.paragraphs) for v in view.episodes)
        print(f"  generated in {time.perf_counter() - t:.1f} s ({pages} transcript paragraphs)", flush=True)

        print("podkit", flush=True)
        full = timed("full build", lambda: pipeline.publish(show, view, audio, transcript_keys=keys))
        noop = timed("no-op rebuild", lambda: pipeline.publish(show, view, audio, transcript_keys=keys))
        target = view.episodes[len(view.episodes) // 2]
        notes = target.episode.notes + "\n\nA correction, added after publishing.\n"
        edited_ep = dataclasses.replace(target.episode, notes=notes)
        edited = dataclasses.replace(target, episode=edited_ep, notes_html=site.markdown_html(notes),
                                     notes_text=site.markdown_text(notes))
        view2 = dataclasses.replace(view, episodes=tuple(edited if v is target else v for v in view.episodes))
        one = timed("rebuild after one notes edit", lambda: pipeline.publish(show, view2, audio, transcript_keys=keys))
        assert "A correction" in (show.output / target.page_path / "index.html").read_text()

        print("pelican", flush=True)
        python = pelican_python()
        folder = pelican_site(work / "pelican", view)
        pel = timed("full build (pelican)", lambda: run_pelican(python, folder))

        print("results")
        print(f"  full build: podkit {full:.2f} s, pelican {pel:.2f} s: podkit is {pel / full:.2f}x faster "
              f"(target >= 2x)")
        print(f"  no-op rebuild: {noop:.3f} s (target < 1 s)")
        print(f"  one-episode edit: {one:.2f} s = {100 * one / full:.1f}% of the full build (target < 5%)")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
