"""Where a model call stands, for whoever is watching: waiting, re-asking, retrying after a 429.

The models layer reports stages as they happen; a watcher (the command line's spinner for a
single document) subscribes for as long as it shows them. With no watcher a report costs a
list lookup. Stages are short phrases meant for people, not for parsing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["report", "watching"]

Watcher = Callable[[str], None]

_watchers: list[Watcher] = []
_lock = threading.Lock()


def report(stage: str) -> None:
    """Tell every watcher the current stage ("waiting for the model", "re-asking: …")."""
    with _lock:
        watchers = list(_watchers)
    for watcher in watchers:
        watcher(stage)


@contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Call ``watcher`` with each stage reported while the block runs (from any thread)."""
    with _lock:
        _watchers.append(watcher)
    try:
        yield
    finally:
        with _lock:
            _watchers.remove(watcher)
