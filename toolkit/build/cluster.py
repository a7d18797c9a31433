"""Episodes processed on a Dask distributed cluster: a back catalogue on many machines.

`_run_stale` hands the stale episodes here when ``--cluster ADDRESS`` (or ``[build] cluster``) names a
scheduler, or ``--workers N`` asks for a local cluster of N worker processes. Each episode is one task:
`stages.run_episode` on a worker, the very function the local pool runs, so the results are the same.

Storage is shared: a worker reads the episode's sources and writes its results into the show's cache
by the same absolute paths as the client (one machine, or an NFS/SMB mount at the same path on every
machine). Nothing but the show's settings and paths travels with a task; the audio does not. The
client checks this before sending work (`_preflight`): a worker that cannot see the show's cache, or
runs other podkit code (its results would be keyed as the client's), is refused with one message.

Results land in the content-addressed cache exactly as a local build's (`cache.Cache.put`: built in a
temporary folder, renamed into place when complete), so a build after a cluster run finds every stage
made. A worker killed mid-task leaves only its temporary folder (deleted by the next build's
`Cache.tidy`), and the scheduler runs the task again on another worker. A client interrupted leaves
the tasks it had sent to finish or be dropped; each entry is whole or absent, and a re-run resumes.

Workers keep the Whisper model loaded between tasks: the engine keeps one loaded model per worker
process (`faster_whisper`), and Dask workers are long-lived processes.

Dask is imported here only, and this module only when a cluster is asked for: ``podkit --help`` and a
build with nothing to do import none of it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import PodkitError

if TYPE_CHECKING:
    from toolkit.build.pipeline import Reporter
    from toolkit.build.stages import Processed
    from toolkit.show import Episode, Show

TOPIC = "podkit-progress"  # the workers' progress events, on the scheduler's event log
TICK = 0.25  # seconds between two progress events of one stage: the scheduler relays each one
CONNECT_TIMEOUT = 10  # seconds to reach a scheduler before saying it is not there

# The nanny of distributed sets MALLOC_TRIM_THRESHOLD_=65536 in every worker it starts: with it, glibc
# hands freed memory back at once and gives up its dynamic mmap threshold, and faster-whisper's
# decoding ran at half speed in a worker (bench/cluster.py measures it). podkit's local cluster starts
# its workers without it; workers started by hand are told how in the README.
NANNY_ENVIRON: dict[str, Any] = {"distributed.nanny.pre-spawn-environ": {}}


def run(show: Show, episodes: list[Episode], code: str, reporter: Reporter, profile: Path | None,
        cluster: str | int) -> Iterable[Processed]:
    """Process ``episodes`` as tasks on the cluster ``cluster`` (a scheduler's address, or the number of
    local worker processes to start); yield each result as it is finished, in any order."""
    with _client(cluster) as client:
        _preflight(client, show, code, cluster)
        stop = threading.Event()
        client.subscribe_topic(TOPIC, lambda event: None if stop.is_set() else reporter.stage(*event[1]))
        # Longest first keeps every worker busy to the end (the caller sorted them); pure=False: two
        # episodes of equal settings would otherwise share a task key and run once.
        futures = [client.submit(_task, show, ep, code, profile, pure=False, priority=len(episodes) - i,
                                 key=f"podkit-{ep.slug}-{os.urandom(4).hex()}")
                   for i, ep in enumerate(episodes)]
        try:
            from distributed import as_completed

            for fut in as_completed(futures):  # type: ignore[no-untyped-call]
                yield fut.result()
        except BaseException:
            client.cancel(futures)  # a running task finishes its stage whole or not at all: see the docstring
            raise
        finally:
            stop.set()
            client.unsubscribe_topic(TOPIC)


@contextmanager
def _client(cluster: str | int) -> Iterator[Any]:
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise PodkitError("a Dask cluster needs the dask[distributed] package, which is not installed",
                          hint="pip install 'podkit[cluster]'") from exc
    if isinstance(cluster, int):
        with dask.config.set(NANNY_ENVIRON), \
                LocalCluster(n_workers=cluster, threads_per_worker=1, processes=True, dashboard_address=None,
                             host="127.0.0.1") as local, Client(local) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    try:
        client = Client(cluster, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        said = " ".join(str(exc).split())[:200]
        raise PodkitError(f"could not reach the Dask scheduler at {cluster!r} ({said})",
                          hint="start one with `dask scheduler` and give its address as tcp://HOST:PORT "
                               "(--cluster, or [build] cluster in podkit.toml)") from exc
    with client:
        yield client


def _preflight(client: Any, show: Show, code: str, cluster: str | int) -> None:
    """Refuse, with one message, a cluster whose workers cannot do the work: none, or one that does not
    see the show's cache at the client's path, or runs other podkit code."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except TimeoutError as exc:
        raise PodkitError(f"the Dask scheduler at {cluster!r} has no workers",
                          hint="start some with `dask worker ADDRESS --nthreads 1`") from exc
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
                          hint="workers must run the same podkit and see the show's folder at the same path "
                               "(shared storage: see the README's section on clusters)")


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


def _task(show: Show, ep: Episode, code: str, profile: Path | None) -> Processed:
    """On a worker: one episode's stages, through the shared cache, with its progress sent to the client."""
    from distributed import get_worker

    from toolkit.build.stages import run_episode
    from toolkit.speech import pieces

    pieces.set_workers(1)  # the cluster's other workers are busy with other episodes
    worker = get_worker()
    last = [0.0]

    def progress(slug: str, stage: str, done: float, total: float) -> None:
        now = time.monotonic()
        if now - last[0] >= TICK or done >= total:
            last[0] = now
            worker.log_event(TOPIC, (slug, stage, done, total))

    result = run_episode(show, ep, code, progress, profile=profile)
    assert result is not None
    return result


__all__ = ["run"]
