"""Progress the person at the terminal can follow: one bar per episode and stage (rich)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

STAGE_LABELS = {"master": "mastering", "transcribe": "transcribing"}


class RichReporter:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(), console=self.console, transient=False,
        )
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.progress.stop()

    def stage(self, slug: str, stage: str, done: float, total: float) -> None:
        key = (slug, stage)
        if key not in self.tasks:
            label = f"{slug}: {STAGE_LABELS.get(stage, stage)}"
            self.tasks[key] = self.progress.add_task(label, total=total or 1.0)
        self.progress.update(self.tasks[key], completed=min(done, total), total=total or 1.0)

    def info(self, message: str) -> None:
        self.progress.console.print(message)

    def warn(self, message: str) -> None:
        self.progress.console.print(f"[yellow]warning:[/] {message}", highlight=False)
