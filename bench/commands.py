"""The wall time of podkit's commands as a user runs them, against starting Python itself.

    .venv/bin/python bench/commands.py [--runs 10] [--episodes 500] [--skip-large]
                                       [--words 9000] [--large DIR] [--code DIR] [--as-is]

Each command runs as a fresh process (the venv's ``podkit`` script, from the show's folder, its
output read through a pipe) and is timed from start to exit. The baseline is ``python -c pass``
with the venv's python, in the same run: every round runs the baseline and each command once, in
an order that is reversed every other round, so a slow spell of the machine (it is shared) falls
on all of them alike. Printed: the median of ``--runs`` rounds of each, its ratio to the
baseline's median, and whether it meets its target:

- ``podkit --help``: <= 0.15 s;
- ``podkit build`` with nothing to do, on the sample show (podkit.toml, artwork.png and
  episodes/ of this repository, copied to a temporary folder and built once first: that masters
  and transcribes two episodes, about a minute): <= 0.3 s;
- ``podkit build`` with nothing to do, on the large show of bench/show500.py (``--episodes``,
  default 500; generated with its cache seeded, then built once first, which makes every
  episode's content: minutes): <= 0.5 s;
- ``podkit build`` on the large show after ``touch`` of one episode.md (new modification time,
  same content): reported, no target. The build cannot tell from file stats that nothing
  changed, so this is the cost of finding out.

Python keeps the compiled bytecode of the modules between runs, as it does for a user: the
processes run without PYTHONDONTWRITEBYTECODE, which some environments set (this workplace's
does, and then nothing compiles podkit's own modules ahead: every start compiles them again, some
40 ms more for a build with nothing to do), and with PYTHONPYCACHEPREFIX in the benchmark's
temporary folder, so that no bytecode is written into the source tree. A first untimed run of
each command writes it. With ``--as-is`` they run in the environment as it is.

Every build timed must say that it had nothing to do; one that did work (someone changed podkit's
code or theme under the benchmark: the build state is keyed on them) is reported, not counted,
and run again. ``--code DIR`` runs every process (the baseline too) with DIR first on PYTHONPATH,
e.g. a copy of toolkit/ and templates/ made with ``cp -r toolkit templates DIR``, so that edits to
the tree while the benchmark runs change nothing. ``--large DIR`` keeps the large show in DIR (and
reuses one made there before, e.g. by ``bench/site.py --keep DIR``: its show/ folder).
Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

BIN = Path(sys.executable).parent  # the venv's bin/: run this script with the venv's python
PYTHON = BIN / "python"
PODKIT = BIN / "podkit"
IDLE = "nothing to do"  # what `podkit build` prints when it ran no stage and published nothing


@dataclass
class Command:
    label: str
    argv: list[str]
    cwd: Path
    target: float | None = None  # seconds
    before: Callable[[], None] | None = None  # untimed, before each run
    idle: bool = False  # a build that must have nothing to do
    times: list[float] = field(default_factory=list)
    redone: int = 0


def run_once(cmd: Command, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    if cmd.before is not None:
        cmd.before()
    t = time.perf_counter()
    proc = subprocess.run(cmd.argv, cwd=cmd.cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - t, proc


def measure(cmd: Command, env: dict[str, str], tries: int = 3) -> None:
    """One timed run of ``cmd``, run again (up to ``tries`` times) when a build was not idle."""
    for _ in range(tries):
        elapsed, proc = run_once(cmd, env)
        if proc.returncode != 0:
            raise SystemExit(f"{cmd.label} failed ({proc.returncode}):\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        if not cmd.idle or IDLE in proc.stdout:
            cmd.times.append(elapsed)
            return
        cmd.redone += 1
        print(f"  {cmd.label}: this run did work ({elapsed:.1f} s, {proc.stdout.strip()[-200:]!r}); not counted",
              flush=True)
    raise SystemExit(f"{cmd.label}: no idle build in {tries} tries: is someone editing podkit's code?")


def build_once(label: str, show: Path, env: dict[str, str]) -> None:
    """The untimed build that makes a show current before its no-op builds are timed."""
    print(f"building the {label} once first ...", flush=True)
    t = time.perf_counter()
    proc = subprocess.run([str(PODKIT), "build"], cwd=show, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"podkit build of {show} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    print(f"  {time.perf_counter() - t:.1f} s: {proc.stdout.strip().splitlines()[-1]}", flush=True)


def sample_show(work: Path) -> Path:
    show = work / "sample"
    show.mkdir()
    shutil.copy2(ROOT / "podkit.toml", show / "podkit.toml")
    shutil.copy2(ROOT / "artwork.png", show / "artwork.png")
    shutil.copytree(ROOT / "episodes", show / "episodes")
    return show


def large_show(folder: Path, episodes: int, words: int) -> Path:
    """bench/show500.py's show in ``folder``/show: the one there, or a new one with its cache seeded."""
    show = folder / "show"
    if (show / "podkit.toml").is_file():
        found = sum(1 for p in (show / "episodes").iterdir() if p.is_dir())
        print(f"reusing the large show in {show} ({found} episodes)", flush=True)
        return show
    from bench.show500 import make_show, seed_cache

    print(f"generating {episodes} episodes of ~{words} words in {show}", flush=True)
    t = time.perf_counter()
    made, transcripts = make_show(show, episodes, words)
    seed_cache(made, transcripts)
    print(f"  generated and cached in {time.perf_counter() - t:.1f} s", flush=True)
    return show


def newest_notes(show: Path) -> Path:
    return sorted((show / "episodes").glob("*/episode.md"))[-1]


def touch(path: Path) -> Callable[[], None]:
    def bump() -> None:
        now = time.time_ns()
        os.utime(path, ns=(now, now))

    return bump


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="rounds; medians of this many runs (default 10)")
    parser.add_argument("--episodes", type=int, default=500, help="episodes of the large show (default 500)")
    parser.add_argument("--words", type=int, default=9000, help="words per transcript of the large show")
    parser.add_argument("--skip-large", action="store_true", help="leave out the large show")
    parser.add_argument("--large", type=Path, help="keep the large show here (reuse the one here)")
    parser.add_argument("--code", type=Path, help="run podkit from this copy of toolkit/ (and templates/)")
    parser.add_argument("--as-is", action="store_true",
                        help="keep PYTHONDONTWRITEBYTECODE if the environment sets it")
    args = parser.parse_args()
    if not PODKIT.is_file():
        raise SystemExit(f"no podkit in {BIN}: run this with the venv's python (.venv/bin/python)")
    env = dict(os.environ)
    if args.code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(args.code.resolve()), *filter(None, [env.get("PYTHONPATH")])])
    work = Path(tempfile.mkdtemp(prefix="podkit-bench-commands-"))
    if not args.as_is:  # the first run of each command writes the bytecode, outside the source tree
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    try:
        where = subprocess.run([str(PYTHON), "-c", "import toolkit; print(toolkit.__file__)"], env=env, cwd=work,
                               capture_output=True, text=True, check=True).stdout.strip()
        print(f"podkit's code: {Path(where).parent}; bytecode kept between runs: "
              f"{'no' if env.get('PYTHONDONTWRITEBYTECODE') else 'yes'}", flush=True)
        sample = sample_show(work)
        build_once("sample show", sample, env)
        commands = [
            Command("podkit --help", [str(PODKIT), "--help"], work, 0.15),
            Command("podkit build, nothing to do (sample show)", [str(PODKIT), "build"], sample, 0.3, idle=True),
        ]
        if not args.skip_large:
            large = large_show(args.large or work / "large", args.episodes, args.words)
            build_once(f"large show ({args.episodes} episodes)", large, env)
            count = sum(1 for p in (large / "episodes").iterdir() if p.is_dir())
            commands += [
                Command(f"podkit build, nothing to do ({count} episodes)", [str(PODKIT), "build"], large, 0.5,
                        idle=True),
                Command(f"podkit build, one episode.md touched ({count})", [str(PODKIT), "build"], large,
                        before=touch(newest_notes(large)), idle=True),
            ]
        baseline = Command("python -c pass (baseline)", [str(PYTHON), "-c", "pass"], work)
        everything = [baseline, *commands]
        for cmd in everything:  # untimed: writes the bytecode of what each command imports
            measure(cmd, env)
            cmd.times.clear()
        print(f"{args.runs} rounds of {len(everything)} processes, in alternating order", flush=True)
        for n in range(args.runs):
            for cmd in everything if n % 2 == 0 else everything[::-1]:
                measure(cmd, env)
            print(f"  round {n + 1}: " + ", ".join(f"{cmd.times[-1]:.3f}" for cmd in everything), flush=True)

        base = statistics.median(baseline.times)
        print(f"results (medians of {args.runs} runs; ratio to the baseline's median)")
        for cmd in everything:
            median = statistics.median(cmd.times)
            line = f"  {cmd.label:<48} {median:7.3f} s {median / base:7.2f}x"
            if cmd.target is not None:
                line += f"   target <= {cmd.target:.2f} s: " + ("met" if median <= cmd.target else "MISSED")
            if cmd.redone:
                line += f"   ({cmd.redone} run(s) that did work not counted)"
            print(line)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
