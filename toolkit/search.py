"""Full-text search over every transcript and show note, with Pagefind (run offline).

Pagefind reads the finished pages in the staging folder and writes its bundle; the bundle is
published under ``pagefind/`` at the site root, so ``/pagefind/pagefind.js`` is where the
search page (and anyone else) loads it. Only elements marked ``data-pagefind-body`` are
indexed: the episode pages' notes and transcript, not the lists that repeat their titles.
Indexing every page again takes seconds on a large show, so the bundle is reused from the
previous site when no indexed page changed.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from .errors import PodkitError
from .writer import Writer

BUNDLE = "pagefind"
KEY = BUNDLE + "/"  # the manifest entry that remembers what the bundle was built from
# Timestamps are links inside each paragraph: noise in results and excerpts.
EXCLUDE = ".ts, .skip"


def executable() -> Path:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:  # pragma: no cover - a broken install
        raise PodkitError("the search indexer is missing", hint="pip install 'pagefind[extended]'") from exc
    return Path(get_executable())


def index(writer: Writer, key: str, previous: Path | None, manifest: MutableMapping[str, str]) -> None:
    """Publish the search bundle for the pages in ``writer``'s staging folder."""
    manifest[KEY] = key
    old = previous / BUNDLE if previous else None
    if previous is not None and old is not None and old.is_dir() and _previous_key(previous) == key:
        for path in sorted(p for p in old.rglob("*") if p.is_file()):
            writer.place(f"{BUNDLE}/{path.relative_to(old).as_posix()}", path)
        return
    with tempfile.TemporaryDirectory(prefix=".pagefind-", dir=writer.staging.parent) as tmp:
        out = Path(tmp) / BUNDLE
        cmd = [str(executable()), "--site", str(writer.staging), "--output-path", str(out),
               "--exclude-selectors", EXCLUDE, "--silent"]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PodkitError(f"the search index failed: {(result.stderr or result.stdout).strip()[-2000:]}")
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            writer.place(f"{BUNDLE}/{path.relative_to(out).as_posix()}", path)


def _previous_key(previous: Path) -> str | None:
    from .site import read_manifest

    return read_manifest(previous).get(KEY)
