"""Progress the person at the terminal can follow: one bar per episode and stage (rich).

rich is loaded by the first message, not before: a build with nothing to do says so and exits
without paying for it.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

STAGE_LABELS = {"master": "mastering", "transcribe": "transcribing", "diarize": "telling voices apart"}


class RichReporter:
    def __init__(self, console: Any = None) -> None:
        self.console = console
        self.progress: Progress | None = None
        self.tasks: dict[tuple[str, str], TaskID] = {}

    def _bars(self) -> Progress:
        if self.progress is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                TimeRemainingColumn(), console=self.console or Console(stderr=True), transient=False,
            )
            self.progress.start()
        return self.progress

    def __enter__(self) -> RichReporter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()

    def stage(self, slug: str, stage: str, done: float, total: float) -> None:
        bars, key = self._bars(), (slug, stage)
        if key not in self.tasks:
            label = f"{slug}: {STAGE_LABELS.get(stage, stage)}"
            self.tasks[key] = bars.add_task(label, total=total or 1.0)
        bars.update(self.tasks[key], completed=min(done, total), total=total or 1.0)

    def info(self, message: str) -> None:
        self._bars().console.print(message, markup=False)  # a message may hold "[show]": text, not markup

    def warn(self, message: str) -> None:
        from rich.markup import escape

        self._bars().console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
