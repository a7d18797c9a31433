"""Worker processes that start and stop with the command, quietly, whatever stops it.

A Ctrl-C reaches the terminal's whole process group; a SIGTERM (a service manager, `kill`, a CI
timeout) reaches podkit's own process only. Left to themselves, worker processes would answer the
first by stopping their task while the pool hands them the next one (or, idle or still starting,
by printing a traceback each), and would not hear the second at all. So the workers take neither:

- they ignore SIGINT, and podkit stops them itself when the command stops, for any reason: the tasks
  not begun are cancelled, each worker is sent SIGTERM, which in a running task raises `SystemExit`
  so that it unwinds as any interrupted code does (ffmpeg stopped, temporary files removed) and the
  worker leaves without taking another;
- a worker is launched with no interruption half-way: a Ctrl-C or SIGTERM to podkit meanwhile is taken
  once it is launched (an interrupted launch leaves the new process reading half its instructions,
  with a traceback), and the new process holds a Ctrl-C back until it can ignore it.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def starting() -> Iterator[None]:
    """Launch worker processes in this block: they start with SIGINT blocked (the mask survives exec;
    `_started` then ignores it), and a Ctrl-C or SIGTERM to this process meanwhile is taken as the block
    ends. Outside the main thread (where signal handlers cannot be set) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()  # first: launching it unblocks SIGINT in the launching thread
    held: list[int] = []

    def hold(signum: int, frame: Any) -> None:
        held.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if held:
            signal.raise_signal(held[0])


class Workers:
    """A pool of spawned worker processes (fresh interpreters: no copy of this process's memory or
    threads), each running `initializer` once as it starts."""

    def __init__(self, executor: ProcessPoolExecutor) -> None:
        self._executor = executor

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        with starting():  # a submit may launch a worker
            return self._executor.submit(_task, fn, *args)


@contextmanager
def pool(n: int, initializer: Callable[..., object] | None = None, initargs: tuple[Any, ...] = ()) -> Iterator[Workers]:
    """`n` workers for the block; on leaving it by an exception (Ctrl-C and SIGTERM included) the
    tasks not begun are cancelled and the running ones stopped, not waited for."""
    from multiprocessing import active_children, get_context

    before = set(active_children())
    executor = ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn"),
                                   initializer=_started, initargs=(initializer, initargs))
    try:
        yield Workers(executor)
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        mine = [p for p in active_children() if p not in before]
        for p in mine:
            p.terminate()
        for p in mine:
            p.join()
        raise
    executor.shutdown(wait=True)


class _Stop(SystemExit):
    """Raised in a worker by the SIGTERM podkit sends it as the command stops."""


def _stop(signum: int, frame: Any) -> None:
    raise _Stop(128 + signum)


def _started(initializer: Callable[..., object] | None, initargs: tuple[Any, ...]) -> None:
    """A worker's start: SIGINT ignored from now on (it was blocked while the worker started), its
    initializer under SIGTERM's default (the worker simply ends: an exception there would be logged with
    its traceback), then SIGTERM unwinds what runs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if initializer is not None:
        initializer(*initargs)
    signal.signal(signal.SIGTERM, _stop)


def _task(fn: Callable[..., T], *args: Any) -> T:
    """Run a task; stopped, leave once it has unwound (an idle worker stopped leaves by `_Stop` too)."""
    try:
        return fn(*args)
    except _Stop as stop:
        os._exit(stop.code if isinstance(stop.code, int) else 1)
