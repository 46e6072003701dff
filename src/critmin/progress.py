"""One progress bar style for long work (build, ingest, monitor, Monte Carlo): rich, off when not wanted."""

from __future__ import annotations


def progress_bar(enabled: bool = True):
    """A rich Progress context (disabled → silent); add tasks with ``bar.add_task(description, total=n)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    disable=not enabled, transient=False)
