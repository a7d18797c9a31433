"""`podkit serve --watch`: rebuild when the show's sources or templates change, and show a failed
rebuild over every open page (the overlay) until the author fixes it.

Polling, not inotify: it needs no dependency, works on every filesystem, and a show is a few
hundred files, so a scan a second costs nothing. Output and cache folders are never watched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from toolkit.errors import InvalidShow, PodkitError

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path, ignore: tuple[Path, ...]) -> Snapshot:
    """Size and modification time of every source file under ``root``."""
    skip = {p.resolve() for p in ignore}
    out: Snapshot = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue  # caches, staging folders, editors' swap files
            if entry.is_dir():
                if entry.resolve() not in skip:
                    stack.append(entry)
            elif entry.is_file():
                st = entry.stat()
                out[str(entry)] = (st.st_size, st.st_mtime_ns)
    return out


def watch(roots: list[Path], ignore: tuple[Path, ...], rebuild: Callable[[], None], stop: threading.Event,
          interval: float = 1.0) -> None:
    """Call ``rebuild`` whenever a file under ``roots`` changes, until ``stop`` is set."""

    def scan() -> Snapshot:
        merged: Snapshot = {}
        for root in roots:
            merged.update(snapshot(root, ignore))
        return merged

    before = scan()
    while not stop.wait(interval):
        now = scan()
        if now != before:
            before = now
            rebuild()


# --- What a failed rebuild shows -----------------------------------------------------------------

PROBLEMS_PATH = "/__podkit/problems"


def problem_lines(exc: PodkitError) -> list[str]:
    """An error as the terminal prints it, one line per problem: the overlay shows the same lines."""
    if isinstance(exc, InvalidShow):
        return [str(p) for p in exc.problems]
    return [str(exc)]


class Status(Protocol):
    """What open pages poll (serve's `Version`): a counter of published rebuilds, and the problems
    of the last build when it failed (empty when it worked)."""

    problems: list[str]

    def bump(self) -> None: ...


def rebuilder(root: Path, build: Callable[[Path], bool], status: Status,
              say: Callable[[str], None]) -> Callable[[], None]:
    """The watcher's rebuild: publish and reload open pages, or keep the last good site served and
    show why in the terminal and, over every open page, in the overlay; recover at the next good build."""

    def rebuild() -> None:
        try:
            published = build(root)
        except PodkitError as exc:
            status.problems = problem_lines(exc)
            say("build failed; still serving the last good build:")
            for line in status.problems:
                say(f"  {line}")
            return
        fixed, status.problems = bool(status.problems), []
        if published:
            status.bump()
            say("rebuilt; open pages reload")
        elif fixed:
            say("fixed; the site was already up to date")

    return rebuild


def problems_now(root: Path) -> list[str]:
    """What is wrong with the show's sources at the moment, as `problem_lines` (empty: nothing)."""
    from toolkit.show import load_show

    try:
        load_show(root, check_audio=False)
    except PodkitError as exc:
        return problem_lines(exc)
    return []


# Polls the site's version (reloads when a rebuild is published) and the problems of the last build
# (shown over the page, gone when the author fixes them). Plain DOM, no styles of the theme's.
CLIENT_SCRIPT = """<script>(function(){var v=null,box=null;
function show(lines){if(!lines.length){if(box){box.remove();box=null}return}
if(!box){box=document.createElement('div');box.id='podkit-problems';box.setAttribute('role','alert');
box.style.cssText='position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:70vh;overflow:auto;'+
'margin:0;padding:1rem 1.25rem;background:#2b0b0e;color:#ffe4e4;border-top:4px solid #e5484d;'+
'font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;text-align:left';
document.body.appendChild(box)}
box.textContent='podkit: the last rebuild failed; this page is the last good build.\\n\\n'+lines.join('\\n')+
'\\n\\nFix the file and save: this goes away by itself.'}
function poll(){fetch('VERSION',{cache:'no-store'}).then(function(r){return r.text()}).then(function(t){
if(v!==null&&t!==v)location.reload();v=t}).catch(function(){});
fetch('PROBLEMS',{cache:'no-store'}).then(function(r){return r.json()}).then(show).catch(function(){})}
poll();setInterval(poll,1000)})();</script>"""
