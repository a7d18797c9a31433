from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.build.cache import Cache


def _write_done(folder: Path) -> None:
    (folder / "out.txt").write_text("done")


def test_key_depends_on_content_settings_and_version(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    a = tmp_path / "a.bin"
    a.write_bytes(b"one")
    k1 = cache.key("master", "1", {"tracks": [a], "target": -16.0})
    assert cache.key("master", "1", {"target": -16.0, "tracks": [a]}) == k1  # order-free
    assert cache.key("master", "2", {"tracks": [a], "target": -16.0}) != k1
    assert cache.key("transcribe", "1", {"tracks": [a], "target": -16.0}) != k1
    assert cache.key("master", "1", {"tracks": [a], "target": -19.0}) != k1
    a.write_bytes(b"two")
    assert cache.key("master", "1", {"tracks": [a], "target": -16.0}) != k1
    b = tmp_path / "b.bin"
    b.write_bytes(b"two")
    assert cache.key("master", "1", {"tracks": [b], "target": -16.0}) == cache.key(
        "master", "1", {"tracks": [a], "target": -16.0})  # content, not name


def test_a_made_file_counts_by_its_entry(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    made = cache.put("master", "k" * 64, _write_done) / "out.txt"
    key = cache.key("content", "1", {"transcript": made})
    made.write_text("changed in place")  # an entry never changes: its place is its identity
    assert cache.key("content", "1", {"transcript": made}) == key
    assert cache.key("master", "1", {}) == Cache(tmp_path / "cache").key("master", "1", {})


def test_put_get_and_interrupted_build_leaves_nothing(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c")
    assert cache.get("s", "ab" * 32) is None

    def boom(folder: Path) -> None:
        (folder / "half.txt").write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.put("s", "ab" * 32, boom)
    assert cache.get("s", "ab" * 32) is None
    assert not any(p.is_file() for p in (tmp_path / "c").rglob("*"))

    entry = cache.put("s", "ab" * 32, _write_done)
    assert cache.get("s", "ab" * 32) == entry
    assert (entry / "out.txt").read_text() == "done"


def test_damaged_entry_is_a_warning_and_a_rebuild(tmp_path: Path) -> None:
    warnings: list[str] = []
    cache = Cache(tmp_path / "c", warnings.append)
    entry = cache.put("s", "cd" * 32, _write_done)
    (entry / "out.txt").write_text("d")  # truncated behind the cache's back
    assert cache.get("s", "cd" * 32) is None
    assert warnings and "damaged" in warnings[0]
    assert not entry.exists()


def test_entries_are_readable_by_others(tmp_path: Path) -> None:
    """Published audio is a hard link into the cache; a web server must be able to read it."""
    import tempfile

    def private(folder: Path) -> None:
        fd, name = tempfile.mkstemp(dir=folder, suffix=".mp3")  # mode 0600
        os.close(fd)
        Path(name).rename(folder / "audio.mp3")

    entry = Cache(tmp_path / "c").put("s", "ef" * 32, private)
    assert (entry / "audio.mp3").stat().st_mode & 0o044 == 0o044
    assert entry.stat().st_mode & 0o055 == 0o055


KILLED_STAGE = """
import os, signal, sys
from pathlib import Path
from toolkit.build.cache import Cache

def half(folder: Path) -> None:
    (folder / "partial.mp3").write_bytes(b"\\xff" * 100_000)
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-stage

Cache(Path(sys.argv[1])).put("master", "ab" * 32, half)
"""


def test_a_killed_stage_leaves_debris_that_the_next_run_deletes(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    root = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", KILLED_STAGE, str(root)], env=env, check=False)
    (debris,) = (root / ".tmp").iterdir()
    assert (debris / "partial.mp3").exists()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        running = root / ".tmp" / f"{sleeper.pid}-master-0123456789ab-x"  # a live process's: kept
        running.mkdir()
        old = root / ".tmp" / f"{sleeper.pid}-tag-0123456789ab-y"  # a live PID, but a day old: reused, debris
        old.mkdir()
        day_ago = time.time() - 2 * 24 * 3600
        os.utime(old, (day_ago, day_ago))
        # A process on another machine (a cluster's worker, the cache shared) cannot be asked: kept for a day.
        remote = root / ".tmp" / "999999999@another-host@transcribe-0123456789ab-z"
        remote.mkdir()
        remote_old = root / ".tmp" / "999999998@another-host@transcribe-0123456789ab-z"
        remote_old.mkdir()
        os.utime(remote_old, (day_ago, day_ago))
        assert Cache(root).tidy() == 100_000
        assert sorted(p.name for p in (root / ".tmp").iterdir()) == sorted([running.name, remote.name])
    finally:
        sleeper.kill()
        sleeper.wait()
    shutil.rmtree(remote)
    assert Cache(root).tidy() == 0 and not list((root / ".tmp").iterdir())  # its process is gone now
    assert Cache(root).get("master", "ab" * 32) is None


def test_cache_prune_deletes_what_no_episode_uses_and_says_what_it_freed(built_small: Path, tmp_path: Path) -> None:
    import re
    import shutil

    from click.testing import CliRunner

    from toolkit.build.pipeline import build
    from toolkit.cli import cli

    root = tmp_path / "show"
    shutil.copytree(built_small, root, symlinks=True)
    md = root / "episodes" / "kennedy" / "episode.md"
    md.write_text(md.read_text().replace('title = "Kennedy"', 'title = "Kennedy, retitled"'))
    assert build(root).ran["tag"] == 1  # a new tagged MP3: the old one is in the cache, unused
    debris = root / ".podkit" / ".tmp" / "999999999-master-0123456789ab-z"
    debris.mkdir(parents=True)
    (debris / "partial.mp3").write_bytes(b"\xff" * 50_000)
    assert len(list((root / ".podkit" / "tag").glob("*/*"))) == 2
    published = (root / "public" / "episodes" / "kennedy" / "kennedy.mp3").stat().st_ino
    result = CliRunner().invoke(cli, ["cache", "prune", "--show", str(root)])
    assert result.exit_code == 0, result.output
    # The old MP3 and the search bundles of the old title.
    m = re.fullmatch(r"removed (\d+) unused cache entries, freed (\d+\.\d) MB\n", result.output)
    assert m and int(m.group(1)) >= 1 and float(m.group(2)) > 0.05, result.output
    (tag,) = (root / ".podkit" / "tag").glob("*/*")
    assert (tag / "episode.mp3").stat().st_ino == published and not debris.exists()
    for stage in ("master", "transcribe", "content", "search"):
        assert list((root / ".podkit" / stage).glob("*/*")), stage
    assert build(root).ran == {}  # nothing the show uses was deleted
    assert build(root, force=True).ran == {"site": 1}
    again = CliRunner().invoke(cli, ["cache", "prune", "--show", str(root)])
    assert again.output == "removed 0 unused cache entries, freed 0.0 MB\n"
