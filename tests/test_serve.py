"""`podkit serve`'s server: MIME types, byte ranges (browsers seek audio with them), 404s."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
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


def raw(url: str, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, str],
                                                                                                    bytes]:
    """A request sent as given (urllib would quote the path), and the answer."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.headers), resp.read()
    finally:
        conn.close()


def test_hostile_requests_get_answers_not_crashes(served: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory
                                                   ) -> None:
    url, folder = served
    data = (folder / "episodes" / "a.mp3").read_bytes()
    secret = tmp_path_factory.mktemp("outside") / "secret.txt"
    secret.write_text("not for the web")
    (folder / "leak.txt").symlink_to(secret)
    (folder / "leakdir").symlink_to(secret.parent, target_is_directory=True)
    (folder / "episodes" / "alias.mp3").symlink_to(folder / "episodes" / "a.mp3")  # inside: fine
    assert raw(url, "/leak.txt")[0] == 404
    assert raw(url, "/leakdir/secret.txt")[0] == 404
    assert raw(url, "/leakdir/")[0] == 404
    assert raw(url, "/episodes/alias.mp3")[2] == data
    assert raw(url, "/" + "x" * 300 + "/index.html")[0] == 404  # longer than a file name may be
    assert raw(url, "/a%00b")[0] == 404
    assert raw(url, "/../../../../etc/passwd")[0] == 404
    status, _, body = raw(url, "/episodes/a.mp3", headers={"Range": "bytes=" + "9" * 5000 + "-"})
    assert status == 200 and body == data  # a range it cannot read is ignored
    assert raw(url, "/episodes/a.mp3", headers={"Range": "bytes=5-2"})[2] == data  # not a valid range: ignored
    assert raw(url, "/episodes/a.mp3", headers={"Range": "bytes=0-1,4-5"})[2] == data  # several: ignored
    assert raw(url, "/episodes/a.mp3", headers={"Range": "bytes=-0"})[0] == 416
    status, headers, body = raw(url, "/episodes/a.mp3", headers={"Range": "bytes=0-0"})
    assert status == 206 and body == data[:1] and headers["Content-Range"] == f"bytes 0-0/{len(data)}"
    status, headers, body = raw(url, "/episodes/a.mp3", headers={"Range": "bytes=1000-99999"})
    assert status == 206 and body == data[1000:]
    assert raw(url, "/", headers={f"X-{i}": "y" for i in range(200)})[0] == 431  # too many headers
    assert raw(url, "/", headers={"X-Long": "y" * 70000})[0] == 431
    assert raw(url, "/")[0] == 200  # and the server still answers


def test_head_sends_the_headers_of_get_and_no_body(served: tuple[str, Path]) -> None:
    url, folder = served
    size = (folder / "episodes" / "a.mp3").stat().st_size
    status, headers, body = raw(url, "/episodes/a.mp3", "HEAD")
    assert status == 200 and headers["Content-Length"] == str(size) and body == b""
    assert headers["Content-Type"] == "audio/mpeg"
    status, headers, body = raw(url, "/episodes/a.mp3", "HEAD", {"Range": "bytes=10-19"})
    assert status == 206 and headers["Content-Length"] == "10" and body == b""
    status, _, body = raw(url, "/nothing", "HEAD")
    assert status == 404 and body == b""


def test_500_concurrent_requests_are_all_answered(served: tuple[str, Path]) -> None:
    url, folder = served
    data = (folder / "episodes" / "a.mp3").read_bytes()
    count = 500
    start = threading.Barrier(count)
    results: list[bytes | str] = [""] * count

    def one(i: int) -> None:
        start.wait()  # every connection at once
        try:
            results[i] = get(url + "episodes/a.mp3")[2]
        except OSError as exc:
            results[i] = repr(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)  # a guard against a hang, not a timing assertion
    assert not any(t.is_alive() for t in threads)
    failed = [r for r in results if r != data]
    assert not failed, failed[:5]


def test_a_port_it_cannot_have_is_one_message(make_show: Callable[..., Path]) -> None:
    import socket

    from click.testing import CliRunner

    from toolkit.cli import cli
    from toolkit.errors import PodkitError
    from toolkit.publish.serve import make_server

    root = make_show()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        with pytest.raises(PodkitError, match=f"port {port} is already in use"):
            make_server(root, port)
        for given, what in ((str(port), "already in use"), ("70000", "not a port number"),
                            ("-1", "not a port number")):
            result = CliRunner().invoke(cli, ["serve", "--port", given, "--show", str(root)])
            assert result.exit_code == 1, result.output
            lines = [ln for ln in result.output.splitlines() if ln.strip()]
            assert len(lines) == 1 and what in lines[0] and "--port" in lines[0], result.output
    finally:
        busy.close()
