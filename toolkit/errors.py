"""The one family of errors the core raises.

Every error names the file it is about (when there is one) and carries a hint that says
how to fix it. The CLI prints them without a traceback and exits non-zero.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the user's input."""

    message: str
    path: Path | None = None
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class Terminated(KeyboardInterrupt):
    """A SIGTERM, taken as an interruption: the command stops as it does on Ctrl-C (see `cli.main`)."""


class PodkitError(Exception):
    """Base of every error podkit raises on purpose. Its message is for the user."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = Problem(message, Path(path) if path is not None else None, line, hint)
        super().__init__(str(self.problem))


class InvalidShow(PodkitError):
    """The show's settings or episode sources have one or more problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        Exception.__init__(self, "\n".join(str(p) for p in problems))

    def __reduce__(self) -> tuple[type[InvalidShow], tuple[list[Problem]]]:
        """Made again from its problems when it crosses to another process (a worker's, a cluster's):
        by default it would be made from its message, one "problem" per character."""
        return InvalidShow, (self.problems,)


class MediaError(PodkitError):
    """ffmpeg could not read or write a media file."""


class ModelError(PodkitError):
    """A speech model could not be found, loaded or checked."""


_FULL = "the disk is full: free some space and run it again; the last good site is unchanged"
_DENIED = "podkit may not use this file or folder: check its owner and permissions"
OS_HINTS = {errno.ENOSPC: _FULL, errno.EDQUOT: _FULL, errno.EACCES: _DENIED, errno.EPERM: _DENIED,
            errno.EROFS: "the file system is read-only: build on a writable disk, or set [build] output",
            errno.EMFILE: "too many open files: raise the limit (ulimit -n) and run it again"}


def from_os_error(exc: OSError, where: Path | str | None = None) -> PodkitError:
    """An operating system's refusal (disk full, permission denied, read-only) as podkit's error: the file
    it names, or ``where`` when it names none (a write to a full disk names no file), and a hint."""
    path = exc.filename if exc.filename is not None else where
    return PodkitError(exc.strerror or str(exc), path=path, hint=OS_HINTS.get(exc.errno or 0))
