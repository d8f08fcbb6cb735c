"""``claimx extract`` over many documents, run as a user runs it: a subprocess talking HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from claimx.jsonl import prepare_resume
from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

from .helpers import claimx_on_a_terminal
from .test_cli import claimx_cli


def article(i: int) -> str:
    return f"The minister said budget number {i} would pass this year. Critics disagreed with the plan."


def write_docs(folder: Path, n: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"doc{i:03d}.txt").write_text(article(i), encoding="utf-8")
    return [f"doc{i:03d}" for i in range(n)]


def read_lines(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "the file ends in a half line"
    return [json.loads(line) for line in data.splitlines()]


def slow_echo(delay_s: float):  # type: ignore[no-untyped-def]
    def answer(request: RecordedRequest) -> Reply:
        time.sleep(delay_s)
        return echo_answer(request)

    return answer


def test_directory_streams_one_line_per_document(tmp_path: Path) -> None:
    ids = write_docs(tmp_path / "in", 30)
    (tmp_path / "in" / "empty.txt").write_text("")
    (tmp_path / "in" / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    out = tmp_path / "out.jsonl"
    with ScriptedServer(echo_answer) as server:
        proc = claimx_cli(
            "extract",
            str(tmp_path / "in"),
            "-m",
            "openai/x",
            "--base-url",
            server.base_url,
            "-o",
            str(out),
            "-j",
            "8",
        )
        requests = len(server.completions)
    stderr = proc.stderr.decode()
    assert proc.returncode == 1, stderr  # some documents failed
    lines = read_lines(out)
    by_id = {str(line["doc_id"]): line for line in lines}
    assert len(lines) == len(by_id) == 32
    assert set(by_id) == {*ids, "empty", "binary"}
    assert all("error" not in by_id[i] and by_id[i]["claims"] for i in ids)
    assert by_id["empty"]["error"]["cause"] == "input" and "is empty" in by_id["empty"]["error"]["message"]  # type: ignore[index]
    assert "binary" in by_id["binary"]["error"]["message"]  # type: ignore[index]
    assert requests == 30
    assert "30 extracted, 2 failed" in stderr
    assert "\r" not in stderr and "━" not in stderr  # no progress bar when stderr is not a terminal


def test_all_good_exits_zero_and_stdout_is_jsonl(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 5)
    with ScriptedServer(echo_answer) as server:
        proc = claimx_cli(
            "extract", str(tmp_path / "in" / "doc00*.txt"), "-m", "openai/x", "--base-url", server.base_url
        )
    assert proc.returncode == 0, proc.stderr.decode()
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(line["doc_id"] for line in lines) == [f"doc{i:03d}" for i in range(5)]


def test_jsonl_on_stdin_and_as_a_file(tmp_path: Path) -> None:
    records = "".join(
        json.dumps({"id": f"j{i}", "text": article(i), "source": "wire"}) + "\n" for i in range(4)
    )
    (tmp_path / "docs.jsonl").write_text(records)
    with ScriptedServer(echo_answer) as server:
        piped = claimx_cli(
            "extract", "-", "-m", "openai/x", "--base-url", server.base_url, stdin=records.encode()
        )
        from_file = claimx_cli(
            "extract", str(tmp_path / "docs.jsonl"), "-m", "openai/x", "--base-url", server.base_url
        )
    for proc in (piped, from_file):
        assert proc.returncode == 0, proc.stderr.decode()
        assert sorted(json.loads(line)["doc_id"] for line in proc.stdout.splitlines()) == [
            "j0",
            "j1",
            "j2",
            "j3",
        ]


def test_single_document_on_stdin_is_still_one_json(tmp_path: Path) -> None:
    with ScriptedServer(echo_answer) as server:
        proc = claimx_cli(
            "extract",
            "-",
            "-m",
            "openai/x",
            "--base-url",
            server.base_url,
            "-f",
            "json",
            stdin=article(1).encode(),
        )
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["doc_id"] == "stdin"


def test_resume_retries_failures_and_never_writes_twice(tmp_path: Path) -> None:
    ids = write_docs(tmp_path / "in", 12)
    out = tmp_path / "out.jsonl"
    broken = {"budget number 4 ", "budget number 9 "}

    def flaky(request: RecordedRequest) -> Reply:
        if any(marker in str(request.json["messages"]) for marker in broken):
            return Reply.refusal("Not today.")
        return echo_answer(request)

    args = ["extract", str(tmp_path / "in"), "-m", "openai/x", "-o", str(out), "--no-cache"]
    with ScriptedServer(flaky) as server:
        first = claimx_cli(*args, "--base-url", server.base_url)
    assert first.returncode == 1
    failed = {str(line["doc_id"]) for line in read_lines(out) if "error" in line}
    assert failed == {"doc004", "doc009"}
    assert "--resume" in first.stderr.decode()

    again = claimx_cli(*args, "--base-url", "http://127.0.0.1:9/v1")
    assert again.returncode == 2 and "--resume" in again.stderr.decode()  # finished work is never overwritten

    broken.clear()
    with ScriptedServer(flaky) as server:
        second = claimx_cli(*args, "--base-url", server.base_url, "--resume")
        assert len(server.completions) == 2  # only the two that failed
    assert second.returncode == 0, second.stderr.decode()
    assert (
        "10 documents already done and kept; retrying 2 that failed; 0 new to run" in second.stderr.decode()
    )
    lines = read_lines(out)
    assert sorted(str(line["doc_id"]) for line in lines) == ids
    assert not any("error" in line for line in lines)


RESULT_META = {"model": "openai/x", "prompt_id": "extract@v1", "prompt_sha256": "p" * 64}


def result_line(doc_id: str, **meta: str) -> bytes:
    """A results line as claimx writes it (the fields resume checks), with ``meta`` overrides."""
    fields = {**RESULT_META, "response_schema_sha256": "s" * 64, **meta}
    return (
        json.dumps({"doc_id": doc_id, "text_sha256": "t" * 64, "claims": [], "meta": fields}).encode() + b"\n"
    )


def error_line(doc_id: str) -> bytes:
    return (
        json.dumps({"doc_id": doc_id, "error": {"type": "X", "cause": "c", "message": "m"}}).encode() + b"\n"
    )


def test_resume_drops_a_half_written_line(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(result_line("a") + error_line("b") + b'{"doc_id": "c", "cla')
    state = prepare_resume(out)
    assert state.done == {"a"} and state.failed == 1 and state.broken == 1
    assert out.read_bytes() == result_line("a")


def test_batch_option_errors(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 2)
    table = claimx_cli("extract", str(tmp_path / "in"), "-m", "openai/x", "-f", "table")
    assert table.returncode == 2 and "JSONL" in table.stderr.decode()
    resume = claimx_cli("extract", str(tmp_path / "in"), "-m", "openai/x", "--resume")
    assert resume.returncode == 2 and "--out" in resume.stderr.decode()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_batch_leaves_whole_lines_and_resumes(tmp_path: Path, signum: int) -> None:
    ids = write_docs(tmp_path / "in", 40)
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "claimx", "extract", str(tmp_path / "in"), "-m", "openai/x", "-o", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    with ScriptedServer(slow_echo(0.3)) as server:
        proc = subprocess.Popen(
            [*args, "--base-url", server.base_url, "-j", "4", "--no-cache"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while (not out.exists() or out.read_bytes().count(b"\n") < 5) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr.decode()
        assert "interrupted" in stderr.decode() and "--resume" in stderr.decode()
        done = read_lines(out)
        assert 5 <= len(done) < 40
        assert len({line["doc_id"] for line in done}) == len(done)

        resumed = subprocess.run(
            [*args, "--base-url", server.base_url, "-j", "8", "--resume", "--no-cache"],
            env=env,
            capture_output=True,
            timeout=120,
        )
    assert resumed.returncode == 0, resumed.stderr.decode()
    lines = read_lines(out)
    assert sorted(str(line["doc_id"]) for line in lines) == ids


def test_rerun_over_the_same_inputs_makes_no_model_calls(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 10)
    env = {"CLAIMX_CACHE_DIR": str(tmp_path / "cache")}
    with ScriptedServer(echo_answer) as server:
        cold = claimx_cli(
            "extract", str(tmp_path / "in"), "-m", "openai/x", "--base-url", server.base_url,
            "-o", str(tmp_path / "a.jsonl"), env=env,
        )  # fmt: skip
        calls = len(server.completions)
        warm = claimx_cli(
            "extract", str(tmp_path / "in"), "-m", "openai/x", "--base-url", server.base_url,
            "-o", str(tmp_path / "b.jsonl"), env=env,
        )  # fmt: skip
        assert len(server.completions) == calls == 10  # the rerun asked the server nothing
    assert cold.returncode == warm.returncode == 0
    assert "0 model requests, 10 documents from cache" in warm.stderr.decode()
    strip = [{k: v for k, v in json.loads(line).items() if k != "meta"} for line in sorted(
        (tmp_path / "a.jsonl").read_text().splitlines())]  # fmt: skip
    again = [{k: v for k, v in json.loads(line).items() if k != "meta"} for line in sorted(
        (tmp_path / "b.jsonl").read_text().splitlines())]  # fmt: skip
    assert sorted(map(json.dumps, strip)) == sorted(map(json.dumps, again))


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 12)
    with ScriptedServer(slow_echo(0.05)) as server:
        code, screen = claimx_on_a_terminal(
            "extract", str(tmp_path / "in"), "-m", "openai/x", "--base-url", server.base_url,
            "-o", str(tmp_path / "out.jsonl"), "-j", "2", "--no-cache",
        )  # fmt: skip
    assert code == 0, screen
    assert "12/12" in screen and "0 failed" in screen and "doc/s" in screen and "eta" in screen


def test_files_written_atomically_keep_ordinary_permissions(tmp_path: Path) -> None:
    from claimx.cli.common import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "page.html", "<p>x</p>")
        assert (tmp_path / "page.html").stat().st_mode & 0o777 == 0o644  # readable, like open() makes it
        (tmp_path / "page.html").chmod(0o600)
        atomic_write(tmp_path / "page.html", "<p>y</p>")
        assert (tmp_path / "page.html").stat().st_mode & 0o777 == 0o600  # an existing file keeps its mode
    finally:
        os.umask(old)
    assert (tmp_path / "page.html").read_text() == "<p>y</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left behind
