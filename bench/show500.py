"""The large generated show of the site and command benchmarks (bench/site.py, bench/commands.py).

`make_show` writes a show of N episodes whose transcripts are about W words each (sentences from
the shared clips' transcripts in ../shared/audio/*.txt, shuffled per episode, two speakers,
chapters every ten minutes). Each episode's recording is the same four-second clip of jfk.flac
as an MP3, with an ID3v1 tag naming the episode, so that every episode has its own cache keys.

`seed_cache` puts into the show's cache what the master, transcribe and diarize stages would have
left there, so that a build runs only the stages after them (content, tag) and the site: the master
stage is run for real once, on the clip, and its result (the mastered MP3 and its report, the
report's duration set to the transcript's) is put under each episode's master key; then the
episode's transcript is put under the key of its transcribe job, which names that master entry,
and under the key of its diarize job (its speakers are already set).
Both keys are the ones `podkit build` asks for: each is `Cache.key` of the stage's job as
`stages.STAGES` makes it from the show, the episode and the earlier stages' results.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from toolkit.audio.master import AUDIO, REPORT, MasterReport
from toolkit.build.cache import Cache, code_digest
from toolkit.build.stages import STAGES, Stage
from toolkit.scaffold import make_artwork
from toolkit.show import Chapter, Show, load_show
from toolkit.speech.transcribe import TRANSCRIPT
from toolkit.speech.transcript import Segment, Transcript, Word

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "audio"
CLIP = SHARED / "jfk.flac"
CLIP_SECONDS = 4
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


def ffmpeg(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"ffmpeg failed: {proc.stderr[-2000:]}")


def make_show(folder: Path, n: int, words: int) -> tuple[Show, dict[str, Transcript]]:
    """The show's folder, and each episode's transcript (not yet in the cache)."""
    folder.mkdir(parents=True)
    (folder / "podkit.toml").write_text(TOML)
    make_artwork(folder / "artwork.png", "Bench Show")
    clip = folder / "clip.mp3"
    ffmpeg("-i", str(CLIP), "-t", str(CLIP_SECONDS), "-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "64k",
           str(clip))
    audio = clip.read_bytes()
    clip.unlink()
    start = datetime(2020, 1, 6, 7, tzinfo=UTC)
    tags = ["mlops", "data", "infrastructure", "testing", "careers", "research", "speech", "ethics"]
    pool = sentences()
    transcripts = {}
    for i in range(1, n + 1):
        slug = f"episode-{i:04d}"
        ep = folder / "episodes" / slug
        ep.mkdir(parents=True)
        # A valid MP3 whose bytes differ per episode (an ID3v1 tag), so each has its own cache keys.
        ep.joinpath("recording.mp3").write_bytes(audio + b"TAG" + f"{slug:<125}".encode())
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
    # The build probes every recording once (and remembers it); the generator needs no probe.
    return load_show(folder, check_audio=False), transcripts


def seed_cache(show: Show, transcripts: dict[str, Transcript]) -> list[str]:
    """What master and transcribe would have left in the cache (see the module's docstring).
    Returns the warnings of the one real master run."""
    stages = {stage.name: stage for stage in STAGES}
    master, transcribe, diarize = stages["master"], stages["transcribe"], stages["diarize"]
    cache = Cache(show.cache_dir)

    def key(stage: Stage, job: object) -> str:  # as `stages.run_episode` keys the stage's result
        return cache.key(stage.name, stage.version or code_digest(), job)

    def quiet(done: float, total: float) -> None:
        pass

    with tempfile.TemporaryDirectory(prefix="podkit-bench-master-") as tmp:
        mastered = Path(tmp)
        master.make(master.job(show, show.episodes[-1], {}), mastered, quiet)
        report = MasterReport.from_dict(json.loads((mastered / REPORT).read_text()))
        for ep in show.episodes:
            transcript = transcripts[ep.slug]
            job = master.job(show, ep, {})
            seeded = dataclasses.replace(report, duration=transcript.duration)

            def put_master(folder: Path, seeded: MasterReport = seeded) -> None:
                shutil.copyfile(mastered / AUDIO, folder / AUDIO)
                (folder / REPORT).write_text(json.dumps(seeded.to_dict()))

            done = {master.name: cache.put(master.name, key(master, job), put_master)}
            job = transcribe.job(show, ep, done)

            def put_transcript(folder: Path, transcript: Transcript = transcript) -> None:
                (folder / TRANSCRIPT).write_text(json.dumps(transcript.to_dict()))

            done[transcribe.name] = cache.put(transcribe.name, key(transcribe, job), put_transcript)
            # One recording, two people: the build would diarize it; its result is the same transcript.
            job = diarize.job(show, ep, done)
            cache.put(diarize.name, key(diarize, job), put_transcript)
    return list(report.warnings)
