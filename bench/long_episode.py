"""Benchmark `podkit build` of a 60-minute two-track interview, on every worker against one worker.

    .venv/bin/python bench/long_episode.py [--loops 75] [--model tiny.en] [--repeat 1] [--keep DIR]

Generates its input at run time: the shared two-track interview (../shared/audio/interview_*.flac,
47.8 s) looped ``--loops`` times, each track as its own file, in a fresh show with the sample show's
podkit.toml and artwork. Then, alternating, for each run (``--repeat`` rounds):

- floor: ffmpeg decoding both tracks, mixing them and encoding the MP3, no processing at all;
- podkit build with ``[build] jobs = 2`` (every worker on this machine) and with ``jobs = 1``, each in
  a fresh copy of the show (nothing cached), its peak memory read from /proc over its whole process
  tree (the build, its transcription workers, ffmpeg) every 0.2 s.

Prints for each build the real-time factor (audio seconds per wall second), CPU seconds (user + system,
children included), peak memory of the tree (and of each of its processes at that moment), each
stage's wall and CPU time as `podkit build` printed it, and the ratios: 2 workers against 1, the
master stage against the floor. The machine's load (from /proc/loadavg) is printed before and after
each run: on a shared machine, compare ratios measured in the same run, not wall times of different
runs. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "audio"
PODKIT = Path(sys.executable).with_name("podkit")


def ffmpeg(*args: str) -> None:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"ffmpeg failed: {proc.stderr[-2000:]}")


def load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 1)[0]


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def make_show(work: Path, loops: int, model: str) -> tuple[Path, float]:
    show = work / "show"
    folder = show / "episodes" / "long-interview"
    folder.mkdir(parents=True)
    config = (ROOT / "podkit.toml").read_text()
    config = re.sub(r"(?m)^guid = .*\n", "", config)  # a new show: its own podcast guid
    if "[transcribe]" in config:
        config = config.replace("[transcribe]\n", f'[transcribe]\nmodel = "{model}"\n', 1)
    else:
        config += f'\n[transcribe]\nmodel = "{model}"\n'
    (show / "podkit.toml").write_text(config)
    shutil.copy(ROOT / "artwork.png", show)
    episode = (ROOT / "episodes" / "two-microphones-one-conversation" / "episode.md").read_text()
    (folder / "episode.md").write_text(episode)
    for name in ("host", "guest"):
        ffmpeg("-stream_loop", str(loops - 1), "-i", str(SHARED / f"interview_{name}.flac"), "-c:a", "flac",
               str(folder / f"{name}.flac"))
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                          str(folder / "host.flac")], capture_output=True, text=True, check=True).stdout
    return show, float(out)


def tree_rss(pid: int) -> list[tuple[int, int, str]]:
    """(pid, resident bytes, command) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in rss:
            try:
                command = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                command = "?"
            found.append((p, rss[p], command))
        todo.extend(children.get(p, ()))
    return found


@dataclass
class Result:
    wall: float
    cpu: float
    peak: int  # bytes
    at_peak: list[tuple[int, int, str]]  # (pid, bytes, command) of each process at the peak
    stages: list[str]  # the lines `podkit build` printed with each stage's times
    load: str


def build(show: Path, jobs: int, work: Path) -> Result:
    copy = work / f"jobs{jobs}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(show, copy)
    config = copy / "podkit.toml"
    config.write_text(config.read_text() + f"\n[build]\njobs = {jobs}\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="300")  # one line per episode
    before, cpu0, t = load(), children_cpu(), time.perf_counter()
    proc = subprocess.Popen([str(PODKIT), "build", "--show", str(copy)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    peak, at_peak = 0, []
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak, at_peak
        while not stop.wait(0.2):
            found = tree_rss(proc.pid)
            if sum(r for _, r, _ in found) > peak:
                peak, at_peak = sum(r for _, r, _ in found), found

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    wall, cpu = time.perf_counter() - t, children_cpu() - cpu0
    if proc.returncode != 0:
        sys.exit(f"podkit build failed:\n{err[-3000:]}")
    stages = [line for line in (out + err).splitlines() if re.match(r"\s*(long-interview|site):", line)]
    shutil.rmtree(copy, ignore_errors=True)
    return Result(wall, cpu, peak, at_peak, stages, f"{before} -> {load()}")


def _role(command: str) -> str:
    """A short name for a process of the build's tree."""
    if "resource_tracker" in command:
        return "resource tracker"
    if "spawn_main" in command:
        return "worker"
    if " build " in command:
        return "podkit build"
    return command.split(" ", 1)[0].rsplit("/", 1)[-1]


def stage_wall(result: Result, stage: str) -> float:
    for line in result.stages:
        m = re.search(rf"\b{stage} (\d+\.\d) s \((\d+\.\d) s CPU\)", line)
        if m:
            return float(m.group(1))
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--loops", type=int, default=75, help="times the 47.8 s interview is looped (75: 60 min)")
    parser.add_argument("--model", default="tiny.en", help="Whisper model (tiny.en is podkit's default; or base)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of floor, 2 workers, 1 worker")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each line as it comes, even piped
    work = args.keep or Path(tempfile.mkdtemp(prefix="podkit-bench-long-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        show, duration = make_show(work / "input", args.loops, args.model)
        tracks = [show / "episodes" / "long-interview" / f"{n}.flac" for n in ("host", "guest")]
        print(f"input: {duration / 60:.1f} min two-track interview, model {args.model}, {os.cpu_count()} cores, "
              f"load {load()}")
        for round_ in range(args.repeat):
            c, t = children_cpu(), time.perf_counter()
            ffmpeg("-i", str(tracks[0]), "-i", str(tracks[1]), "-filter_complex", "amix=inputs=2:normalize=0",
                   "-ac", "1", "-ar", "44100", "-b:a", "64k", str(work / "floor.mp3"))
            floor, floor_cpu = time.perf_counter() - t, children_cpu() - c
            print(f"round {round_ + 1}: floor (decode both, mix, encode) {floor:.1f} s, {floor_cpu:.1f} s CPU")
            results = {}
            for jobs in (2, 1):
                r = results[jobs] = build(show, jobs, work)
                print(f"  jobs={jobs}: {r.wall:.1f} s wall = {duration / r.wall:.1f}x real time, "
                      f"{r.cpu:.1f} s CPU, peak memory {r.peak / 2**30:.2f} GiB (load {r.load})")
                for line in r.stages:
                    print(f"    {line.strip()}")
                print("    at the peak: " + ", ".join(f"{b / 2**20:.0f} MiB {_role(c)} ({p})" for p, b, c in r.at_peak))
            two, one = results[2], results[1]
            print(f"  ratio 1 worker / 2 workers: wall {one.wall / two.wall:.2f}x, "
                  f"transcribe {stage_wall(one, 'transcribe') / stage_wall(two, 'transcribe'):.2f}x")
            print(f"  master stage / floor: {stage_wall(two, 'master') / floor:.2f}x (jobs=2), "
                  f"{stage_wall(one, 'master') / floor:.2f}x (jobs=1)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
