"""What several test modules do the same way: start a llama.cpp server, run claimx on a terminal,
serve one model answer over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import claimx
from claimx.testing import Reply, ScriptedServer


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server_process(
    log_path: Path,
    *,
    n_ctx: int,
    extra: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    ready_within_s: float = 180,
) -> Iterator[str]:
    """claimx's llama.cpp server with the bundled model on a free port: its base URL once it answers.

    Its output goes to ``log_path``; it is stopped on leaving, and a server that exits or is
    not ready in time fails with the log's end.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "claimx.models.llama_server", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", "2", "--chat_format", "gemma3", *extra,
    ]  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + ready_within_s
        while not _answers(base_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                state = f"exited with {proc.returncode}" if proc.poll() is not None else "not ready"
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"llama server {state}; {log_path}:\n{tail}")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/models", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def claimx_on_a_terminal(*args: str, timeout_s: float = 60) -> tuple[int, str]:
    """Run ``claimx ARGS`` with its stderr on a pseudo-terminal: its exit code and what it showed."""
    import pty

    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env.update({"COLUMNS": "160", "TERM": "xterm"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "claimx", *args], env=env, stdout=subprocess.DEVNULL, stderr=secondary
    )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal's other end closed with the process
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=timeout_s)
    os.close(primary)
    return proc.returncode, seen.decode("utf-8", "replace")


def extract_answer(text: str, answer: Mapping[str, Any]) -> claimx.Extraction:
    """What claimx makes of ``text`` when the model answers ``answer`` (served over real HTTP)."""
    with ScriptedServer() as server:
        server.enqueue(Reply.completion(dict(answer)))
        return claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False)
