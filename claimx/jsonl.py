"""A results file that survives crashes: whole JSON lines, flushed one by one, resumable.

A batch writes each document's line as soon as it finishes, so a crash or an
interrupt loses only what was still in flight. Resuming reads the file back,
keeps the extracted documents, forgets failures (they are tried again) and any
half-written last line (from a hard kill), rewrites the file atomically with
what it kept, and tells the batch which ids to skip. Each document therefore
ends up on exactly one line.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from claimx.atomic import atomic_replace

__all__ = ["JsonlWriter", "ResumeState", "deferred_interrupts", "prepare_resume"]


@dataclass(frozen=True)
class ResumeState:
    """What a previous run left: ids already extracted, and what was dropped from the file."""

    done: set[str]
    failed: int  # error lines dropped: those documents run again
    broken: int  # incomplete or unreadable lines dropped (a hard kill mid-write)


def prepare_resume(path: Path) -> ResumeState:
    """Keep only the extracted documents' lines in ``path`` (atomically) and return their ids."""
    if not path.exists():
        return ResumeState(set(), 0, 0)
    done: set[str] = set()
    failed = broken = 0
    with open(path, "rb") as source, atomic_replace(path) as kept:
        for line in source:
            record = _parse(line)
            if record is None:
                broken += line.strip() != b""
                continue
            doc_id = record.get("doc_id")
            if "error" in record or not isinstance(doc_id, str):
                failed += 1
                continue
            if doc_id in done:  # written twice by an older tool: keep the first
                continue
            done.add(doc_id)
            kept.write(line)
    return ResumeState(done, failed, broken)


def _parse(line: bytes) -> dict[str, Any] | None:
    if not line.endswith(b"\n"):
        return None  # the last line of a run that was killed mid-write
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


class JsonlWriter:
    """Append whole lines to a file (or stdout), flushing each one."""

    def __init__(self, path: Path | None, *, append: bool = False) -> None:
        self.path = path
        self.lines = 0
        self._owned = path is not None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._stream: IO[bytes] = open(path, "ab" if append else "wb")  # noqa: SIM115
        else:
            self._stream = sys.stdout.buffer

    def write(self, line: str) -> None:
        """Write one line; an interrupt arriving meanwhile waits until the line is complete."""
        data = line.encode("utf-8", "surrogatepass") + b"\n"
        with _critical():
            self._stream.write(data)
            self._stream.flush()
        self.lines += 1

    def close(self) -> None:
        """Flush and close (stdout is flushed, not closed)."""
        with _critical():
            self._stream.flush()
            if self._owned:
                os.fsync(self._stream.fileno())
                self._stream.close()


# ------------------------------------------------------------------ interrupts

_state = threading.local()


@contextmanager
def _critical() -> Iterator[None]:
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
    if _state.depth == 0 and getattr(_state, "pending", None) is not None:
        signum = _state.pending
        _state.pending = None
        raise KeyboardInterrupt(f"signal {signum}")


def _handler(signum: int, frame: FrameType | None) -> None:
    if getattr(_state, "depth", 0):
        _state.pending = signum  # finish the line first; raise when it is written
        return
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into ``KeyboardInterrupt``, never in the middle of a line.

    Only in the main thread (where Python runs signal handlers); elsewhere a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
