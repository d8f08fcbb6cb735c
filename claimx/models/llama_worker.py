"""The caller's side of the llama.cpp child process: start it, ask it, notice when it dies.

The child (:mod:`claimx.models.llama_child`) loads the GGUF once and answers every request
of this worker, so isolation costs one process start per model and a JSON round trip per
call. When the child dies (a native crash: SIGSEGV, SIGABRT, …) the call in flight raises
:class:`NativeCrashError`, a :class:`~claimx.errors.ModelError`: the CLI exits 4 and a batch
writes an error line for that document, while this process carries on. A Python exception
in the child is a bug, not a crash: it is raised here as :class:`LlamaWorkerException`, and
the child goes on serving.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from claimx.errors import ConfigError, ModelError

__all__ = ["LlamaWorker", "LlamaWorkerException", "NativeCrashError", "WorkerSettings"]

_CHILD = Path(__file__).with_name("llama_child.py")
_STDERR_LINES = 20


@dataclass(frozen=True)
class WorkerSettings:
    """What the child loads, and how."""

    path: str
    n_ctx: int
    n_threads: int | None
    seed: int
    chat_format: str | None
    extra_buffer_types: bool
    probe: bool = False  # run a tiny generation before saying ready


class NativeCrashError(ModelError):
    """llama.cpp crashed in its own process; the caller's process is unharmed.

    ``signal_name`` is the signal that ended it (``SIGSEGV``, …) or None for another exit;
    ``extra_buffer_types`` says whether ggml's AMX/repacking buffer types were in use.
    """

    cause = "native_crash"

    def __init__(
        self, message: str, *, signal_name: str | None, extra_buffer_types: bool, phase: str
    ) -> None:
        super().__init__(message)
        self.signal_name = signal_name
        self.extra_buffer_types = extra_buffer_types
        self.phase = phase

    def to_dict(self) -> dict[str, Any]:
        """The base description plus the signal and where it happened."""
        out = super().to_dict()
        out.update(signal=self.signal_name, phase=self.phase)
        return out


class _ChildTraceback(Exception):
    """The child's traceback, as the cause of the exception raised for it here (shown under --debug)."""

    def __str__(self) -> str:
        return str(self.args[0]).rstrip()


class LlamaWorkerException(Exception):
    """A Python exception raised in the llama.cpp child: a bug, not a model's failure nor a crash.

    A library's bug (llama-cpp-python refusing a schema with an ``AssertionError``, an upgrade
    that renamed an argument) or ours: it is not a :class:`~claimx.errors.ClaimxError`, so a
    batch reports it with ``cause: "internal"``. ``type_name`` is the child's exception class;
    the child's traceback is this exception's ``__cause__``. The child keeps serving.
    """

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name} in the llama.cpp process: {message}")
        self.type_name = type_name


def _describe_exit(code: int) -> tuple[str | None, str]:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            return None, f"signal {-code}"
        meaning = {
            "SIGSEGV": "segmentation fault",
            "SIGABRT": "abort",
            "SIGBUS": "bus error",
            "SIGILL": "illegal instruction",
            "SIGFPE": "arithmetic fault",
            "SIGKILL": "killed, often by the out-of-memory killer",
        }.get(name)
        return name, f"{name} ({meaning})" if meaning else name
    return None, f"exit code {code}"


class LlamaWorker:
    """One child process running one model; one request at a time."""

    def __init__(self, settings: WorkerSettings) -> None:
        """Start the child and wait until the model is loaded (and probed, when asked)."""
        self.settings = settings
        self._lock = threading.Lock()  # one request at a time on the pipe
        self._closing = False
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._proc = subprocess.Popen(
            [sys.executable, "-P", str(_CHILD)],  # -P: the script's folder is not put on sys.path
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin: IO[bytes] = self._proc.stdin
        self._stdout: IO[bytes] = self._proc.stdout
        self._stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_reader.start()
        phase = "probe" if settings.probe else "load"
        try:
            self._send(asdict(settings), phase)
            answer = self._receive(phase)
        except BaseException:
            self.close()
            raise
        if "error" in answer:
            self.close()
            raise ConfigError(f"could not load {settings.path}: {answer['error']['message']}")
        ready: dict[str, Any] = answer["ready"]
        self.chat_template: str = str(ready["chat_template"])
        self.extra_buffer_types: bool = bool(ready["extra_buffer_types"])
        self.pid: int = int(ready["pid"])

    def _drain_stderr(self) -> None:
        """Keep the child's last stderr lines (llama.cpp's assert messages) for the error; echo in debug."""
        stream = self._proc.stderr
        assert stream is not None
        debug = bool(os.environ.get("CLAIMX_DEBUG"))
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            self._stderr_tail.append(line)
            if debug:
                print(f"llama.cpp: {line}", file=sys.stderr)

    def _send(self, message: dict[str, Any], phase: str) -> None:
        try:
            self._stdin.write(json.dumps(message).encode("ascii") + b"\n")
            self._stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise self._death(phase) from None

    def _receive(self, phase: str) -> dict[str, Any]:
        line = self._stdout.readline()
        if not line:
            raise self._death(phase)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _death(self, phase: str) -> ModelError:
        """The error for a child that stopped answering."""
        code = self._proc.wait()
        self._stderr_reader.join(timeout=1)
        if self._closing:
            return ModelError("the local model was closed while it was generating")
        signal_name, how = _describe_exit(code)
        extra = self.settings.extra_buffer_types
        last = next((line for line in reversed(self._stderr_tail) if line.strip()), "")
        where = {"load": "loading the model", "probe": "its start-up test", "generate": "generation"}[phase]
        message = (
            f"the embedded model (llama.cpp) crashed during {where}: its process ended with {how}"
            + (f" after printing {last!r}" if last else "")
            + ". This process is unharmed. "
            + (
                "It ran with llama.cpp's extra CPU buffer types (AMX, repacking), known to crash on "
                "some CPUs; claimx now loads without them on this machine. "
                if extra
                else ""
            )
            + "Run again with CLAIMX_DEBUG=1 to see llama.cpp's log; if it persists, try another GGUF "
            "(--model local:/path/model.gguf) or a model server (--model openai/<name> --base-url URL)."
        )
        return NativeCrashError(message, signal_name=signal_name, extra_buffer_types=extra, phase=phase)

    def complete(self, call: dict[str, Any]) -> dict[str, Any]:
        """One chat completion (llama-cpp-python's arguments and reply, as JSON)."""
        with self._lock:
            self._send({"complete": call}, "generate")
            answer = self._receive("generate")
        if "error" in answer:
            error = answer["error"]
            if error["kind"] == "exception":
                raise LlamaWorkerException(error["type"], error["message"]) from _ChildTraceback(
                    error["traceback"]
                )
            verb = "refused the request" if error["kind"] == "refused" else "failed"
            raise ModelError(f"the local model {verb}: {error['message']}")
        reply: dict[str, Any] = answer["ok"]
        return reply

    @property
    def busy(self) -> bool:
        """Whether a request is in flight."""
        return self._lock.locked()

    @property
    def alive(self) -> bool:
        """Whether the child still runs."""
        return self._proc.poll() is None

    def close(self) -> None:
        """End the child. A request in flight is cut short and raises :class:`ModelError`."""
        self._closing = True
        busy = self.busy
        with contextlib.suppress(OSError):
            self._stdin.close()  # an idle child sees the end of its input and exits
        try:
            self._proc.wait(timeout=0.1 if busy else 5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if not busy:  # a reading thread owns stdout until it sees the end
            self._stdout.close()
