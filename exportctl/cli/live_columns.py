"""The rich columns of the live view (reporters.LiveReporter), in a module of their own so that only a run on a
terminal imports rich's progress bars."""

from __future__ import annotations

import time

from rich.console import RenderableType
from rich.progress import ProgressColumn, Task, TransferSpeedColumn
from rich.text import Text

from exportctl.cli.tables import human_size


class _BinarySpeedColumn(TransferSpeedColumn):
    """rich's speed column in the units of `_human_bytes` (KiB/s, MiB/s) rather than decimal ones."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("?", style="progress.data.speed")
        return Text(f"{human_size(int(speed))}/s", style="progress.data.speed")


class _DownloadOnly(ProgressColumn):
    """Shows its column for the download task only: while waiting there are no bytes to count."""

    def __init__(self, inner: ProgressColumn) -> None:
        super().__init__()
        self._inner = inner

    def render(self, task: Task) -> RenderableType:
        return self._inner.render(task) if task.fields.get("download") else Text("")


class _NextCheck(ProgressColumn):
    """`(next check in 6s: why)` while waiting, counting down between polls (the display refreshes on its own);
    the reason only for a wait of at least `explained` seconds."""

    def __init__(self, explained: float) -> None:
        super().__init__()
        self._explained = explained

    def render(self, task: Task) -> RenderableType:
        at = task.fields.get("next_at")
        if at is None:
            return Text("")
        left = max(0.0, at - time.monotonic())
        why = task.fields.get("why") or ""
        long_wait = task.fields.get("wait", 0.0) >= self._explained
        return Text(f"(next check in {left:.0f}s{': ' + why if why and long_wait else ''})", style="dim")
