"""The scripted OpenAI-compatible server in a process of its own, for the benchmarks.

A model server is another process in real use; running the scripted one here keeps its
request parsing and JSON encoding off the measured process's interpreter (and its GIL).

    with ServerProcess(delay=(0.2, 0.2)) as server:   # echo_answer after 200 ms
        ... Extractor("openai/bench", base_url=server.base_url, ...) ...
        server.completions()                          # chat-completion requests it received

As a script (what :class:`ServerProcess` runs): prints the base URL, then answers the
lines ``count`` (completions so far) and ``quit`` on stdin.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class ServerProcess:
    """Start ``_server.py`` in a subprocess; stop it on exit."""

    def __init__(self, *, delay: tuple[float, float] = (0.0, 0.0), reply_file: Path | None = None) -> None:
        args = [sys.executable, str(Path(__file__).resolve()), "--delay", str(delay[0]), str(delay[1])]
        if reply_file is not None:
            args += ["--reply", str(reply_file)]
        self._args = args
        self.base_url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
        self._proc = subprocess.Popen(
            self._args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        assert self._proc.stdout is not None
        self.base_url = self._proc.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError(f"the scripted server did not start: {self.base_url!r}")
        return self

    def completions(self) -> int:
        """Chat-completion requests the server has received so far."""
        assert self._proc is not None and self._proc.stdin and self._proc.stdout
        self._proc.stdin.write("count\n")
        self._proc.stdin.flush()
        return int(self._proc.stdout.readline())

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None and self._proc.stdin
        try:
            self._proc.stdin.write("quit\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def main() -> None:
    from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", nargs=2, type=float, default=(0.0, 0.0), metavar=("MIN", "MAX"))
    parser.add_argument("--reply", type=Path, help="answer every request with this message content")
    args = parser.parse_args()
    low, high = args.delay
    fixed: Reply | None = None
    if args.reply is not None:
        fixed = Reply.completion(args.reply.read_text(encoding="utf-8"))

    def delay_for(request: RecordedRequest) -> float:
        # A function of the request body: the same document waits as long on every run.
        if high <= low:
            return low
        fraction = int.from_bytes(hashlib.sha256(request.body).digest()[:8], "big") / 2**64
        return low + (high - low) * fraction

    def respond(request: RecordedRequest) -> Reply:
        reply = fixed if fixed is not None else echo_answer(request)
        wait = delay_for(request)
        return replace(reply, delay_s=wait) if wait else reply

    server = ScriptedServer(respond)
    server.requests = _Counter()  # type: ignore[assignment]  # count, do not keep, what arrives
    with server:
        print(server.base_url, flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "count":
                print(server.requests.completions, flush=True)  # type: ignore[attr-defined]
            elif command == "quit":
                break


class _Counter(list[Any]):
    """Stands in for ScriptedServer.requests: counts chat completions instead of recording them."""

    completions = 0

    def append(self, request: Any) -> None:
        if request.path.endswith("/chat/completions"):
            self.completions += 1


if __name__ == "__main__":
    main()
