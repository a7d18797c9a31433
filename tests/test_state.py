"""The build state: what the no-op check sees (the show's files by stat, the files podkit.toml names,
nothing it writes), and when it says there is nothing to do."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import SHOW_TOML, MakeShow
from toolkit.build import state
from toolkit.config import read


def sources(root: Path, engine: str | None = None) -> str | None:
    """The digest of everything a build of ``root`` reads (None: the show cannot be read)."""
    found = state.scan(root, read(root), engine)
    return None if found is None else found.digest


def bump(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_the_digest_follows_sources_not_outputs(make_show: MakeShow, tmp_path: Path) -> None:
    intro = tmp_path / "elsewhere" / "intro.flac"  # outside the show's folder, named by podkit.toml
    intro.parent.mkdir()
    intro.write_bytes(b"sound")
    root = make_show(toml=SHOW_TOML + f'\n[master]\nintro = "{intro}"\n')
    first = sources(root)
    assert first is not None and first == sources(root)
    for written in (root / "public" / "index.html", root / ".podkit" / "x" / "entry.json"):
        written.parent.mkdir(parents=True)
        written.write_text("output")
    assert sources(root) == first  # what builds write is not a source
    assert sources(root, "openai") != first  # --engine changes the build
    bump(intro)
    second = sources(root)
    assert second != first
    bump(root / "episodes" / "kennedy" / "episode.md")
    assert sources(root) != second


def test_fresh_needs_the_same_digest_the_same_site_and_nothing_due(make_show: MakeShow) -> None:
    root = make_show()
    found = state.scan(root, read(root), None)
    assert found is not None
    now = datetime(2026, 6, 1, tzinfo=UTC)
    cache = root / ".podkit"
    assert not state.BuildState.load(cache, found.context).fresh(found, "site-1", now)  # no record yet
    state.BuildState.load(cache, found.context).save(found.digest, "site-1", None)
    kept = state.BuildState.load(cache, found.context)
    assert kept.fresh(found, "site-1", now)
    assert not kept.fresh(state.Scan("another digest", {}, found.context), "site-1", now)
    assert not kept.fresh(found, "site-2", now)  # public/ is not what that build left
    assert not kept.fresh(found, None, now)  # no public/ at all
    assert state.BuildState.load(cache, "another context").fresh(found, "site-1", now)  # moved: the same show
    assert state.BuildState.load(cache, "another context").episodes == {}  # but its episodes are other files
    state.BuildState.load(cache, found.context).save(found.digest, "site-1", now)
    assert not state.BuildState.load(cache, found.context).fresh(found, "site-1", now)  # an episode came due
    (root / "podkit.toml").write_text("not toml [")
    assert sources(root) is None
