from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import snapshot
from toolkit.errors import PodkitError
from toolkit.publish.writer import Writer, recover


def test_writer_swaps_in_whole_and_refuses_duplicates(tmp_path: Path) -> None:
    target = tmp_path / "public"
    target.mkdir()
    (target / "old.html").write_text("old")
    w = Writer(target)
    w.write("index.html", "new")
    with pytest.raises(PodkitError, match="same path"):
        w.write("index.html", "again")
    with pytest.raises(PodkitError, match="outside"):
        w.write("../escape.html", "x")
    assert (target / "old.html").exists()  # nothing visible until commit
    w.commit()
    assert sorted(p.name for p in target.iterdir()) == ["index.html"]
    assert target.stat().st_mode & 0o055 == 0o055  # a web server can read it
    assert not list(tmp_path.glob(".public*"))


def test_aborted_build_and_interrupted_swap_keep_the_last_site(tmp_path: Path) -> None:
    target = tmp_path / "public"
    target.mkdir()
    (target / "index.html").write_text("good")
    w = Writer(target)
    w.write("index.html", "half")
    w.abort()
    assert (target / "index.html").read_text() == "good"
    # a swap cut off between its two renames
    target.rename(tmp_path / ".public.old")
    recover(target)
    assert (target / "index.html").read_text() == "good"


def _site(target: Path) -> None:
    for rel in ("index.html", "a/x.html", "b/y.html", "deep/c/z.html"):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text(f"old {rel}")


def test_adopted_folders_are_moved_in_whole_at_commit(tmp_path: Path) -> None:
    target = tmp_path / "public"
    _site(target)
    inode = (target / "a" / "x.html").stat().st_ino
    w = Writer(target)
    w.adopt("a/")
    w.adopt("deep/c")
    w.write("index.html", "new")
    for clash in ("a/other.html", "deep/c/z.html"):  # a file inside an adopted folder
        with pytest.raises(PodkitError, match="same path"):
            w.write(clash, "x")
    with pytest.raises(PodkitError, match="same path"):
        w.adopt("a")  # twice
    w.write("b/new.html", "n")
    with pytest.raises(PodkitError, match="same path"):
        w.adopt("b/")  # a folder the build has written into
    w.commit()
    assert (target / "a" / "x.html").stat().st_ino == inode  # moved, not copied
    assert (target / "deep" / "c" / "z.html").read_text() == "old deep/c/z.html"
    assert not (target / "b" / "y.html").exists() and (target / "b" / "new.html").exists()
    assert (target / "index.html").read_text() == "new"
    assert not list(tmp_path.glob(".public*")) and not list(target.glob(".podkit*"))


def _adopting(tmp_path: Path) -> tuple[Path, dict[str, bytes], Writer]:
    """A published site, what it holds, and a build that adopts its folder a/."""
    target = tmp_path / "public"
    _site(target)
    before = snapshot(target)
    w = Writer(target)
    w.adopt("a/")
    return target, before, w


def test_a_commit_cut_off_while_adopting_is_undone(tmp_path: Path) -> None:
    target, before, w = _adopting(tmp_path)
    w.adopt("deep/c/")
    w.write("index.html", "new")
    w._adopt()  # the folders are in the staging folder: then the process dies before the swap
    assert not (target / "a").exists()
    recover(target)
    assert snapshot(target) == before
    assert not list(tmp_path.glob(".public.building-*"))


def test_an_aborted_build_with_adopted_folders_keeps_the_last_site(tmp_path: Path) -> None:
    target, before, w = _adopting(tmp_path)
    w.write("index.html", "half")
    w.abort()
    assert snapshot(target) == before
