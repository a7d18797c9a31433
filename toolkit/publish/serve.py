"""`podkit serve`: the built site on 127.0.0.1, with byte ranges so browsers can seek audio.

With ``reload`` (``--watch``), every HTML page gets a small script that polls
``/__podkit/version`` and reloads the page when a rebuild has been published.
"""

from __future__ import annotations

import http.server
import json
import mimetypes
import os
import re
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.publish.watch import CLIENT_SCRIPT, PROBLEMS_PATH

EXTRA_TYPES = {".vtt": "text/vtt", ".srt": "application/x-subrip", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
               ".xml": "application/xml", ".json": "application/json", ".webmanifest": "application/manifest+json",
               ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm",
               ".txt": "text/plain; charset=utf-8", ".html": "text/html; charset=utf-8",
               ".pagefind": "application/octet-stream", ".pf_meta": "application/octet-stream",
               ".pf_index": "application/octet-stream", ".pf_fragment": "application/octet-stream"}
VERSION_PATH = "/__podkit/version"
# Reloads open pages after a published rebuild, and shows a failed one over them (see `watch`).
RELOAD_SCRIPT = CLIENT_SCRIPT.replace("'VERSION'", f"'{VERSION_PATH}'").replace("'PROBLEMS'", f"'{PROBLEMS_PATH}'")


class Version:
    """A counter the watcher bumps after each published rebuild, and the last build's problems."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()
        self.problems: list[str] = []

    def bump(self) -> None:
        with self.lock:
            self.value += 1


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **EXTRA_TYPES}  # noqa: RUF012

    def __init__(self, *args: Any, version: Version | None = None, prefix: str = "/", **kwargs: Any) -> None:
        self.version = version
        self.prefix = prefix  # the path of the show's url: the site is served there too
        self._remaining: int | None = None
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Access-Control-Allow-Origin", "*")  # transcripts are fetched cross-origin
        self.send_header("Cache-Control", "no-cache")  # a local preview: always show the latest build
        super().end_headers()

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        suffix = Path(path).suffix.lower()
        return self.extensions_map.get(suffix) or mimetypes.guess_type(str(path))[0] or "application/octet-stream"

    def _send_bytes(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_head(self) -> BinaryIO | None:
        if self.version is not None and self.path.split("?")[0] == VERSION_PATH:
            self._send_bytes(200, str(self.version.value).encode(), "text/plain")
            return None
        if self.version is not None and self.path.split("?")[0] == PROBLEMS_PATH:
            self._send_bytes(200, json.dumps(self.version.problems).encode(), "application/json")
            return None
        path = Path(self.translate_path(self.path))
        if path.is_dir() and not self.path.split("?")[0].endswith("/"):
            return super().send_head()  # the redirect to the slash URL
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            not_found = Path(self.directory) / "404.html"
            body = not_found.read_bytes() if not_found.is_file() else b"<h1>Not found</h1>"
            self._send_bytes(404, self._inject(body), "text/html; charset=utf-8")
            return None
        if path.suffix == ".html" and self.version is not None:
            self._send_bytes(200, self._inject(path.read_bytes()), "text/html; charset=utf-8")
            return None
        size = path.stat().st_size
        ctype = self.guess_type(path)
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if not match or match.groups() == ("", ""):
            f = path.open("rb")
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            return f
        first, last = match.groups()
        if first == "":
            start, end = max(0, size - int(last)), size - 1
        else:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        if start > end or start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        f = path.open("rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self._remaining = end - start + 1
        return f

    def translate_path(self, path: str) -> str:
        """Under the url's path as well as at the top: the 404 page links there (`pages.render`)."""
        if self.prefix != "/" and path.startswith(self.prefix):
            path = "/" + path[len(self.prefix):]
        return super().translate_path(path)

    def _inject(self, body: bytes) -> bytes:
        if self.version is None:
            return body
        marker = body.rfind(b"</body>")
        script = RELOAD_SCRIPT.encode()
        return body[:marker] + script + body[marker:] if marker >= 0 else body + script

    def copyfile(self, source: Any, outputfile: Any) -> None:
        remaining, self._remaining = self._remaining, None
        if remaining is None:
            super().copyfile(source, outputfile)
            return
        while remaining > 0:
            chunk = source.read(min(1 << 16, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)


def make_server(folder: Path, port: int, version: Version | None = None,
                prefix: str = "/") -> http.server.ThreadingHTTPServer:
    """A server for ``folder`` (at the top and under ``prefix``); with ``version``, pages reload
    themselves when it changes."""
    handler = partial(Handler, directory=os.fspath(folder), version=version, prefix=prefix)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def run(show_dir: Path, port: int, *, build: Callable[[Path], bool] | None = None, say: Any = print) -> None:
    """Serve the show's public/ until interrupted. With ``build`` (the show's folder -> whether it
    published a new site), rebuild whenever a source changes, and reload open pages.

    Only podkit.toml is needed: a show with problems still serves its last good build, and says
    what the problems are (with ``build``, over every open page too, until they are fixed).
    """
    from urllib.parse import urlsplit

    from toolkit.config import read
    from toolkit.errors import PodkitError
    from toolkit.publish import watch as watching

    root = show_dir.resolve()
    config = read(root)
    output, cache_dir = root / config.build.output, root / config.build.cache
    version = Version() if build else None
    stop = threading.Event()
    problems = watching.problems_now(root)
    if build is not None:
        assert version is not None
        rebuild = watching.rebuilder(root, build, version, say)
        if not output.is_dir():
            rebuild()
        version.problems = problems
        thread = threading.Thread(target=watching.watch, daemon=True, args=(
            [root], (output, cache_dir), rebuild, stop))
        thread.start()
    if problems:
        say(f"the show has {len(problems)} problem(s); serving the last good build:")
        for line in problems:
            say(f"  {line}")
    if not output.is_dir():
        stop.set()
        raise PodkitError(f"nothing built yet at {output}", hint="fix the problems above, then run `podkit build`"
                          if problems else "run `podkit build` first")
    prefix = urlsplit(config.show.base_url).path or "/" if not config.problems else "/"
    server = make_server(output, port, version, prefix)
    address = f"http://127.0.0.1:{server.server_address[1]}"
    say(f"serving {output} at {address}/" + (f" and {address}{prefix}" if prefix != "/" else "") + " (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
