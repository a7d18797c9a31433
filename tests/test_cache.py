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
