"""One build at a time per show: a lock file in the cache folder.

Two builds of one show at once would fight over the cache's temporary entries, over the staging
folder beside ``public/`` (a starting build tidies what a killed one left, and must not take a
running build's for debris) and over the build state. So `build` and `process` hold this lock for
as long as they run.

The lock is an advisory ``flock`` on ``<cache>/build.lock``: the kernel lets go of it when its
holder dies, however it dies, so a lock left by a killed build is simply taken over; there is no
PID to second-guess. The file also says who holds it (PID and start time), so a second build can
tell the person waiting which build it is waiting for.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from toolkit.errors import PodkitError

NAME = "build.lock"


@contextlib.contextmanager
def hold(cache_dir: Path, *, wait: bool = False, say: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the show's build lock for the ``with`` block.

    If another build holds it: with ``wait``, say so once and wait for it to finish; without,
    raise a `PodkitError` naming that build.
    """
    path = cache_dir / NAME
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise PodkitError(f"cannot make the build lock ({exc.strerror})", path=path,
                          hint="check that the show's folder is writable") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = _holder(path)
            if not wait:
                raise PodkitError(f"another build of this show is running ({holder})", path=path,
                                  hint="wait for it to finish, or pass --wait") from None
            if say is not None:
                say(f"waiting for another build of this show to finish ({holder})")
            fcntl.flock(fd, fcntl.LOCK_EX)
        record = json.dumps({"pid": os.getpid(), "started": time.time()}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # nobody holds it: no name to show
    finally:
        os.close(fd)  # lets go of the lock


def _holder(path: Path) -> str:
    """Who holds the lock, as the file says: "PID 123, started 19:40:02"."""
    try:
        data = json.loads(path.read_text() or "{}")
        started = datetime.fromtimestamp(float(data["started"])).strftime("%Y-%m-%d %H:%M:%S")
        return f"PID {int(data['pid'])}, started {started}"
    except (OSError, ValueError, KeyError, TypeError):
        return "just starting"  # it has the lock but has not written its name yet
