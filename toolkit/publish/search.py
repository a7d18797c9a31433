"""Full-text search over every transcript and show note, with Pagefind (run offline).

Pagefind has no incremental indexing, and indexing long transcripts takes seconds on a large
show, so search is split into several Pagefind bundles that the search page merges in the
browser, each covering a fixed run of episodes in order of publication (oldest first):

- show notes (with titles and descriptions), ``NOTES_SHARD`` episodes per bundle. The first is
  the primary bundle at ``pagefind/``, so ``/pagefind/pagefind.js`` is where the search page
  (and anyone else) loads Pagefind; the rest are ``pagefind-notes/<n>/``;
- transcripts, ``SHARD`` episodes per bundle, at ``pagefind-transcripts/<n>/``.

A bundle is rebuilt only when one of its episodes changes, and a new episode lands in the
newest bundles: editing one episode's notes re-indexes a hundred short documents, not every
transcript. Each bundle is indexed from small pages written for it (title plus notes, or title
plus the transcript's paragraphs with their ``t<milliseconds>`` ids, which lead a hit to its
moment), not from the finished site, so the indexer runs while the site renders, one Pagefind
process per core. Bundles are kept in the cache, so each is indexed once.
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from toolkit.errors import PodkitError
from toolkit.publish.writer import Writer

PRIMARY = "pagefind"
BUNDLE = "bundle"  # the bundle's folder in its cache entry
NOTES = "pagefind-notes"
TRANSCRIPTS = "pagefind-transcripts"
# Episodes per bundle: bigger bundles cost an edit more, smaller ones cost the reader more requests
# (each bundle the search page merges loads its own index and its ~70 KB of WebAssembly). Notes
# change with every edit and Pagefind's time grows with the pages it indexes, so their bundles
# are small; transcripts change only with a new episode or a new transcription, so theirs are
# large, and the search page merges as many bundles as before (15 at 500 episodes).
NOTES_SHARD = 50
SHARD = 100
# Timestamps are links inside each paragraph, speaker names and chapter titles are not what anyone
# said: noise in results, and excerpts of a transcript show the spoken words only.
EXCLUDE = ".ts, .skip, .speaker, .chapter"
# Where the pages Pagefind reads are written, one folder each, and deleted once indexed: memory
# where there is some (making a hundred folders on disk was half of re-indexing a notes bundle).
SCRATCH = "/dev/shm"


class Store(Protocol):
    """Where finished bundles are kept (the build's content-addressed cache)."""

    def get(self, stage: str, key: str) -> Path | None: ...
    def put(self, stage: str, key: str, build: Callable[[Path], None]) -> Path: ...


def executable() -> Path:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:  # pragma: no cover - a broken install
        raise PodkitError("the search indexer is missing", hint="pip install 'pagefind[extended]'") from exc
    return Path(get_executable())


@dataclass(frozen=True)
class Doc:
    """One episode as search sees it. ``body`` is HTML: escaped text, or the content's own markup."""

    url: str  # the page's path from the site root, e.g. "episodes/x/"
    title: str
    key: str  # changes whenever the body does
    body: Callable[[], str]  # read only when the bundle must be rebuilt


@dataclass(frozen=True)
class Bundle:
    path: str  # folder under the site root
    key: str
    docs: tuple[Doc, ...]


def bundles(notes: Sequence[Doc], transcripts: Sequence[Doc], language: str, code: str) -> list[Bundle]:
    """The primary bundle first, then the others. Both lists in order of publication, oldest first.
    ``code`` is the digest of podkit's code, which makes the pages Pagefind indexes."""
    def bundle(path: str, docs: Sequence[Doc]) -> Bundle:
        parts = [code, EXCLUDE, language, path, *(f"{d.url}\0{d.title}\0{d.key}" for d in docs)]
        return Bundle(path, hashlib.sha256("\0\0".join(parts).encode()).hexdigest(), tuple(docs))

    out = [bundle(PRIMARY if n == 0 else f"{NOTES}/{n}", notes[start:start + NOTES_SHARD])
           for n, start in enumerate(range(0, len(notes), NOTES_SHARD))] or [bundle(PRIMARY, ())]
    out += [bundle(f"{TRANSCRIPTS}/{n}", transcripts[start:start + SHARD])
            for n, start in enumerate(range(0, len(transcripts), SHARD))]
    return out


def _page(doc: Doc, language: str) -> str:
    title = html.escape(doc.title)
    return (f'<!doctype html>\n<html lang="{html.escape(language)}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head>\n<body><main data-pagefind-body><h1>{title}</h1>\n"
            f"{doc.body()}</main></body></html>\n")


class Indexer:
    """Builds the bundles missing from the cache in the background (one Pagefind process per
    worker) while the caller renders the site; `finish` places every bundle in the staging folder.

    Bundles live in the content-addressed cache (stage "search", keyed by their inputs), so a
    bundle is indexed once: a rebuild, an edit elsewhere or a deleted ``public/`` reuses it.
    """

    def __init__(self, writer: Writer, wanted: list[Bundle], language: str, cache: Store, workers: int,
                 adopt: Callable[[str, str], bool] | None = None) -> None:
        """``adopt(folder, key)``, when given, takes an unchanged bundle from the previous site."""
        self.writer, self.cache, self.language = writer, cache, language
        adopted = {b.path for b in wanted if adopt is not None and adopt(f"{b.path}/", b.key)}
        self.entries: dict[str, Path | None] = {
            b.path: cache.get("search", b.key) for b in wanted if b.path not in adopted}
        stale = [b for b in wanted if b.path in self.entries and self.entries[b.path] is None]
        self.built = [b.path for b in stale]
        self.scratch: list[str] = []  # folders of pages for Pagefind, deleted as each is indexed
        workers = max(1, workers)
        self.pool = ThreadPoolExecutor(max_workers=workers) if stale else None
        self.futures: dict[str, Future[Path]] = {}
        try:
            for n, b in enumerate(stale):
                # The first bundles' pages are written here, not in the worker threads: a thread
                # making hundreds of small files waits for the interpreter lock at each one while
                # the caller renders (an edit's one bundle took twice as long). The rest wait in
                # the threads, so that not every page of a full build is in memory at once.
                pages = self._pages(b) if n < workers else None
                assert self.pool is not None
                self.futures[b.path] = self.pool.submit(self.cache.put, "search", b.key,
                                                        partial(self._index, b, pages))
        except BaseException:
            self.close()
            raise

    def _pages(self, bundle: Bundle) -> str:
        """A folder of the pages Pagefind indexes for ``bundle``."""
        site = tempfile.mkdtemp(prefix="podkit-search-", dir=SCRATCH if os.access(SCRATCH, os.W_OK) else None)
        self.scratch.append(site)
        for doc in bundle.docs:
            os.makedirs(f"{site}/{doc.url}", exist_ok=True)
            with open(f"{site}/{doc.url}/index.html", "w", encoding="utf-8") as f:
                f.write(_page(doc, self.language))
        if not bundle.docs:  # Pagefind needs a page to write a bundle; an empty show still gets one
            with open(f"{site}/index.html", "w", encoding="utf-8") as f:
                f.write(f'<!doctype html><html lang="{html.escape(self.language)}"><body>'
                        "<main data-pagefind-body><h1>No episodes yet</h1></main></body></html>\n")
        return site

    def _index(self, bundle: Bundle, pages: str | None, folder: Path) -> None:
        """Pagefind's bundle of ``bundle``'s pages (written now if they were not), into ``folder``."""
        pages = pages or self._pages(bundle)
        try:
            cmd = [str(executable()), "--site", pages, "--output-path", str(folder / BUNDLE),
                   "--exclude-selectors", EXCLUDE, "--silent"]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        finally:
            shutil.rmtree(pages, ignore_errors=True)
        if result.returncode != 0:
            raise PodkitError(f"the search index failed: {(result.stderr or result.stdout).strip()[-2000:]}")

    def finish(self) -> None:
        """Wait for the indexer, then publish every bundle not adopted (hard links into the cache)."""
        try:
            for path, fut in self.futures.items():
                self.entries[path] = fut.result()
            for path, entry in self.entries.items():
                assert entry is not None
                folder = str(entry / BUNDLE)
                for here, dirs, files in os.walk(folder):
                    dirs.sort()
                    inner = here[len(folder):].lstrip("/")
                    for name in sorted(files):
                        self.writer.place(f"{path}/{inner}/{name}" if inner else f"{path}/{name}",
                                          Path(here, name))
        finally:
            self.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        for site in self.scratch:
            shutil.rmtree(site, ignore_errors=True)
        self.scratch.clear()

