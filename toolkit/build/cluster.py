"""Episodes processed on a Dask distributed cluster: a back catalogue on many machines.

`pipeline.process` hands the stale episodes here when ``--cluster ADDRESS`` (or ``[build] cluster``)
names a scheduler, or ``--workers N`` asks for a local cluster of N worker processes. Each episode is
one task: `stages.run_episode`, the very function the local pool runs, so the results are the same.

Storage is shared: a worker reads the episode's sources and writes its results into the show's cache
by the same absolute paths as the client (one machine, or an NFS/SMB mount at the same path on every
machine). A task carries the show's settings, the one episode and the paths, never audio. The client
checks this before sending work (`_preflight`): a worker that cannot see the show's cache, or runs
other podkit code or libraries (its results would be keyed as the client's), is refused with one
message, and so is a scheduler that cannot be reached or has no workers.

Results land in the content-addressed cache exactly as a local build's (`cache.Cache.put`: built in a
temporary folder, renamed into place when complete), so a build after a cluster run finds every stage
made. A worker killed mid-task leaves only its temporary folder (deleted by a later build's
`Cache.tidy`), and the scheduler runs the task again on another worker (tests/test_cluster.py kills
one). A client interrupted (Ctrl-C) cancels its tasks; one already running on a remote worker finishes
its stage whole or leaves nothing, so each entry is whole or absent and a re-run resumes.

Workers keep the Whisper model loaded between tasks: the engine keeps one loaded model per process
(`speech.faster_whisper`), and Dask workers are long-lived processes.

What is not sent to the cluster: the pieces of one long recording (`speech.pieces`). A task decodes its
episode's pieces one after the other on its worker, as a worker of the local pool does; a back
catalogue has many episodes to keep every worker busy, and one long episode is faster on the local
pool (`[build] jobs`), which decodes its pieces on every core of one machine.

Dask is imported here only, and this module only when a cluster is asked for: ``podkit --help`` and a
build with nothing to do import none of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import PodkitError

if TYPE_CHECKING:
    from toolkit.build.stages import Processed
    from toolkit.show import Episode, Show

TICK = 0.25  # seconds between two progress events of one stage: the scheduler relays each one
CONNECT_TIMEOUT = 10  # seconds to reach a scheduler, or to wait for its first worker, before saying so
HOW = "see the README's section on clusters"

# Dask's defaults that hurt this work, changed for the local cluster podkit starts (`--workers N`);
# the README tells how to change them for a cluster started by hand. bench/cluster.py measures them:
# on hand-started workers with all three the stages took 1.43 times the CPU they take in podkit's own
# pool, and 0.97 without them ("defaults" and "advised").
#
# The nanny sets MALLOC_TRIM_THRESHOLD_=65536 in every worker it starts: glibc then hands freed memory
# back at once and gives up its dynamic mmap threshold, and decoding slows down. Its other variables
# (OMP_NUM_THREADS=1 ...) go too, so the workers run as the local pool's do.
NANNY_ENVIRON: dict[str, Any] = {"distributed.nanny.pre-spawn-environ": {}}
# Each worker samples its threads' stacks every 10 ms for the dashboard's profiler, in the process
# that decodes: with it the stages on --workers took 1.13 times the pool's CPU, without it 1.04.
WORKER_CONFIG: dict[str, Any] = {"distributed.worker.profile.enabled": False}
# One task per worker thread at a time, handed out longest episode first, as the local pool does (the
# default, 1.1, queues a second episode on a busy worker while another may soon be idle).
SCHEDULER_CONFIG: dict[str, Any] = {"distributed.scheduler.worker-saturation": 1.0}


def run(show: Show, episodes: list[Episode], code: str, stage: Callable[[str, str, float, float], None],
        profile: Path | None, cluster: str | int) -> Iterable[Processed]:
    """Process ``episodes`` (longest first) as tasks on the cluster ``cluster`` (a scheduler's address,
    or the number of local worker processes to start); yield each result as it is finished. ``stage``
    is told each stage's progress (the reporter's: this module is below the pipeline that calls it)."""
    with _client(cluster) as client:
        _preflight(client, show, code, cluster)
        topic = f"podkit-progress-{os.urandom(6).hex()}"  # this run's: one scheduler may serve many shows
        stop = threading.Event()
        client.subscribe_topic(topic, lambda event: None if stop.is_set() else stage(*event[1]))
        # A task carries its own episode only (the stages read no other): a show of a thousand
        # episodes is not sent a thousand times. pure=False and a fresh key: two episodes of equal
        # inputs would otherwise share a task and run once, and a re-run would meet its old tasks.
        futures = [client.submit(_task, dataclasses.replace(show, episodes=(ep,)), ep, code, profile, topic,
                                 pure=False, priority=len(episodes) - i,
                                 key=f"podkit-{ep.slug}-{os.urandom(4).hex()}")
                   for i, ep in enumerate(episodes)]
        try:
            from distributed import as_completed

            for fut in as_completed(futures):  # type: ignore[no-untyped-call]
                yield _result(fut, cluster)
        except BaseException:
            client.cancel(futures)  # a running task finishes its stage whole or not at all: see the docstring
            raise
        finally:
            stop.set()
            with contextlib.suppress(OSError):  # the scheduler gone (CommClosedError): the error above says so
                client.unsubscribe_topic(topic)


def _result(fut: Any, cluster: str | int) -> Processed:
    """A task's result; the cluster's own failures (workers dying, the scheduler gone) as podkit's error.
    podkit's errors in a task (bad audio, a stage over its time budget) come back as they are."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError

    try:
        return fut.result()  # type: ignore[no-any-return]
    except KilledWorker as exc:
        raise PodkitError(f"the Dask cluster at {_name(cluster)} lost a worker each time it ran {fut.key} "
                          f"({' '.join(str(exc).split())[:200]})",
                          hint="is a worker running out of memory? (dask worker --memory-limit); "
                               "the cache keeps what was finished: run the build again") from exc
    except (CommClosedError, FutureCancelledError) as exc:  # the scheduler gone, or someone cancelled the task
        raise PodkitError(f"the Dask cluster at {_name(cluster)} did not finish {fut.key} "
                          f"({' '.join(str(exc).split())[:200]})",
                          hint="is the scheduler still running? the cache keeps what was finished: "
                               "run the build again") from exc


def _name(cluster: str | int) -> str:
    return repr(cluster) if isinstance(cluster, str) else f"this machine ({cluster} workers)"


@contextmanager
def _client(cluster: str | int) -> Iterator[Any]:
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise PodkitError("a Dask cluster needs the dask[distributed] package, which is not installed",
                          hint="pip install 'podkit[cluster]'") from exc
    if isinstance(cluster, int):
        # silence_logs: the workers' shutdown chatter (a worker still closing is killed after 4 s) is
        # not the author's concern; a task's failure comes back through its future.
        with dask.config.set({**NANNY_ENVIRON, **WORKER_CONFIG, **SCHEDULER_CONFIG}):
            with _workers_ignore_ctrl_c():
                local = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=cluster, threads_per_worker=1, processes=True, dashboard_address=None,
                    host="127.0.0.1", silence_logs=logging.CRITICAL)
            with local, Client(local) as client:  # type: ignore[no-untyped-call]
                yield client
        return
    _reachable(cluster)
    try:
        client = Client(cluster, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise _unreachable(cluster, exc) from exc
    with client:
        yield client


@contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start the local workers with SIGINT ignored (they keep that through exec): Ctrl-C goes to the
    whole terminal's process group, and each worker would print its own KeyboardInterrupt traceback.
    The build stops them as it stops (closing the cluster)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _unreachable(cluster: str, exc: BaseException) -> PodkitError:
    said = " ".join(str(exc).split())[:200] or type(exc).__name__
    return PodkitError(f"could not reach the Dask scheduler at {cluster!r} ({said})",
                       hint="start one with `dask scheduler` and give its address as tcp://HOST:PORT "
                            f"(--cluster, or [build] cluster in podkit.toml); {HOW}")


def _reachable(cluster: str) -> None:
    """Say at once when a tcp:// address is malformed, names no host, or refuses: Dask's client
    would retry for its whole timeout before saying so."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(cluster)
        if scheme not in ("tcp", "tls"):
            return
        host, port = parse_host_port(location)
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
    except (OSError, ValueError, TypeError) as exc:
        raise _unreachable(cluster, exc) from exc


def _preflight(client: Any, show: Show, code: str, cluster: str | int) -> None:
    """Refuse, with one message, a cluster whose workers cannot do the work: none, or one that does not
    see the show's cache at the client's path, or runs other podkit code or libraries."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError as exc:
        raise PodkitError(f"the Dask scheduler at {_name(cluster)} has no workers",
                          hint=f"start some with `dask worker ADDRESS --nthreads 1`; {HOW}") from exc
    show.cache_dir.mkdir(parents=True, exist_ok=True)
    probe = show.cache_dir / f".cluster-probe-{os.getpid()}-{os.urandom(4).hex()}"
    probe.write_text(code)
    try:
        answers = client.run(_check, str(probe), code)
    finally:
        probe.unlink(missing_ok=True)
    wrong = {worker: why for worker, why in answers.items() if why}
    if wrong:
        worker, why = next(iter(wrong.items()))
        raise PodkitError(f"{len(wrong)} of the cluster's {len(answers)} worker(s) cannot process this show: "
                          f"{worker} {why}",
                          hint="workers must run the same podkit and libraries, and see the show's folder at "
                               f"the same path (shared storage); {HOW}")


def _check(probe: str, code: str) -> str:
    """On a worker: what stops it processing the show ('' if nothing)."""
    from toolkit.build.cache import code_digest

    try:
        seen = Path(probe).read_text()
    except OSError:
        return f"does not see {probe}"
    if code_digest() != code or seen != code:
        return "runs other podkit code or libraries than this client"
    return ""


def _task(show: Show, ep: Episode, code: str, profile: Path | None, topic: str) -> Processed:
    """On a worker: one episode's stages, through the shared cache, with its progress sent to the client."""
    from distributed import get_worker

    from toolkit.build.cache import code_digest
    from toolkit.build.stages import run_episode
    from toolkit.speech import pieces

    worker = get_worker()
    if code_digest() != code:  # a worker that joined after `_preflight` asked them all
        raise PodkitError(f"the Dask worker {worker.address} runs other podkit code or libraries than the build",
                          hint=f"workers must run the same podkit and libraries; {HOW}")
    pieces.set_workers(1)  # the cluster's other workers are busy with other episodes
    last = [0.0]

    def progress(slug: str, stage: str, done: float, total: float) -> None:
        now = time.monotonic()
        if now - last[0] >= TICK or done >= total:
            last[0] = now
            worker.log_event(topic, (slug, stage, done, total))

    result = run_episode(show, ep, code, progress, profile=profile)
    assert result is not None
    return result


__all__ = ["run"]
