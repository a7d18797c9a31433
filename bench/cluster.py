"""Benchmark `podkit build` of 8 episodes on a Dask cluster of local workers against podkit's own pool.

    .venv/bin/python bench/cluster.py [--rounds 2] [--model tiny.en] [--modes pool,workers,defaults,advised]

Generates its input at run time: 8 episodes cut from the shared lj-chapter.opus reading
(../shared/audio), 40 to 110 s each (600 s in all, so the episodes are of unequal length as a back
catalogue's are), in a fresh show with the sample show's settings. Then, alternating, for each round,
each mode builds a fresh copy of the show (nothing cached):

- pool: ``podkit build`` with ``[build] jobs = 2``, podkit's own 2-process pool (the baseline);
- workers: ``podkit build --workers 2``, the local Dask cluster podkit starts (start-up included);
- defaults: ``podkit build --cluster ADDRESS`` on ``dask scheduler`` + 2 ``dask worker --nthreads 1``
  started by hand with Dask's own defaults (so the nanny sets MALLOC_TRIM_THRESHOLD_);
- advised: the same, with the environment the README advises for workers started by hand.

For the hand-started clusters, the scheduler and workers are started fresh before each timed build
(their start-up is not timed; loading the model in the first task is). Prints each build's wall time,
real-time factor (audio seconds per wall second), CPU (the build's process tree for pool and
workers; the client only for the others) and the CPU of its stages as `podkit build` printed them
(wherever they ran: on a loaded machine the steadier figure), and per mode the ratios of its median
wall time and stage CPU to the pool's; then what one core does per stage: audio seconds per CPU
second of each stage (the figures the README's estimate for a large cluster is made of). The
machine's load is printed with each run: on a shared machine, compare ratios measured in the same
run, not wall times of different runs. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "audio"
PODKIT = Path(sys.executable).with_name("podkit")
DASK = Path(sys.executable).with_name("dask")
LENGTHS = (110, 40, 90, 60, 100, 50, 80, 70)  # seconds: 600 in all, the longest first and last
ADVISED = {"DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": "{'MALLOC_TRIM_THRESHOLD_': None}",
           "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
           "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
MODES = ("pool", "workers", "defaults", "advised")


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


def make_show(show: Path, model: str) -> float:
    """The 8 episodes' show; the seconds of audio in it."""
    config = (ROOT / "podkit.toml").read_text()
    config = re.sub(r"(?m)^guid = .*\n", "", config)  # a new show: its own podcast guid
    config = config.replace("[transcribe]\n", f'[transcribe]\nmodel = "{model}"\n', 1)
    show.mkdir(parents=True)
    (show / "podkit.toml").write_text(config)
    shutil.copy(ROOT / "artwork.png", show)
    start = 0
    for i, seconds in enumerate(LENGTHS, 1):
        folder = show / "episodes" / f"episode-{i}"
        folder.mkdir(parents=True)
        (folder / "episode.md").write_text(f'+++\ntitle = "Episode {i}"\ndate = 2026-01-{i:02d}\nnumber = {i}\n'
                                           f'audio = "recording.flac"\n+++\n\nA chapter read aloud.\n')
        offset = start % (231 - seconds)  # different stretches of the 231 s reading
        ffmpeg("-ss", str(offset), "-t", str(seconds), "-i", str(SHARED / "lj-chapter.opus"), "-c:a", "flac",
               str(folder / "recording.flac"))
        start += 37
    return float(sum(LENGTHS))


@contextmanager
def hand_started(work: Path, env: dict[str, str]) -> Iterator[str]:
    """A scheduler and 2 single-thread workers (each under its nanny) on 127.0.0.1; its address."""
    file = work / "scheduler.json"
    file.unlink(missing_ok=True)
    procs = []
    log = (work / "dask.log").open("ab")
    try:
        procs.append(subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", str(file)],
                                      stdout=log, stderr=log, env=env))
        while not file.exists() or not file.read_text().strip():
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        for i in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                           "--no-dashboard", "--name", f"w{i}"], stdout=log, stderr=log, env=env))
        from distributed import Client

        with Client(address, timeout=60) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


STAGE_RE = re.compile(r"\b(master|transcribe|content|tag) (\d+\.\d) s \((\d+\.\d) s CPU\)")


def stage_cpu(output: str) -> dict[str, float]:
    """CPU seconds of each stage, summed over the episodes, as `podkit build` printed them."""
    total: dict[str, float] = {}
    for line in output.splitlines():
        if re.match(r"\s*episode-\d+:", line):
            for stage, _wall, cpu in STAGE_RE.findall(line):
                total[stage] = total.get(stage, 0.0) + float(cpu)
    return total


def build(show: Path, work: Path, mode: str) -> tuple[float, float, str, dict[str, float]]:
    """One timed build of a fresh copy: (wall s, CPU s, load before -> after, each stage's CPU s)."""
    copy = work / mode
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(show, copy)
    (copy / "podkit.toml").write_text((copy / "podkit.toml").read_text() + "\n[build]\njobs = 2\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="300")  # one line per episode
    cmd = [str(PODKIT), "build", "--show", str(copy)]

    def timed(extra: list[str]) -> tuple[float, float, str, dict[str, float]]:
        before, cpu, t = load(), children_cpu(), time.perf_counter()
        proc = subprocess.run(cmd + extra, capture_output=True, text=True, env=env, check=False)
        wall, used = time.perf_counter() - t, children_cpu() - cpu
        if proc.returncode != 0:
            sys.exit(f"podkit build ({mode}) failed:\n{proc.stderr[-3000:]}")
        return wall, used, f"{before} -> {load()}", stage_cpu(proc.stdout + proc.stderr)

    try:
        if mode == "pool":
            return timed([])
        if mode == "workers":
            return timed(["--workers", "2"])
        dask_env = dict(env, **ADVISED) if mode == "advised" else env
        with hand_started(work, dask_env) as address:
            return timed(["--cluster", address])
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every mode, alternating")
    parser.add_argument("--model", default="tiny.en", help="Whisper model (tiny.en is podkit's default; or base)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= set(MODES) or "pool" not in modes:
        sys.exit(f"--modes: some of {', '.join(MODES)}, pool among them (the baseline)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="podkit-bench-cluster-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        show = work / "input"
        shutil.rmtree(show, ignore_errors=True)
        audio = make_show(show, args.model)
        print(f"input: {len(LENGTHS)} episodes, {audio:.0f} s of audio, model {args.model}, "
              f"{os.cpu_count()} cores, load {load()}")
        walls: dict[str, list[float]] = {m: [] for m in modes}
        stage_cpus: dict[str, list[float]] = {m: [] for m in modes}  # the stages' CPU s, all episodes
        stages: dict[str, list[float]] = {}
        for round_ in range(args.rounds):
            order = modes if round_ % 2 == 0 else modes[::-1]  # alternate who goes first
            for mode in order:
                wall, cpu, loads, per_stage = build(show, work, mode)
                walls[mode].append(wall)
                stage_cpus[mode].append(sum(per_stage.values()))
                for stage, seconds in per_stage.items():
                    stages.setdefault(stage, []).append(seconds)
                print(f"round {round_ + 1} {mode:>8}: {wall:6.1f} s wall = {audio / wall:5.1f}x real time, "
                      f"{cpu:6.1f} s CPU, stages {stage_cpus[mode][-1]:.1f} s CPU (load {loads})", flush=True)
        pool, pool_stages = statistics.median(walls["pool"]), statistics.median(stage_cpus["pool"])
        for mode in modes:
            ratios = " ".join(f"{w / p:.2f}" for w, p in zip(walls[mode], walls["pool"], strict=True))
            print(f"{mode:>8}: median {statistics.median(walls[mode]):.1f} s, "
                  f"{audio / statistics.median(walls[mode]):.1f}x real time, "
                  f"wall / pool's {statistics.median(walls[mode]) / pool:.2f} (per round: {ratios}); "
                  f"stages' CPU / pool's {statistics.median(stage_cpus[mode]) / pool_stages:.2f}")
        # Audio seconds per CPU second of each stage, over every build: what one core does.
        print("per core (audio s per CPU s of the stage, median over builds): " + ", ".join(
            f"{stage} {audio / cpu:.1f} ({cpu:.1f} s CPU)" if cpu else f"{stage} (under 0.1 s CPU)"
            for stage, cpu in ((stage, statistics.median(seconds)) for stage, seconds in stages.items())))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
