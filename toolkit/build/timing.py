"""Where a build's time goes: wall and CPU time of each stage, and cProfile files on request.

CPU time is user + system of this process and of every child process it waited for while the stage
ran (ffmpeg, LAME, the transcription workers): a stage that keeps two cores busy shows about twice
its wall time in CPU, one that waits on a single ffmpeg shows less. On a machine shared with other
work, CPU time moves less than wall time, so it is the figure to compare between runs.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class StageTime:
    wall: float  # seconds
    cpu: float  # seconds of CPU, this process and its waited-for children

    def __str__(self) -> str:
        return f"{self.wall:.1f} s ({self.cpu:.1f} s CPU)"


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    """Times one piece of work: ``with clock.running(): ...`` then ``clock.time``."""

    def __init__(self) -> None:
        self.time = StageTime(0.0, 0.0)

    @contextmanager
    def running(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), cpu_seconds()
        try:
            yield
        finally:
            self.time = StageTime(time.perf_counter() - wall, cpu_seconds() - cpu)


def profiled(path: Path | None, work: Callable[[], T]) -> T:
    """``work()``, and with a ``path``, its cProfile statistics written there (read with `pstats`).

    Only the calling thread is profiled; the work of child processes shows as time spent waiting.
    """
    if path is None:
        return work()
    import cProfile

    profile = cProfile.Profile()
    try:
        return profile.runcall(work)
    finally:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        profile.dump_stats(tmp)
        os.replace(tmp, path)


def summary(times: dict[str, StageTime]) -> str:
    """One line: each stage's wall and CPU time, in the order given."""
    return ", ".join(f"{name} {t}" for name, t in times.items())


__all__ = ["Clock", "StageTime", "cpu_seconds", "profiled", "summary"]
