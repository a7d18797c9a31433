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

from tests.conftest import REPO, snapshot
from toolkit.build.lock import hold
from toolkit.cli import cli
from toolkit.errors import PodkitError

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
    assert not list(tmp_path.glob("show/.public*"))
