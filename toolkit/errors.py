"""The one family of errors the core raises.

Every error names the file it is about (when there is one) and carries a hint that says
how to fix it. The CLI prints them without a traceback and exits non-zero.
"""

from __future__ import annotations

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


class MediaError(PodkitError):
    """ffmpeg could not read or write a media file."""


class ModelError(PodkitError):
    """A speech model could not be found, loaded or checked."""
