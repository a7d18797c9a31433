"""`podkit serve`: the built site on 127.0.0.1, with byte ranges so browsers can seek audio.

A preview server for the author, never for production: publish ``public/`` with a real web server
or a static host. It still holds under load and hostile requests, since a browser, a podcast app
and a link checker may hit it at once: a listen backlog of `BACKLOG` and a fixed pool of worker
threads (a burst of connections waits its turn instead of being refused or spawning a thread
each), a time limit on every connection, request lines and headers bounded (by `http.server`), a
path that is too long or names anything outside ``public/`` (through a symbolic link, say) is a
404, and a ``Range`` header it cannot honour is ignored or answered with 416, never a crash.

With ``reload`` (``--watch``), every HTML page gets a small script that polls
``/__podkit/version`` and reloads the page when a rebuild has been published.
"""

from __future__ import annotations

import errno
import http.server
import json
import mimetypes
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

from toolkit.errors import PodkitError
from toolkit.publish.watch import CLIENT_SCRIPT, PROBLEMS_PATH

BACKLOG = 1024  # connections the kernel queues before accepting; the system caps it (somaxconn)
WORKERS = 32  # requests served at once; more wait in the backlog or the pool's queue
TIMEOUT = 30.0  # seconds a connection may sit idle mid-request before it is dropped
RANGE_RE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")  # 18 digits: past any file size, short of int's limit

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
    timeout = TIMEOUT

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

    def _inside(self, path: str) -> str | None:
        """``path`` if it is in the served folder once every symbolic link is followed, else None."""
        root = os.path.realpath(self.directory)
        real = os.path.realpath(path)
        return path if real == root or real.startswith(root + os.sep) else None

    def _not_found(self) -> None:
        not_found = Path(self.directory) / "404.html"
        try:
            body = not_found.read_bytes()
        except OSError:
            body = b"<h1>Not found</h1>"
        self._send_bytes(404, self._inject(body), "text/html; charset=utf-8")

    def send_head(self) -> BinaryIO | None:
        if self.version is not None and self.path.split("?")[0] == VERSION_PATH:
            self._send_bytes(200, str(self.version.value).encode(), "text/plain")
            return None
        if self.version is not None and self.path.split("?")[0] == PROBLEMS_PATH:
            self._send_bytes(200, json.dumps(self.version.problems).encode(), "application/json")
            return None
        try:
            return self._send_file()
        except (OSError, ValueError):  # a name too long, a NUL byte, a file gone mid-request, a folder unreadable
            self._not_found()
            return None

    def _send_file(self) -> BinaryIO | None:
        inside = self._inside(self.translate_path(self.path))
        if inside is None:
            self._not_found()
            return None
        path = Path(inside)
        if path.is_dir() and not self.path.split("?")[0].endswith("/"):
            return super().send_head()  # the redirect to the slash URL
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or self._inside(str(path)) is None:
            self._not_found()
            return None
        if path.suffix == ".html" and self.version is not None:
            self._send_bytes(200, self._inject(path.read_bytes()), "text/html; charset=utf-8")
            return None
        f = path.open("rb")
        try:
            size = os.fstat(f.fileno()).st_size
            wanted = byte_range(self.headers.get("Range", ""), size)
            ctype = self.guess_type(path)
            if wanted is None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                return f
            if wanted == UNSATISFIABLE:
                f.close()
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            start, end = wanted
            f.seek(start)
            self.send_response(206)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Content-Length", str(end - start + 1))
            self.end_headers()
            self._remaining = end - start + 1
            return f
        except BaseException:
            f.close()
            raise

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


UNSATISFIABLE = (-1, -1)


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte a ``Range`` header asks of a file of ``size`` bytes; None to send the
    whole file (no header, or one this server does not serve, such as several ranges, which a
    server may ignore); `UNSATISFIABLE` when it asks for nothing the file has (a 416)."""
    match = RANGE_RE.fullmatch(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n > 0 and size > 0 else UNSATISFIABLE
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range: ignored, as RFC 9110 says
    if start >= size:
        return UNSATISFIABLE
    return start, min(int(last), size - 1) if last else size - 1


class PreviewServer(http.server.HTTPServer):
    """An HTTP server with a deep listen backlog and a fixed pool of threads (see the module)."""

    request_queue_size = BACKLOG
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="podkit-serve")
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.pool.submit(self._serve, request, client_address)

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # one connection's trouble (a reset, a timeout) is not the server's
            pass
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self.pool.shutdown(wait=False, cancel_futures=True)


def make_server(folder: Path, port: int, version: Version | None = None, prefix: str = "/") -> PreviewServer:
    """A server for ``folder`` (at the top and under ``prefix``); with ``version``, pages reload
    themselves when it changes.

    Raises a `PodkitError` saying what to do when the port cannot be had.
    """
    if not 0 <= port <= 65535:
        raise PodkitError(f"--port {port} is not a port number", hint="use one from 1024 to 65535, e.g. 8000")
    handler = partial(Handler, directory=os.fspath(folder), version=version, prefix=prefix)
    try:
        return PreviewServer(("127.0.0.1", port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PodkitError(f"port {port} is already in use on 127.0.0.1",
                              hint="stop what is using it, or pick another with --port") from None
        if exc.errno == errno.EACCES:
            raise PodkitError(f"not allowed to listen on port {port}",
                              hint="ports below 1024 need root: pick another with --port, e.g. 8000") from None
        raise PodkitError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror})",
                          hint="pick another with --port") from None


def run(show_dir: Path, port: int, *, build: Callable[[Path], bool] | None = None, say: Any = print) -> None:
    """Serve the show's public/ until interrupted. With ``build`` (the show's folder -> whether it
    published a new site), rebuild whenever a source changes, and reload open pages.

    Only podkit.toml is needed: a show with problems still serves its last good build, and says
    what the problems are (with ``build``, over every open page too, until they are fixed).
    """
    from urllib.parse import urlsplit

    from toolkit.config import read
    from toolkit.publish import watch as watching

    root = show_dir.resolve()
    config = read(root)
    output, cache_dir = root / config.build.output, root / config.build.cache
    version = Version() if build else None
    prefix = urlsplit(config.show.base_url).path or "/" if not config.problems else "/"
    server = make_server(output, port, version, prefix)  # first: a port it cannot have is said at once
    stop = threading.Event()
    try:
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
            raise PodkitError(f"nothing built yet at {output}", hint="fix the problems above, then run `podkit build`"
                              if problems else "run `podkit build` first")
        address = f"http://127.0.0.1:{server.server_address[1]}"
        say(f"serving {output} at {address}/" + (f" and {address}{prefix}" if prefix != "/" else "")
            + " (Ctrl-C to stop); a preview server, not for production: publish public/ with a web server"
            " or static host")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
