"""Benchmark the master stage against the floor and the usual peer, on about an hour of speech.

    .venv/bin/python bench/master.py [--loops 16] [--keep DIR]

Generates its input at run time (../shared/audio/lj-chapter.opus looped; a mono 16 kHz Opus
file as recorded, and a stereo 44.1 kHz FLAC variant), then for each input times:

- floor: ffmpeg decoding the input and encoding the MP3, no processing at all;
- peer:  two-pass ffmpeg loudnorm (measure, then apply with the measured values);
- podkit: toolkit.audio.master.master(), run in a child process so its peak RSS can be read.

Prints podkit's time as a ratio to both, podkit's peak RSS, and the loudness and true peak of
each result measured with ffmpeg's ebur128 (the independent meter). Also the CPU time (user +
system, ffmpeg children included) of the floor and of podkit: on a shared machine the wall
clock of a two-core pipeline moves with the other load far more than that of the one-process
floor, and the CPU time says which of the two moved. ``--repeat N`` runs floor and podkit N
times each, alternating, and keeps the fastest of each. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "audio" / "lj-chapter.opus"

CHILD = """
import json, os, resource, sys, time
from pathlib import Path
from toolkit.audio.master import master
from toolkit.config import MasterSettings
t, c = time.perf_counter(), os.times()
report = master([Path(sys.argv[1])], Path(sys.argv[2]), MasterSettings())
elapsed, d = time.perf_counter() - t, os.times()
cpu = sum(d[:4]) - sum(c[:4])  # user + system, of this process and of its ffmpeg children
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "cpu": cpu, "rss_mib": rss, "renders": report.renders,
                  "lufs": report.output_lufs, "tp": report.output_true_peak}))
"""


def ffmpeg(*args: str) -> str:
    proc = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-y", *args], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"ffmpeg failed: {proc.stderr[-2000:]}")
    return proc.stderr


def timed(fn: object, *args: str) -> float:
    t = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - t


def children_cpu() -> float:
    """User + system seconds of the finished child processes so far."""
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def meter(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak by ffmpeg's ebur128 filter."""
    err = ffmpeg("-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-")
    summary = err[err.rfind("Summary:"):]
    i = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    tp = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return i, tp


def make_inputs(work: Path, loops: int) -> list[tuple[str, Path, int, float]]:
    listing = work / "list.txt"
    listing.write_text("".join(f"file '{SOURCE}'\n" for _ in range(loops)))
    mono = work / "long-mono.opus"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(mono))
    stereo = work / "long-stereo.flac"
    ffmpeg("-i", str(mono), "-ar", "44100", "-ac", "2", "-c:a", "flac", str(stereo))
    return [("mono 16k opus", mono, 1, -19.0), ("stereo 44.1k flac", stereo, 2, -16.0)]


def podkit_run(src: Path, out: Path) -> tuple[dict[str, float], float]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(src), str(out)], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"podkit failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


def run(name: str, src: Path, channels: int, target: float, work: Path, repeat: int) -> None:
    bitrate = "64k" if channels == 1 else "128k"
    enc = ["-ac", str(channels), "-ar", "44100", "-c:a", "libmp3lame", "-b:a", bitrate]
    floor_out = work / "floor.mp3"
    out = work / "podkit.mp3"
    floors: list[tuple[float, float]] = []
    runs: list[tuple[dict[str, float], float]] = []
    for _ in range(repeat):
        c = children_cpu()
        floors.append((timed(ffmpeg, "-i", str(src), *enc, str(floor_out)), children_cpu() - c))
        runs.append(podkit_run(src, out))
    floor, floor_cpu = min(floors)
    child, wall = min(runs, key=lambda r: r[0]["seconds"])

    peer_out = work / "peer.mp3"

    def peer() -> None:
        spec = f"loudnorm=I={target}:TP=-1:LRA=11"
        err = ffmpeg("-i", str(src), "-af", spec + ":print_format=json", "-f", "null", "-")
        m = json.loads(err[err.rfind("{"):])
        ffmpeg("-i", str(src), "-af",
               f"{spec}:measured_I={m['input_i']}:measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}"
               f":measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true",
               *enc, str(peer_out))

    peer_s = timed(peer)

    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # includes ffmpeg children
    podkit = child["seconds"]
    pi, ptp = meter(out)
    qi, qtp = meter(peer_out)
    print(f"\n== {name} (target {target} LUFS, -1 dBTP) ==")
    print(f"floor  (decode+encode)  {floor:7.1f} s   cpu {floor_cpu:5.1f} s")
    print(f"peer   (2-pass loudnorm){peer_s:7.1f} s   {qi:6.1f} LUFS  {qtp:5.1f} dBTP")
    print(f"podkit master()         {podkit:7.1f} s   {pi:6.1f} LUFS  {ptp:5.1f} dBTP  "
          f"(renders {child['renders']}, process wall {wall:.1f} s, cpu {child['cpu']:.1f} s)")
    if repeat > 1:
        floor_list = ", ".join(f"{f:.1f}" for f, _ in floors)
        podkit_list = ", ".join(f"{r['seconds']:.1f}" for r, _ in runs)
        print(f"fastest of {repeat}: floor runs {floor_list} s, podkit runs {podkit_list} s")
    print(f"ratio to floor {podkit / floor:.2f}x   to peer {podkit / peer_s:.2f}x   "
          f"cpu ratio to floor {child['cpu'] / floor_cpu:.2f}x   "
          f"peak RSS podkit process {child['rss_mib']:.0f} MiB (largest child so far {rss:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=16, help="copies of lj-chapter.opus (16 = 62 min)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep the files")
    parser.add_argument("--only", choices=["mono", "stereo"], help="run one of the two inputs")
    parser.add_argument("--repeat", type=int, default=1, help="run floor and podkit this often, keep the fastest")
    args = parser.parse_args()
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE} not found (../shared/audio next to the repository)")
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name, src, channels, target in make_inputs(work, args.loops):
            if args.only and not name.startswith(args.only):
                continue
            run(name, src, channels, target, work, max(1, args.repeat))


if __name__ == "__main__":
    main()
