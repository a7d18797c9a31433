"""`podkit serve`'s server: MIME types, byte ranges (browsers seek audio with them), 404s."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from toolkit.publish.serve import make_server

    (tmp_path / "episodes").mkdir()
    (tmp_path / "episodes" / "a.mp3").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "episodes" / "a.vtt").write_text("WEBVTT\n")
    (tmp_path / "index.html").write_text("<html><body>hi</body></html>")
    (tmp_path / "404.html").write_text("<html><body>missing</body></html>")
    server = make_server(tmp_path, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", tmp_path
    server.shutdown()
    server.server_close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_ranges_and_types(served: tuple[str, Path]) -> None:
    url, folder = served
    data = (folder / "episodes" / "a.mp3").read_bytes()
    status, headers, body = get(url + "episodes/a.mp3", {"Range": "bytes=100-199"})
    assert status == 206 and body == data[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(data)}" and headers["Content-Type"] == "audio/mpeg"
    assert get(url + "episodes/a.mp3", {"Range": "bytes=-10"})[2] == data[-10:]
    assert get(url + "episodes/a.mp3", {"Range": "bytes=5000-"})[0] == 416
    status, headers, body = get(url + "episodes/a.mp3")
    assert status == 200 and body == data and headers["Accept-Ranges"] == "bytes"
    assert get(url + "episodes/a.vtt")[1]["Content-Type"] == "text/vtt"
    status, _, body = get(url + "nothing/here")
    assert status == 404 and b"missing" in body


def test_watch_mode_injects_the_reload_script(tmp_path: Path) -> None:
    from toolkit.publish.serve import VERSION_PATH, Version, make_server

    (tmp_path / "index.html").write_text("<html><body>hi</body></html>")
    version = Version()
    server = make_server(tmp_path, 0, version)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert VERSION_PATH.encode() in get(url + "/")[2]
        assert get(url + VERSION_PATH)[2] == b"0"
        version.bump()
        assert get(url + VERSION_PATH)[2] == b"1"
    finally:
        server.shutdown()
        server.server_close()
