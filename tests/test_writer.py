from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.errors import PodkitError
from toolkit.writer import Writer, recover


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
