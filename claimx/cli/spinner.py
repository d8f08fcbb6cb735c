"""A spinner for one document on a terminal: the model, the time so far, and the stage.

A single extraction can take half a minute; without a sign of life that reads as a hang.
Batches have their progress bar; one document gets this line on stderr, only when stderr is a
terminal (never in a pipe or a log), and it vanishes when the answer is in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from claimx import progress

__all__ = ["WAITING", "spinner"]

WAITING = "waiting for the model"


@contextmanager
def spinner(model_id: str, console: Console) -> Iterator[None]:
    """Show ``model_id``, the elapsed time and the current stage while the block runs."""
    if not console.is_terminal:
        yield
        return
    line = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[model]}[/bold]"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    )
    task = line.add_task(WAITING, total=None, model=model_id)

    def show(stage: str) -> None:
        line.update(task, description=stage)

    with line, progress.watching(show):
        yield
