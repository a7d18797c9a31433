"""Is the published site already the build of these sources? Answered without loading the show.

A no-op build of a large show used to parse every episode, look every stage up in the cache
and render every episode's notes before finding that nothing had changed. Now each successful
build records a digest of everything a build reads, taken before it read it: the stat of every
file in the show's folder (except the output, the cache and hidden folders) and of the artwork,
intro and outro podkit.toml names, podkit's own code and templates, and the versions of the
libraries that shape the output. (An episode's own intro or outro outside the show's folder is
not seen: `podkit build --force` after changing one.) It is kept in the
cache with the fingerprint of the site it produced. The next build takes the digest again; if
it is equal, the published site still carries that fingerprint and no scheduled episode has
come due since, there is nothing to do.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from . import settings
from .cache import atomic_write, code_digest
from .show import CONFIG_NAME, BuildSettings, Episode, load_config

RECORD = "uptodate.json"  # in the cache folder
STAMP = ".podkit-build"  # the site fingerprint, in the output folder (written by pipeline.publish)
# Libraries whose upgrade can change what a build writes.
LIBRARIES = ("feedgen", "jinja2", "markdown-it-py", "mutagen", "pagefind", "lxml", "faster-whisper",
             "openai-whisper", "ctranslate2")


def _config(root: Path) -> tuple[Path, Path, list[Path]] | None:
    """The show's output and cache folders and the files podkit.toml names (artwork, intro,
    outro: they may live outside the show's folder); None if podkit.toml cannot be read."""
    try:
        data, problems = load_config(root)
        table = data.get("build", {})
        build, more = settings.load(BuildSettings, table if isinstance(table, dict) else {},
                                    path=root, section="build")
        named = [data.get("show", {}).get("artwork"), *(data.get("master", {}).get(k) for k in ("intro", "outro"))]
    except Exception:  # any problem is for the full build to report
        return None
    if problems or more:
        return None
    return root / build.output, root / build.cache, [root / n for n in named if isinstance(n, str) and n]


def folders(root: Path) -> tuple[Path, Path] | None:
    config = _config(root)
    return None if config is None else config[:2]


def _code() -> str:
    """podkit's whole source (modules and schemas) and its default theme."""
    from .site import default_templates, templates_digest

    here = Path(__file__).resolve().parent
    modules = sorted(p.relative_to(here).as_posix() for p in here.rglob("*")
                     if p.is_file() and p.suffix in (".py", ".xsd", ".json") and "__pycache__" not in p.parts)
    return f"{code_digest(*modules)}/{templates_digest([default_templates()])}"


def _environment(engine: str | None) -> str:
    """What a build reads besides the show's files: podkit's code and templates (the code's digest
    holds podkit's version), the engine it was asked for, and the library versions."""
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    return "\0".join((str(engine), _code(), *versions))


def add_stats(h: hashlib._Hash, named: Iterable[tuple[str, str | Path]]) -> None:
    """Each file's label, size and modification time into ``h`` (a file that is not there adds nothing)."""
    for label, path in named:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            h.update(f"{label}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())


def ignored(folder: str) -> bool:
    """A folder of the show that no build reads (hidden, or Python's cache)."""
    return folder.startswith(".") or folder == "__pycache__"


@dataclass(frozen=True)
class Scan:
    digest: str  # of everything a build reads
    episodes: dict[str, str]  # episode folder name -> the digest of the files in it (see `memo`)
    # What shapes every episode besides its own folder (see `memo`): the environment, podkit.toml
    # and the files it names. Unlike ``digest`` it holds where the show is: a copy elsewhere
    # builds the same site, but its episodes are other files.
    context: str


def scan(root: Path, engine: str | None) -> Scan | None:
    """Everything a build of ``root`` reads, by file stats; None when the show cannot be read."""
    config = _config(root)
    if config is None:
        return None
    output, cache, named = config
    environment = _environment(engine)
    context = hashlib.sha256(f"{root}\0{environment}\0".encode())
    add_stats(context, [(str(p), p) for p in (root / CONFIG_NAME, *named)])
    # The walk does not follow links, so the folders as named are the ones to leave out.
    skip = {os.path.normpath(output), os.path.normpath(cache)}
    h = hashlib.sha256(environment.encode())
    # As podkit.toml names them: a show moved with its files keeps its digest.
    add_stats(h, [(str(p.relative_to(root) if p.is_relative_to(root) else p), p) for p in named])
    episodes_dir = os.path.join(str(root), "episodes") + os.sep
    episodes: dict[str, hashlib._Hash] = {}
    top = len(str(root)) + 1
    for folder, dirs, files in os.walk(str(root)):
        dirs[:] = sorted(d for d in dirs if not ignored(d) and os.path.join(folder, d) not in skip)
        within = None  # the episode folder this is in, if any
        if folder.startswith(episodes_dir):
            name, _, rest = folder[len(episodes_dir):].partition(os.sep)
            within = episodes.setdefault(name, hashlib.sha256())
            inner = rest + os.sep if rest else ""
        for name in sorted(files):
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):  # gone since the listing: the digest differs anyway
                st = os.stat(path)
                h.update(f"{path[top:]}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
                if within is not None:
                    within.update(f"{inner}{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return Scan(h.hexdigest(), {name: d.hexdigest() for name, d in episodes.items()}, context.hexdigest())


def fresh(root: Path, digest: str | None, now: datetime) -> bool:
    """True when the last build of these very sources is the site that is published."""
    found = folders(root)
    if digest is None or found is None:
        return False
    output, cache = found
    try:
        record = json.loads((cache / RECORD).read_text())
        published = (output / STAMP).read_text().strip()
        due = record.get("due")
        return bool(record["sources"] == digest and record["site"] == published
                    and (due is None or now < datetime.fromisoformat(due)))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def record(root: Path, digest: str | None, episodes: tuple[Episode, ...], now: datetime) -> None:
    """Remember that the published site is the build of ``digest`` (taken before the build read anything)."""
    found = folders(root)
    if digest is None or found is None:
        return
    output, cache = found
    try:
        site = (output / STAMP).read_text().strip()
    except OSError:
        return
    # The build is stale as soon as a scheduled episode comes due.
    due = min((ep.date for ep in episodes if not ep.draft and ep.date > now), default=None)
    cache.mkdir(parents=True, exist_ok=True)
    atomic_write(cache / RECORD, json.dumps({"sources": digest, "site": site,
                                             "due": due.isoformat() if due else None}).encode())
