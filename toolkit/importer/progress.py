"""What `podkit import` shows while it works: a line per item, a bar per download (rich)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn


class ImportReporter:
    """Prints each message above a progress bar for the download under way."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self._bars = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                              TransferSpeedColumn(), console=self.console, transient=True)
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ImportReporter:
        self._bars.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._bars.stop()

    def say(self, line: str) -> None:
        self._bars.console.print(line, markup=False, highlight=False)

    def progress(self, label: str, done: int, total: int | None) -> None:
        task = self._tasks.get(label)
        if task is None:
            task = self._tasks[label] = self._bars.add_task(label, total=total)
        self._bars.update(task, completed=done, total=total)
        if total is not None and done >= total:
            self._bars.remove_task(task)
            del self._tasks[label]
