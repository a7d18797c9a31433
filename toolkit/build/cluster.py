"""Episodes processed on a Dask distributed cluster: a back catalogue on many machines.

`pipeline.process` hands the stale episodes here when ``--cluster ADDRESS`` (or ``[build] cluster``)
names a scheduler, or ``--workers N`` asks for a local cluster of N worker processes. Each episode is
one task: `stages.run_episode`, the very function the local pool runs, so the results are the same.

Where the storage is shared (one machine, or an NFS/SMB mount at the same path on every machine), a
worker reads the episode's sources and writes its results into the show's cache by the same absolute
paths as the client, and a task carries the show's settings, the one episode and the paths, never
audio. Where it is not, a task carries the episode's files by content hash instead (`remote`): each
file's bytes are sent once per run, the stages run in a folder of the worker's own, and the entries
they made come back to the client's cache. The client asks every worker before sending work
(`_preflight`): a probe file in the show's cache tells whether it sees the show; a worker that runs
other podkit code or libraries (its results would be keyed as the client's) is refused with one
message, and so is a scheduler that cannot be reached or has no workers.

Results land in the content-addressed cache exactly as a local build's (`cache.Cache.put`: built in a
temporary folder, renamed into place when complete), so a build after a cluster run finds every stage
made. A worker killed mid-task leaves only its temporary folder (deleted by a later build's
`Cache.tidy`), and the scheduler runs the task again on another worker (tests/test_cluster.py kills
one). A client interrupted (Ctrl-C) cancels its tasks; one already running on a remote worker finishes
its stage whole or leaves nothing, so each entry is whole or absent and a re-run resumes.

Workers keep the Whisper model loaded between tasks: the engine keeps one loaded model per process
(`speech.faster_whisper`), and Dask workers are long-lived processes.

The pieces of a long recording (`speech.pieces`) are tasks of their own: the episode's task sends them
to the scheduler and waits for them outside its worker's thread pool (Dask's `worker_client`), so its
worker decodes pieces meanwhile, as do the others. They run before any episode not yet begun (a higher
priority): the episode waiting for them holds its temporary folder, which is where the recording's
samples wait for the pieces to be read from. A worker killed during a piece has it run again elsewhere.
Without shared storage the other workers could not read that file, and an episode's task decodes its
pieces itself, one after the other.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.build import remote
from toolkit.errors import PodkitError

if TYPE_CHECKING:
    from toolkit.build.stages import Processed
    from toolkit.show import Episode, Show

TICK = 0.25  # seconds between two progress events of one stage: the scheduler relays each one
PIECE_PRIORITY = 1 << 30  # above every episode's (their number at most)
RESEND = 3  # times an episode's files are sent again after the worker holding them died
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
    from distributed import as_completed

    with _client(cluster) as client:
        shared = _preflight(client, show, code, cluster)
        topic = f"podkit-progress-{os.urandom(6).hex()}"  # this run's: one scheduler may serve many shows
        stop = threading.Event()
        client.subscribe_topic(topic, lambda event: None if stop.is_set() else stage(*event[1]))
        send = None if shared else _Sender(client, show, code)
        # Without shared storage, a few episodes at a time: the files of those sent wait in the workers' memory.
        window = len(episodes) if send is None else sum(_threads(client).values()) + 1
        running: dict[Any, int] = {}
        resent = [0] * len(episodes)

        def start(i: int) -> Any:
            ep = episodes[i]
            # A task carries its own episode only (the stages read no other): a show of a thousand
            # episodes is not sent a thousand times. pure=False and a fresh key: two episodes of equal
            # inputs would otherwise share a task and run once, and a re-run would meet its old tasks.
            options = {"pure": False, "priority": len(episodes) - i, "key": f"podkit-{ep.slug}-{os.urandom(4).hex()}"}
            one = dataclasses.replace(show, episodes=(ep,))
            if send is None:
                fut = client.submit(_task, one, ep, code, profile, topic, **options)
            else:
                fut = client.submit(_task_elsewhere, *send.parcel(ep), one, ep, code, profile, topic, **options)
            running[fut] = i
            return fut

        done = as_completed([start(i) for i in range(min(window, len(episodes)))])  # type: ignore[no-untyped-call]
        following = min(window, len(episodes))
        try:
            for fut in done:
                i = running.pop(fut)
                if send is None:
                    yield _result(fut, cluster)
                    continue
                if fut.status == "cancelled" and resent[i] < RESEND:  # a worker died with some of its files
                    send.lost(episodes[i])
                    resent[i] += 1
                    done.add(start(i))  # type: ignore[no-untyped-call]
                    continue
                yield send.received(episodes[i], _result(fut, cluster))
                if following < len(episodes):
                    done.add(start(following))  # type: ignore[no-untyped-call]
                    following += 1
        except BaseException:
            client.cancel(list(running))  # a running task finishes its stage whole or not at all: see the docstring
            raise
        finally:
            stop.set()
            with contextlib.suppress(OSError):  # the scheduler gone (CommClosedError): the error above says so
                client.unsubscribe_topic(topic)


class _Sender:
    """The episodes' files for workers that do not see the show (`remote`): each file's bytes are sent
    once, as data keyed by its content hash, and let go once no episode in progress needs them."""

    def __init__(self, client: Any, show: Show, code: str) -> None:
        self.client, self.show, self.code = client, show, code
        self.sent: dict[str, Any] = {}  # sha256 -> the future of its bytes on the cluster
        self.users: dict[str, int] = {}  # sha256 -> episodes in progress that need it
        self.needs: dict[str, list[str]] = {}  # episode -> its files' sha256

    def parcel(self, ep: Episode) -> tuple[remote.Parcel, dict[str, Any]]:
        parcel, sources = remote.parcel(self.show, ep, self.code)
        shas = list(remote.blobs_of(parcel))
        new = [sha for sha in shas if sha not in self.sent]
        for sha in new:  # one at a time: a recording is read into memory to be sent
            self.sent[sha] = self._send(sources[sha].read_bytes(), sha)
        for sha in shas:
            self.users[sha] = self.users.get(sha, 0) + 1
        self.needs[ep.slug] = shas
        return parcel, {sha: self.sent[sha] for sha in shas}

    def _send(self, data: bytes, sha: str) -> Any:
        """The future of ``data`` on the cluster; sent again if the worker it went to died meanwhile."""
        from distributed.comm.core import CommClosedError

        for attempt in range(RESEND + 1):
            key = f"podkit-file-{sha}-{os.urandom(4).hex()}"  # a fresh key each time it is sent
            try:
                return self.client.scatter({key: data}, hash=False)[key]
            except CommClosedError:
                if attempt == RESEND:
                    raise
                time.sleep(1.0)  # the scheduler learns the worker is gone
        raise AssertionError("unreachable")

    def received(self, ep: Episode, made: remote.Made) -> Processed:
        result = remote.store(self.show, ep, self.code, made)
        self._release(ep)
        return result

    def lost(self, ep: Episode) -> None:
        """The episode's task was cancelled by the scheduler: a worker holding some of its files died,
        and data sent is not made again. Its files are sent again with its next task (which of them were
        lost, the client may not know yet)."""
        for sha in self.needs[ep.slug]:
            self.sent.pop(sha, None)
        self._release(ep)

    def _release(self, ep: Episode) -> None:
        for sha in self.needs.pop(ep.slug):
            self.users[sha] -= 1
            if not self.users[sha]:
                del self.users[sha]
                self.sent.pop(sha, None)


def _threads(client: Any) -> dict[str, int]:
    """Each worker's threads, by address."""
    return {address: w["nthreads"] for address, w in client.scheduler_info(n_workers=-1)["workers"].items()}


def _result(fut: Any, cluster: str | int) -> Any:
    """A task's result; the cluster's own failures (workers dying, the scheduler gone) as podkit's error.
    podkit's errors in a task (bad audio, a stage over its time budget) come back as they are."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError

    try:
        return fut.result()
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


ELSEWHERE = "elsewhere"  # a worker's answer to `_check`: it does not see the show's folder


def _preflight(client: Any, show: Show, code: str, cluster: str | int) -> bool:
    """Refuse, with one message, a cluster whose workers cannot do the work: none, or one that runs
    other podkit code or libraries. True when every worker sees the show's cache at the client's path
    (shared storage); otherwise the episodes' files are sent to them (`remote`)."""
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
    wrong = {worker: why for worker, why in answers.items() if why and why != ELSEWHERE}
    if wrong:
        worker, why = next(iter(wrong.items()))
        raise PodkitError(f"{len(wrong)} of the cluster's {len(answers)} worker(s) cannot process this show: "
                          f"{worker} {why}",
                          hint=f"workers must run the same podkit and libraries; {HOW}")
    return ELSEWHERE not in answers.values()


def _check(probe: str, code: str) -> str:
    """On a worker: what stops it processing the show ('' if nothing; `ELSEWHERE` if it does not see it)."""
    from toolkit.build.cache import code_digest

    if code_digest() != code:
        return "runs other podkit code or libraries than this client"
    try:
        seen = Path(probe).read_text()
    except OSError:
        return ELSEWHERE
    return "" if seen == code else ELSEWHERE


def _task(show: Show, ep: Episode, code: str, profile: Path | None, topic: str) -> Processed:
    """On a worker that sees the show: one episode's stages, through the shared cache, with its progress
    sent to the client."""
    from toolkit.build.stages import run_episode

    progress = _on_worker(code, topic)
    if not show.cache_dir.is_dir():  # a worker that joined after `_preflight` asked them all
        raise PodkitError(f"a Dask worker that joined during the build does not see {show.cache_dir}",
                          hint=f"workers that do not share the show's storage must be there from the start; {HOW}")
    with pieces_as_tasks():
        result = run_episode(show, ep, code, progress, profile=profile)
    assert result is not None
    return result


def _task_elsewhere(parcel: remote.Parcel, blobs: dict[str, bytes], show: Show, ep: Episode, code: str,
                    profile: Path | None, topic: str) -> remote.Made:
    """On a worker that does not see the show: one episode's stages in a folder of its own, from the
    files sent (`remote`); its pieces decoded here (the other workers could not read the recording)."""
    import tempfile

    from distributed import get_worker

    from toolkit.speech import pieces

    progress = _on_worker(code, topic)
    pieces.set_workers(1)
    with tempfile.TemporaryDirectory(prefix="podkit-", dir=get_worker().local_directory) as folder:
        return remote.run(parcel, blobs, show, ep, code, Path(folder), progress, profile)


def _on_worker(code: str, topic: str) -> Callable[[str, str, float, float], None]:
    """On a worker, as a task starts: refuse other code than the client's; the task's progress reporter."""
    from distributed import get_worker

    from toolkit.build.cache import code_digest

    worker = get_worker()
    if code_digest() != code:  # a worker that joined after `_preflight` asked them all
        raise PodkitError(f"the Dask worker {worker.address} runs other podkit code or libraries than the build",
                          hint=f"workers must run the same podkit and libraries; {HOW}")
    last = [0.0]

    def progress(slug: str, stage: str, done: float, total: float) -> None:
        now = time.monotonic()
        if now - last[0] >= TICK or done >= total:
            last[0] = now
            worker.log_event(topic, (slug, stage, done, total))

    return progress


@contextmanager
def pieces_as_tasks() -> Iterator[None]:
    """On a worker, in a task: in this block, the pieces of a long recording are tasks of the cluster
    (`_dispatch`), each decoding with its share of its machine's cores (shared by the threads of the
    cluster's workers on that machine, as this machine's pool shares them among its processes)."""
    from distributed import get_client, get_worker
    from distributed.comm.addressing import get_address_host

    from toolkit.speech import pieces

    host = get_address_host(get_worker().address)
    workers = get_client().scheduler_info(n_workers=-1)["workers"].values()
    pieces.set_workers(sum(w["nthreads"] for w in workers if w.get("host") == host))
    pieces.set_dispatch(_dispatch)
    try:
        yield
    finally:
        pieces.set_dispatch(None)
        pieces.set_workers(1)


def _dispatch(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]]) -> Iterator[tuple[int, Any]]:
    """``fn(*call)`` for each call as a task of the cluster; (index, result) as each is done. The task
    that asks leaves its worker's thread pool while it waits (the worker takes other tasks meanwhile)."""
    from distributed import as_completed, worker_client

    with worker_client() as client:
        futures = {client.submit(fn, *call, pure=False, priority=PIECE_PRIORITY,
                                 key=f"podkit-piece-{os.urandom(6).hex()}"): i for i, call in enumerate(calls)}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            yield futures[fut], fut.result()


__all__ = ["pieces_as_tasks", "run"]
