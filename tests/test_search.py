"""The search bundles: which episodes each holds, and that an edit re-indexes only its own."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest

from toolkit.build.cache import Cache
from toolkit.publish import search
from toolkit.publish.writer import Writer


def docs(n: int, changed: int | None = None, kind: str = "notes") -> list[search.Doc]:
    out = []
    for i in range(n):
        body = f"<p>{kind} of episode {i}{' (edited)' if i == changed else ''}</p>"
        out.append(search.Doc(f"episodes/e{i}/", f"Episode {i}", body, partial(str, body)))
    return out


def test_bundles_split_by_publication_order_and_an_edit_rekeys_one() -> None:
    before = search.bundles(docs(230), docs(120, kind="transcript"), "en", "code")
    assert [b.path for b in before] == ["pagefind", "pagefind-notes/1", "pagefind-notes/2", "pagefind-notes/3",
                                        "pagefind-notes/4", "pagefind-transcripts/0", "pagefind-transcripts/1"]
    assert [len(b.docs) for b in before] == [50, 50, 50, 50, 30, 100, 20]
    after = search.bundles(docs(230, changed=150), docs(120, kind="transcript"), "en", "code")
    assert [b.path for b, a in zip(before, after, strict=True) if b.key != a.key] == ["pagefind-notes/3"]
    grown = search.bundles(docs(231), docs(121, kind="transcript"), "en", "code")  # a new episode: the newest bundles
    assert [b.path for b, g in zip(before, grown, strict=False) if b.key != g.key] == [
        "pagefind-notes/4", "pagefind-transcripts/1"]
    assert search.bundles([], [], "en", "code")[0].path == "pagefind"  # an empty show still has the primary


def test_bundles_are_indexed_once_and_found_in_the_cache(tmp_path: Path) -> None:
    wanted = search.bundles(docs(3), docs(3, kind="transcript"), "en", "code")
    cache = Cache(tmp_path / "cache")

    def publish() -> search.Indexer:
        writer = Writer(tmp_path / "public")
        indexer = search.Indexer(writer, wanted, "en", cache, workers=2)
        indexer.finish()
        writer.commit()
        return indexer

    assert len(publish().built) == 2
    entry = json.loads((tmp_path / "public" / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["languages"]["en"]["page_count"] == 3
    assert (tmp_path / "public" / "pagefind-transcripts" / "0" / "pagefind.js").is_file()
    assert publish().built == []  # both from the cache
    # A damaged entry (a file gone) is found when the build looks it up, and indexed again.
    next((tmp_path / "cache" / "search").rglob("pagefind.js")).unlink()
    assert len(publish().built) == 1
    assert (tmp_path / "public" / "pagefind" / "pagefind.js").is_file()
    assert (tmp_path / "public" / "pagefind-transcripts" / "0" / "pagefind.js").is_file()


def test_more_bundles_than_workers_are_all_indexed_and_leave_no_pages_behind(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(search, "SCRATCH", str(scratch))
    # Three notes bundles, one of transcripts.
    wanted = search.bundles(docs(120), docs(3, kind="transcript"), "en", "code")
    writer = Writer(tmp_path / "public")
    indexer = search.Indexer(writer, wanted, "en", Cache(tmp_path / "cache"), workers=1)
    indexer.finish()
    writer.commit()
    assert len(indexer.built) == 4 and list(scratch.iterdir()) == []
    for path, count in (("pagefind", 50), ("pagefind-notes/2", 20), ("pagefind-transcripts/0", 3)):
        entry = json.loads((tmp_path / "public" / path / "pagefind-entry.json").read_text())
        assert entry["languages"]["en"]["page_count"] == count
