"""`podkit build --cluster` on a real Dask cluster: a scheduler and two workers started on 127.0.0.1 as
a person would start them (`dask scheduler`, `dask worker`, each worker under its nanny), the workers
importing this checkout's podkit. One worker is killed (SIGKILL) while it makes a cache entry; the
build must still finish, and its cache and published site must be those of a build on this machine
with the local process pool.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import REPO, SHOW_TOML, data_file, episode_md, snapshot
from tests.test_incremental import differences
from toolkit.build import cluster as cluster_module
from toolkit.build.cache import MANIFEST, TMP, Cache, code_digest
from toolkit.build.pipeline import build, process
from toolkit.build.stages import entries as stage_entries
from toolkit.config import TranscribeSettings
from toolkit.scaffold import make_artwork
from toolkit.show import GUID_FILE, load_show
from toolkit.speech import pieces
from toolkit.speech.engine import DecodeOptions
from toolkit.speech.transcribe import decode_options
from toolkit.speech.transcript import Word

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # real ffmpeg and real Whisper, on a real cluster

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DASK = Path(sys.executable).with_name("dask")
CLIPS = {"kennedy": "jfk.flac", "reader": "lj001-0001.wav", "library": "librispeech-2412-153948-0000.flac"}
# The README's advice for workers started by hand: without the nanny's malloc setting (see cluster.py).
WORKER_ENV = {"DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": "{'MALLOC_TRIM_THRESHOLD_': None}"}


def make_show(root: Path) -> Path:
    """Three short episodes of real speech (the fastest model, the tests' default)."""
    root.mkdir(parents=True)
    (root / "podkit.toml").write_text(SHOW_TOML)
    make_artwork(root / "artwork.png", "Test Show")
    for number, (slug, clip) in enumerate(CLIPS.items(), 1):
        folder = root / "episodes" / slug
        folder.mkdir(parents=True)
        source = data_file(clip)
        audio = "speech" + source.suffix
        shutil.copy(source, folder / audio)
        (folder / "episode.md").write_text(episode_md(slug.title(), f"2026-01-0{number}", number, audio))
        (folder / GUID_FILE).write_text(f"{uuid.uuid5(uuid.NAMESPACE_URL, slug)}\n")  # not a random one per build
    return root


def entries(root: Path) -> dict[str, bytes]:
    """Every file of every finished cache entry (stage/xx/key/...), with its bytes."""
    cache_dir = root / ".podkit"
    return {str(p.relative_to(cache_dir)): p.read_bytes() for p in sorted(cache_dir.rglob("*"))
            if p.is_file() and not p.relative_to(cache_dir).parts[0].startswith(".")
            and len(p.relative_to(cache_dir).parts) > 3}


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The show built on this machine by the local process pool (what the cluster must make), at
    ``<folder>/show``, then moved to ``<folder>/local``: the cluster builds it again where it was made
    (the master stage's report names its sources by path)."""
    folder = tmp_path_factory.mktemp("cluster")
    root = make_show(folder / "show")
    assert build(root, now=NOW).published
    return root.rename(folder / "local")


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int, code: Path = REPO, hidden: Path | None = None,
                 ) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A scheduler and ``workers`` single-thread workers (each with its nanny) on 127.0.0.1, the
    workers importing podkit from ``code``; its address and the workers' (nannies') processes.
    With ``hidden``, the workers do not see that folder: an empty one is mounted over it for them
    (their own mount namespace), as on a machine that does not share the show's storage."""
    from distributed import Client

    env = dict(os.environ, **WORKER_ENV, PYTHONPATH=os.pathsep.join(
        p for p in (str(code), os.environ.get("PYTHONPATH")) if p))
    logs = folder / "dask-logs"
    logs.mkdir(parents=True)
    file = folder / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, *args: str) -> subprocess.Popen[bytes]:
        command = [str(DASK), *args]
        if hidden is not None and name != "scheduler":
            command = ["unshare", "--mount", "sh", "-c", 'mount -t tmpfs none "$0" && exec "$@"', str(hidden), *command]
        with (logs / f"{name}.log").open("wb") as log:
            procs.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder))
        return procs[-1]

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(file))
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline, (logs / "scheduler.log").read_text()
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        nannies = [start(f"worker{i}", "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                         "--no-dashboard", "--name", f"worker{i}", "--local-directory", str(folder / "scratch"))
                   for i in range(workers)]
        with Client(address, timeout=30) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(workers, timeout=120)
        yield address, nannies
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """Two workers of this checkout's podkit."""
    with dask_cluster(tmp_path / "dask", 2) as started:
        yield started


def _parent(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat[stat.rindex(")") + 2:].split()[1])


class Progress:
    """A reporter that keeps the progress the workers sent back through the scheduler."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def stage(self, slug: str, stage: str, done: float, total: float) -> None:
        self.seen.add((slug, stage))

    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


@contextlib.contextmanager
def killing(find: Callable[[], int | None]) -> Iterator[list[int]]:
    """In the block, SIGKILL the first process ``find`` names (asked every 10 ms); the killed, if any."""
    killed: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            pid = find()
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=watch, daemon=True)
    killer.start()
    try:
        yield killed
    finally:
        done.set()
        killer.join()


def same_as_local(root: Path, local: Path) -> dict[str, bytes]:
    """Check that the show at ``root`` has the cache entries and the site of the local pool's build; its entries."""
    made, expected = entries(root), entries(local)
    assert made.keys() == expected.keys()
    assert [p for p in made if made[p] != expected[p]] == []
    site, expected_site = snapshot(root / "public"), snapshot(local / "public")
    assert site == expected_site, differences(site, expected_site)
    return made


def test_a_cluster_with_a_worker_killed_mid_task_builds_what_the_local_pool_builds(
        local: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]], tmp_path: Path) -> None:
    address, workers = cluster
    root = local.with_name("show")  # the sources, as they were (copy2 keeps their times), where they were built
    shutil.copytree(local, root, symlinks=True, ignore=shutil.ignore_patterns("public", ".podkit"))
    tmp = root / ".podkit" / TMP
    nannies = {w.pid for w in workers}

    def a_worker_making_an_entry() -> int | None:
        """The first worker process seen making a cache entry (a nanny's child: the entry's temporary
        folder is named after it)."""
        try:
            names = os.listdir(tmp)
        except OSError:
            names = []
        for name in names:
            pid = int(name.split("@", 1)[0])
            if pid in nannies or _parent(pid) in nannies:
                return pid
        return None

    progress = Progress()
    with killing(a_worker_making_an_entry) as killed:
        run = build(root, now=NOW, cluster=address, reporter=progress)
    assert killed, "no worker was caught making a cache entry: the test proved nothing"
    assert run.published

    # The killed task ran again elsewhere: every entry whole, and the same as the local pool's.
    made = same_as_local(root, local)
    cache = Cache(root / ".podkit")
    for manifest in (p for p in made if p.endswith("/" + MANIFEST)):
        stage, _, key = Path(manifest).parts[:3]
        assert cache.get(stage, key) is not None
    # Progress came back from the workers, through the scheduler, for every episode.
    assert {slug for slug, _ in progress.seen} == set(CLIPS)
    # A run on this machine after the cluster's finds every stage made.
    assert not process(load_show(root)).ran


def with_work_to_do(local: Path, root: Path) -> Path:
    """A copy of the built show with a new episode: a build with nothing to do never asks for the cluster."""
    shutil.copytree(local, root, symlinks=True)
    new = root / "episodes" / "new"
    new.mkdir()
    shutil.copy(data_file("jfk.flac"), new / "speech.flac")
    (new / "episode.md").write_text(episode_md("New", "2026-01-09", 9))
    return root


def podkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "toolkit", *args], capture_output=True, text=True, timeout=180,
                          check=False, env=dict(os.environ, PYTHONPATH=str(REPO)))


def one_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed command that printed no traceback."""
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("where", ["option", "config"])
def test_an_unreachable_scheduler_is_one_message_and_leaves_the_site(local: Path, tmp_path: Path,
                                                                     where: str) -> None:
    root = with_work_to_do(local, tmp_path / "show")
    before = snapshot(root / "public")
    address = f"tcp://127.0.0.1:{_free_port()}"
    args = ["--cluster", address] if where == "option" else []
    if where == "config":
        address = "scheduler-without-a-port"
        (root / "podkit.toml").write_text(SHOW_TOML + f'\n[build]\ncluster = "{address}"\n')
    error = one_error(podkit("build", "--show", str(root), *args))
    assert f"could not reach the Dask scheduler at {address!r}" in error
    assert "dask scheduler" in error  # and how to start one
    assert snapshot(root / "public") == before


def test_a_worker_running_other_podkit_code_is_refused_before_any_work(local: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"  # this podkit with one more file: another code digest
    shutil.copytree(REPO / "toolkit", other / "toolkit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", other / "templates")
    (other / "toolkit" / "changed.py").write_text('"""A change on the worker only."""\n')
    root = with_work_to_do(local, tmp_path / "show")
    before, made = snapshot(root / "public"), entries(root)
    with dask_cluster(tmp_path / "dask", 1, code=other) as (address, _):
        error = one_error(podkit("build", "--show", str(root), "--cluster", address))
    assert "1 of the cluster's 1 worker(s) cannot process this show" in error
    assert "runs other podkit code" in error
    assert snapshot(root / "public") == before
    assert entries(root) == made  # nothing was made for the new episode


def test_workers_starts_a_local_cluster_and_a_local_run_finds_what_it_made(local: Path, tmp_path: Path) -> None:
    root = with_work_to_do(local, tmp_path / "show")
    audio = root / "episodes" / "new" / "speech.flac"  # the first 8 s of the clip: audio of its own
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(data_file("jfk.flac")), "-t", "8",
                    str(audio)], check=True)
    proc = podkit("process", "--show", str(root), "--workers", "2", "new")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    run = process(load_show(root), ["new"])
    assert not run.ran  # every stage was made on the cluster, whole
    assert "fellow americans" in run.processed[0].transcript.text.lower()


def _decode_as_an_episode_does(path: str, length: int, plan: list[pieces.Piece], options: DecodeOptions,
                               ) -> tuple[str, list[Word]]:
    """On a worker, in a task: a long recording's pieces decoded as an episode's task decodes them."""
    with cluster_module.pieces_as_tasks():
        return pieces.decode(pieces.Recording(Path(path), length), plan, "faster-whisper", options, True)


def test_a_long_recordings_pieces_are_tasks_decoded_on_every_worker(
        cluster: tuple[str, list[subprocess.Popen[bytes]]], tmp_path: Path) -> None:
    from distributed import Client, get_task_stream

    from tests.test_pieces import chapter_with_pauses

    address, _ = cluster
    samples, _ = chapter_with_pauses()
    options = decode_options(TranscribeSettings())
    plan = pieces.plan(samples, pieces.speech_chunks(samples, options), options, 60.0)
    assert len(plan) >= 3
    recording = pieces.Recording.save(samples, tmp_path / "samples.f32")
    expected = pieces.decode(recording, plan, "faster-whisper", options, True)  # here, one after another
    with Client(address, timeout=30) as client, get_task_stream(client) as stream:  # type: ignore[no-untyped-call]
        got = client.submit(_decode_as_an_episode_does, str(recording.path), recording.length, plan, options,
                            pure=False).result()
    assert got == expected
    ran = [task["worker"] for task in stream.data if str(task["key"]).startswith("podkit-piece-")]
    assert len(ran) == len(plan)
    assert len(set(ran)) == 2, "every worker decodes pieces, the one whose task waits for them included"


def _worker_of(nanny: int) -> int:
    """The worker process a nanny started (its child by multiprocessing's spawn)."""
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        with contextlib.suppress(OSError):
            if _parent(pid) == nanny and b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
    raise AssertionError(f"the nanny {nanny} has no worker")


def _can_hide() -> bool:
    """Whether this machine lets a process have a mount namespace of its own (root, or a user namespace)."""
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", "mount -t tmpfs none /mnt"], capture_output=True,
                           check=False)
    return probe.returncode == 0


def test_workers_that_do_not_see_the_show_get_its_files_by_content_hash(local: Path, tmp_path: Path) -> None:
    if not _can_hide():
        pytest.skip("this machine gives no process a mount namespace of its own (unshare --mount)")
    hidden = tmp_path / "elsewhere"
    root = hidden / "show"  # not where `local` was built: nothing made may depend on where the show is
    shutil.copytree(local, root, symlinks=True, ignore=shutil.ignore_patterns("public", ".podkit"))
    with dask_cluster(tmp_path / "dask", 2, hidden=hidden) as (address, nannies):
        scratch = tmp_path / "dask" / "scratch"

        def a_worker_at_work() -> int | None:
            """A worker, once an episode's stages run in a worker's folder: the files sent to it (some
            of the episodes' not yet begun among them) are lost with it, and must be sent again."""
            return _worker_of(nannies[0].pid) if any(scratch.glob("*/*/podkit-*")) else None

        with killing(a_worker_at_work) as killed:
            run = build(root, now=NOW, cluster=address)
        assert killed, "no worker was caught at work: the test proved nothing"
        assert run.published
        made = same_as_local(root, local)
        assert not process(load_show(root)).ran

        # The entries already made go too: an episode whose later stages are gone is not mastered again.
        show = load_show(root)
        ep = show.episode("kennedy")
        cache = Cache(show.cache_dir)
        for entry in stage_entries(show, ep, code_digest())[1:]:
            shutil.rmtree(entry)
        again = process(show, ["kennedy"], cluster=address)
        assert set(again.ran) == {"transcribe", "content", "tag"}
        assert entries(root) == made
        assert cache.get("master", stage_entries(show, ep, code_digest())[0].name) is not None
