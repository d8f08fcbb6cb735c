"""Soak: 500 documents against a server that faults on 20% of requests (seeded), then --resume.

Every document must end up on exactly one line, extracted or with the reason it failed; the
resumed runs finish the failures; every line is valid JSON; every extraction verifies. The
results file lives inside the input folder (it must never be read back as input); a run is
killed with SIGKILL midway and resumed; a corrupted line is refused, never deleted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claimx.testing import FaultInjector, ScriptedServer, echo_answer

from .test_cli import claimx_cli

DOCUMENTS = 500

pytestmark = pytest.mark.slow


def article(i: int) -> str:
    return (
        f"The minister said budget number {i} would pass this year. "
        f"Critics from district {i % 17} disagreed with the plan. The vote is on Friday."
    )


def lines_of(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.splitlines()]  # every line is valid JSON


def kill_midway(args: list[str], out: Path, after_lines: int) -> None:
    """Run claimx and SIGKILL it once ``after_lines`` lines are written: no chance to clean up."""
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.Popen([sys.executable, "-m", "claimx", *args], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (not out.exists() or out.read_bytes().count(b"\n") < after_lines) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def test_soak_with_faults_then_resume(tmp_path: Path) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    source = folder / "wire.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for i in range(DOCUMENTS):
            handle.write(json.dumps({"id": f"w{i:04d}", "text": article(i)}) + "\n")
    out = folder / "out.jsonl"  # inside the input folder: never read back as input
    injector = FaultInjector(echo_answer, rate=0.2, seed=20261129)
    base = ["extract", str(folder), "-m", "openai/soak", "-o", str(out), "-j", "32", "--timeout", "20"]

    with ScriptedServer(injector) as server:
        kill_midway([*base, "--base-url", server.base_url, "--no-cache"], out, DOCUMENTS // 5)
        killed = out.read_bytes()
        assert killed.count(b"\n") >= DOCUMENTS // 5
        for line in killed.splitlines(keepends=True):
            if line.endswith(b"\n"):
                json.loads(line)  # at most the last line is incomplete

        # A line damaged later (by hand, by a disk) is refused, and nothing is deleted.
        whole = killed[: killed.rfind(b"\n") + 1].splitlines(keepends=True)
        damaged = b"".join(whole[:3]) + whole[3][: len(whole[3]) // 2] + b"\n" + b"".join(whole[4:])
        out.write_bytes(damaged)
        refused = claimx_cli(*base, "--base-url", server.base_url, "--resume")
        assert refused.returncode == 2 and "line 4 of" in refused.stderr.decode(), refused.stderr.decode()
        assert out.read_bytes() == damaged
        out.write_bytes(b"".join(whole[:3] + whole[4:]))  # the user removes it: that document reruns

        first = claimx_cli(*base, "--base-url", server.base_url, "--resume")
        lines = lines_of(out)
        ids = [str(line["doc_id"]) for line in lines]
        assert len(ids) == len(set(ids)) == DOCUMENTS  # nothing lost, nothing twice
        failed = [line for line in lines if "error" in line]
        for line in failed:
            error = line["error"]
            assert isinstance(error, dict) and error["message"] and error["type"] and error["cause"]
        assert first.returncode == (1 if failed else 0), first.stderr.decode()
        assert "out.jsonl (the output file)" in first.stderr.decode()
        assert sum(injector.injected.values()) > 0.15 * DOCUMENTS  # the faults really happened

        rounds = 0
        assert failed  # with this seed some refusals are final: the resume path is exercised
        while failed and rounds < 5:  # each resume retries only what failed; faults keep coming
            rounds += 1
            before = len(server.completions)
            resumed = claimx_cli(*base, "--base-url", server.base_url, "--resume")
            assert resumed.returncode in (0, 1), resumed.stderr.decode()
            assert len(server.completions) - before >= len(failed)
            lines = lines_of(out)
            failed = [line for line in lines if "error" in line]
            ids = [str(line["doc_id"]) for line in lines]
            assert len(ids) == len(set(ids)) == DOCUMENTS

    assert not failed, failed[:3]
    assert sorted(ids) == [f"w{i:04d}" for i in range(DOCUMENTS)]
    for line in lines:
        text = article(int(str(line["doc_id"])[1:]))
        for attribution in line["attributions"]:  # type: ignore[union-attr]
            span = attribution["content"]
            assert text[span["start"] : span["end"]] == span["text"]
