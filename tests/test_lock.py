"""One build at a time: the show's build lock, held by real processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REPO, data_file, debris, episode_md, snapshot
from toolkit.build.lock import hold
from toolkit.cli import cli
from toolkit.errors import PodkitError
from toolkit.show import GUID_FILE

HOLDER = """
import sys, time
from pathlib import Path
from toolkit.build.lock import hold
with hold(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""


def _holder(cache: Path) -> subprocess.Popen[str]:
    """Another process holding the lock (it says so, then sleeps until killed)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(cache)], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_second_build_stops_or_waits_and_a_dead_holder_lets_go(tmp_path: Path) -> None:
    cache = tmp_path / ".podkit"
    proc = _holder(cache)
    try:
        with pytest.raises(PodkitError, match=rf"another build of this show is running \(PID {proc.pid}, started "), \
                hold(cache):
            pass
        said: list[str] = []
        got = threading.Event()

        def waiter() -> None:
            with hold(cache, wait=True, say=said.append):
                got.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        assert not got.wait(0.5)  # still waiting (a short grace, not a timing assertion: it must not get in)
        os.kill(proc.pid, signal.SIGKILL)  # the holder dies without tidying up: the lock is taken over
        thread.join(timeout=60)
        assert got.is_set()
        assert said == [f"waiting for another build of this show to finish (PID {proc.pid}, started "
                        + said[0].split("started ")[1]]
    finally:
        proc.kill()
        proc.wait()
    with hold(cache):  # a dead holder's record in the file does not stop anyone
        pass


def test_build_refuses_with_one_line_while_another_runs(built_small: Path, tmp_path: Path) -> None:
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    before = snapshot(root / "public")
    proc = _holder(root / ".podkit")
    try:
        result = CliRunner().invoke(cli, ["build", "--force", "--show", str(root)])
        result_process = CliRunner().invoke(cli, ["process", "--show", str(root)])
    finally:
        proc.kill()
        proc.wait()
    for res in (result, result_process):
        assert res.exit_code == 1, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and f"another build of this show is running (PID {proc.pid}" in lines[0], res.output
        assert "--wait" in lines[0] and "build.lock" in lines[0]
    assert snapshot(root / "public") == before


def test_concurrent_builds_take_turns(built_small: Path, tmp_path: Path) -> None:
    """Three `podkit build --wait --force` at once: every one succeeds, and the site is whole."""
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    before = snapshot(root / "public")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "toolkit.cli", "build", "--wait", "--force", "--show", str(root)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env) for _ in range(3)]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out
        assert "Traceback" not in out
    after = snapshot(root / "public")
    assert after.keys() == before.keys()  # the same sources build the same site (the feed's build date aside)
    volatile = {"feed.xml", ".podkit-pages.json"}  # the build date; keys that hold podkit's code digest
    assert {k: v for k, v in after.items() if k not in volatile} == {k: v for k, v in before.items()
                                                                     if k not in volatile}
    assert not debris(tmp_path / "show")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid``, from /proc (Linux)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        try:
            tasks = list(Path(f"/proc/{todo.pop()}/task").glob("*"))
        except OSError:  # gone meanwhile
            continue
        for task in tasks:
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except OSError:  # gone meanwhile
                continue
            todo += children - found
            found |= children
    return found


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:  # the process is gone
        return b""


@pytest.mark.parametrize(("how", "started"), [("terminated", 1), ("terminated", 3), ("interrupted", 2)])
def test_a_stopped_build_stops_its_workers_and_lets_go(built_small: Path, tmp_path: Path, how: str,
                                                       started: int) -> None:
    """SIGTERM (a service manager, a CI timeout: it reaches podkit's own process only) or Ctrl-C (the
    terminal's whole process group) stops a build with its worker processes, whether they are still
    being launched or at work: one line, no traceback, no worker left behind, the site and the lock as
    they were."""
    root = tmp_path / "show"
    shutil.copytree(built_small, root)
    second = root / "episodes" / "second"
    shutil.copytree(root / "episodes" / "kennedy", second)
    (second / GUID_FILE).unlink(missing_ok=True)
    (second / "episode.md").write_text(episode_md("Second", "2026-01-12", 2))
    for folder, clip in ((root / "episodes" / "kennedy", "interview_guest.flac"), (second, "interview_host.flac")):
        shutil.copy(data_file(clip), folder / "speech.flac")  # new audio: two episodes for the workers
    before = snapshot(root / "public")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "build", "--show", str(root)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)  # as from a service: no terminal sends Ctrl-C to all
    try:
        workers: set[int] = set()
        while proc.poll() is None and len(workers) < started:  # the manager first, then the pool's two
            workers = {p for p in _descendants(proc.pid) if b"multiprocessing" in _read(f"/proc/{p}/cmdline")}
        assert proc.poll() is None, proc.communicate()[0]
        if how == "terminated":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        out = proc.communicate(timeout=300)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == (143 if how == "terminated" else 130), out
    assert "Traceback" not in out
    assert out.strip().splitlines()[-1] == f"{how}; finished work is kept in the cache, the site is unchanged"
    for pid in workers:  # shut down by the build, not left to finish their episodes unwatched
        for _ in range(600):
            if _read(f"/proc/{pid}/stat").split(b") ")[-1][:1] in (b"", b"Z"):  # gone, or a zombie
                break
            threading.Event().wait(0.1)
        else:
            raise AssertionError(f"worker {pid} outlived the terminated build")
    assert snapshot(root / "public") == before
    with hold(root / ".podkit"):  # let go: the next build can start
        pass
