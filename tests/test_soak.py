"""Soak: 500 documents against a server that faults on 20% of requests (seeded), then --resume.

Every document must end up on exactly one line, extracted or with the reason it failed; the
resumed runs finish the failures; every line is valid JSON; every extraction verifies.
"""

from __future__ import annotations

import json
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


def test_soak_with_faults_then_resume(tmp_path: Path) -> None:
    source = tmp_path / "wire.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for i in range(DOCUMENTS):
            handle.write(json.dumps({"id": f"w{i:04d}", "text": article(i)}) + "\n")
    out = tmp_path / "out.jsonl"
    injector = FaultInjector(echo_answer, rate=0.2, seed=20261129)
    base = ["extract", str(source), "-m", "openai/soak", "-o", str(out), "-j", "32", "--timeout", "20"]

    with ScriptedServer(injector) as server:
        first = claimx_cli(*base, "--base-url", server.base_url)
        lines = lines_of(out)
        ids = [str(line["doc_id"]) for line in lines]
        assert len(ids) == len(set(ids)) == DOCUMENTS  # nothing lost, nothing twice
        failed = [line for line in lines if "error" in line]
        for line in failed:
            error = line["error"]
            assert isinstance(error, dict) and error["message"] and error["type"] and error["cause"]
        assert first.returncode == (1 if failed else 0), first.stderr.decode()
        assert f"{DOCUMENTS - len(failed)} extracted, {len(failed)} failed" in first.stderr.decode()
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
