"""A results file that survives crashes: whole JSON lines, flushed one by one, resumable, locked.

A batch writes each document's line as soon as it finishes, so a crash or an
interrupt loses only what was still in flight. The file is held under an
exclusive lock for the whole run: a second run on the same file is refused,
naming the process that holds it, instead of interleaving with it.

Resuming reads the file back and accepts it only if every line is a claimx
result: extracted documents are kept, failures are forgotten (they are tried
again), a half-written last line (a hard kill) is dropped. Anything else is
refused with the line number, and nothing is changed: a line claimx does not
understand is never deleted. Results made with another model, prompt or
response schema are refused too, unless the caller asks to run them again.
When something was dropped, the kept lines are rewritten atomically, so each
document ends up on exactly one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from claimx.atomic import open_stream, output_kind, write_error
from claimx.errors import OutputError

__all__ = [
    "JsonlWriter",
    "ResumeState",
    "RunIdentity",
    "deferred_interrupts",
    "is_results_line",
    "open_results",
    "prepare_resume",
]


@dataclass(frozen=True)
class RunIdentity:
    """What makes two runs' results comparable: the model, the prompt and the response schema."""

    model: str
    prompt_id: str | None
    prompt_sha256: str | None
    response_schema_sha256: str | None

    def difference(self, meta: dict[str, Any]) -> str | None:
        """How a result's ``meta`` differs from this run (None when it does not)."""
        theirs = {
            "model": meta.get("model"),
            "prompt": f"{meta.get('prompt_id')} (sha256 {str(meta.get('prompt_sha256'))[:12]})",
            "response schema": f"sha256 {str(meta.get('response_schema_sha256'))[:12]}",
        }
        ours = {
            "model": self.model,
            "prompt": f"{self.prompt_id} (sha256 {str(self.prompt_sha256)[:12]})",
            "response schema": f"sha256 {str(self.response_schema_sha256)[:12]}",
        }
        changed = [f"{k} {theirs[k]} (this run: {ours[k]})" for k in ours if theirs[k] != ours[k]]
        return ", ".join(changed) or None


@dataclass(frozen=True)
class ResumeState:
    """What a previous run left: ids already extracted, and what was dropped from the file."""

    done: set[str] = field(default_factory=set)
    failed: int = 0  # error lines dropped: those documents run again
    broken: int = 0  # a half-written last line dropped (a hard kill mid-write)
    mismatched: int = 0  # results of another model/prompt/schema dropped, to run again


_EXTRACTION_META = ("model", "prompt_id", "prompt_sha256", "response_schema_sha256")


def _kind(record: Any) -> str | None:
    """``extracted`` or ``failed`` for a claimx results line, None for anything else."""
    if not isinstance(record, dict) or not isinstance(record.get("doc_id"), str):
        return None
    error = record.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return "failed"
    meta = record.get("meta")
    complete = isinstance(meta, dict) and all(isinstance(meta.get(k), str) for k in _EXTRACTION_META)
    return "extracted" if complete and isinstance(record.get("text_sha256"), str) else None


def is_results_line(line: bytes | str) -> bool:
    """True when ``line`` is a line claimx writes to a results file (an extraction or an error)."""
    try:
        return _kind(json.loads(line)) is not None
    except ValueError:
        return False


def prepare_resume(
    path: Path, identity: RunIdentity | None = None, *, rerun_mismatched: bool = False
) -> ResumeState:
    """Check and compact the results file at ``path`` for a resumed run (see :func:`open_results`)."""
    writer, state = open_results(path, resume=True, identity=identity, rerun_mismatched=rerun_mismatched)
    writer.close()
    return state


def open_results(
    path: Path,
    *,
    resume: bool = False,
    overwrite: bool = False,
    identity: RunIdentity | None = None,
    rerun_mismatched: bool = False,
) -> tuple[JsonlWriter, ResumeState]:
    """Open the results file of a batch under an exclusive lock, ready to append.

    A new or empty file is started; an existing one needs ``overwrite`` (it is emptied)
    or ``resume`` (it is checked and compacted, and its finished ids are returned). A
    symlink is followed; a device or FIFO is written through (it cannot be resumed).
    Raises :class:`OutputError` when the file is locked by another run, holds results
    and neither flag was given, is not a claimx results file, or cannot be written.
    """
    if output_kind(path) == "stream":
        if resume:
            raise OutputError(f"cannot resume {path}: it is a device or a pipe, not a results file")
        return JsonlWriter(open_stream(path), owned=True), ResumeState()
    target = Path(os.path.realpath(path))
    fd = _open_locked(target, path)
    try:
        if not resume:
            if os.fstat(fd).st_size and not overwrite:
                raise OutputError(
                    f"{path} already holds results: add --resume to continue it, "
                    "or --overwrite to start again"
                )
            os.ftruncate(fd, 0)
            return JsonlWriter(os.fdopen(fd, "ab"), owned=True), ResumeState()
        return _resume(fd, target, path, identity, rerun_mismatched)
    except BaseException:
        os.close(fd)
        raise


def _open_locked(target: Path, shown: Path) -> int:
    """Open (creating) ``target`` and take an exclusive lock on it, or say who holds it."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(shown, exc) from exc
    for _ in range(10):
        try:
            fd = os.open(target, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise write_error(shown, exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            os.close(fd)
            raise OutputError(
                f"{shown} is being written by another run ({holder}); wait for it to finish, "
                "or write to another file"
            ) from None
        # A resumed run replaces the file by renaming: make sure the lock is on the file the
        # name points to now, not on one that was just replaced.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(target))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)
    raise OutputError(f"{shown} keeps being replaced by another process; is another run writing it?")


def _lock_holder(fd: int) -> str:
    """The process holding the lock on ``fd``'s file, as far as the system says (Linux)."""
    st = os.fstat(fd)
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as locks:
            for line in locks:
                fields = [f for f in line.split() if f != "->"]
                if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
                    pid = int(fields[4])
                    return f"process {pid}{_describe_process(pid)}"
    except (OSError, ValueError):
        pass
    return "another process"


def _describe_process(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    # Only the program's name: its arguments may hold a key (--api-key).
    return ", claimx" if any(b"claimx" in arg for arg in argv[:4]) else ""


def _resume(
    fd: int, target: Path, shown: Path, identity: RunIdentity | None, rerun_mismatched: bool
) -> tuple[JsonlWriter, ResumeState]:
    kept: list[bytes] = []
    done: set[str] = set()
    failed = broken = mismatched = duplicates = 0
    first_mismatch: str | None = None
    with open(os.dup(fd), "rb") as source:
        lines = source.readlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            broken += not line.endswith(b"\n")
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        kind = _kind(record)
        if kind is None:
            if number == len(lines) and not line.endswith(b"\n"):
                broken += 1  # the last line of a run that was killed mid-write
                continue
            shown_line = line[:80].decode("utf-8", "replace").rstrip()
            if not (kept or failed or mismatched):
                raise OutputError(
                    f"{shown} is not a claimx results file (line {number}: {shown_line!r}); "
                    "refusing to resume it; nothing was changed"
                )
            raise OutputError(
                f"line {number} of {shown} is not a claimx result ({shown_line!r}); nothing was "
                "changed: fix or remove that line to resume, or start again with --overwrite"
            )
        assert isinstance(record, dict)
        if kind == "failed":
            failed += 1
            continue
        difference = identity.difference(record["meta"]) if identity is not None else None
        if difference is not None:
            mismatched += 1
            first_mismatch = first_mismatch or f"line {number}: {difference}"
            continue
        doc_id = record["doc_id"]
        if doc_id in done:  # written twice by an older tool: keep the first
            duplicates += 1
            continue
        done.add(doc_id)
        kept.append(line if line.endswith(b"\n") else line + b"\n")
    if mismatched and not rerun_mismatched:
        raise OutputError(
            f"{mismatched} result(s) in {shown} were made with other settings ({first_mismatch}); "
            "resume with the same --model and --prompt, or add --rerun-mismatched to extract those "
            "documents again with this run's; nothing was changed"
        )
    state = ResumeState(done, failed, broken, mismatched)
    if not (failed or broken or mismatched or duplicates) and (not lines or lines[-1].endswith(b"\n")):
        return JsonlWriter(os.fdopen(fd, "ab"), owned=True), state  # nothing to drop: append as is
    replacement = _replace_locked(target, shown, kept, os.fstat(fd).st_mode & 0o7777)
    os.close(fd)  # the old file is gone from the folder; the lock that counts is on the new one
    return JsonlWriter(os.fdopen(replacement, "ab"), owned=True), state


def _replace_locked(target: Path, shown: Path, lines: list[bytes], mode: int) -> int:
    """Write ``lines`` to a new file, lock it, and rename it over ``target``; return its descriptor."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise write_error(shown, exc) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # before the rename: no moment unlocked
        os.fchmod(fd, mode)
        os.write(fd, b"".join(lines)) if lines else None
        os.fsync(fd)
        os.replace(tmp, target)
    except OSError as exc:
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise write_error(shown, exc) from exc
    except BaseException:
        os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    return fd


class JsonlWriter:
    """Append whole lines to a binary stream (a locked results file, or stdout), flushing each one."""

    def __init__(self, stream: IO[bytes] | None = None, *, owned: bool = False) -> None:
        self._stream: IO[bytes] = stream if stream is not None else sys.stdout.buffer
        self._owned = owned
        self.lines = 0

    def write(self, line: str) -> None:
        """Write one line; an interrupt arriving meanwhile waits until the line is complete."""
        data = line.encode("utf-8", "surrogatepass") + b"\n"
        with _critical():
            self._stream.write(data)
            self._stream.flush()
        self.lines += 1

    def close(self) -> None:
        """Flush and close (stdout is flushed, not closed); closing releases the lock."""
        if self._stream.closed:
            return
        with _critical():
            try:
                self._stream.flush()
                if self._owned:
                    with contextlib.suppress(OSError):  # a pipe or a device: nothing to sync
                        os.fsync(self._stream.fileno())
            finally:
                if self._owned:
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
