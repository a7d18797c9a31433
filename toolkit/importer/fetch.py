"""Getting a feed and its files: from a URL (http, https) or a local path.

Downloads stream to a ``.part`` file beside their destination and are renamed into place only when
whole, so an interrupted import leaves no half file under a real name. A ``.part`` left by an earlier
run is resumed with an HTTP Range request; a server that ignores the range sends the whole file
again, which is written from the start. The standard library's HTTP client does all of this; an
import makes a handful of plain GETs.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from toolkit import __version__

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes if known)
CHUNK = 1 << 16
TIMEOUT = 60.0
USER_AGENT = f"podkit/{__version__} (podcast import)"


class FetchError(Exception):
    """A file could not be fetched whole; the message says why, for the user."""


def is_url(source: str) -> bool:
    return urlparse(source).scheme in ("http", "https")


def _request(url: str, offset: int = 0) -> urllib.request.Request:
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    return urllib.request.Request(url, headers=headers)


def _open(url: str, offset: int = 0):  # type: ignore[no-untyped-def]
    try:
        return urllib.request.urlopen(_request(url, offset), timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"HTTP {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"could not fetch {url}: {reason}") from exc


def read(source: str, limit: int = 64 << 20) -> bytes:
    """The whole of a small document (a feed, a chapters or transcript file): URL or path."""
    if not is_url(source):
        path = Path(unquote(urlparse(source).path) if source.startswith("file:") else source)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise FetchError(f"could not read {path}: {exc.strerror or exc}") from exc
    with _open(source) as response:
        try:
            data = bytes(response.read(limit + 1))
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"the connection broke while reading {source}: {exc}") from exc
    if len(data) > limit:
        raise FetchError(f"{source} is larger than {limit >> 20} MiB")
    return data


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def download(url: str, dest: Path, *, declared: int | None = None, progress: Progress | None = None) -> int:
    """Stream ``url`` to ``dest``, resuming a ``.part`` an earlier run left; returns the size.

    The file is whole when it has every byte the server announced (Content-Length, or the total of a
    Content-Range); a connection that ends before that is a truncated download, kept as ``.part``
    for the next run to resume. ``declared`` (the feed's enclosure length) is what the size is
    checked against when the server announces none.
    """
    part = part_path(dest)
    if not is_url(url):  # a feed on disk may name its audio by path
        try:
            shutil.copyfile(Path(unquote(urlparse(url).path)) if url.startswith("file:") else Path(url), part)
        except OSError as exc:
            raise FetchError(f"could not read {url}: {exc.strerror or exc}") from exc
        os.replace(part, dest)
        return dest.stat().st_size
    offset = part.stat().st_size if part.exists() else 0
    with _open(url, offset) as response:
        status = response.status
        if offset and status != 206:  # the server ignored the range: start again
            offset = 0
        total: int | None = None
        if status == 206:
            m = re.search(r"/(\d+)\s*$", response.headers.get("Content-Range", ""))
            total = int(m.group(1)) if m else None
        elif response.headers.get("Content-Length", "").isdigit():
            total = int(response.headers["Content-Length"])
        if total is None:
            total = declared
        done = offset
        with part.open("ab" if offset else "wb") as out:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (OSError, http.client.HTTPException):  # cut off: what arrived is kept for the next run
                    break
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    if total is not None and done < total:
        raise FetchError(f"truncated download: {done} of {total} bytes of {url} arrived "
                         "(kept; the next import resumes it)")
    os.replace(part, dest)
    return done
