"""``claimx batch submit|status|collect|cancel`` against the scripted server's Batch API."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from claimx.cli import app
from claimx.testing import BatchItemError, RecordedRequest, Reply, ScriptedServer, echo_answer

from .test_cli import claimx_cli

MODEL = "openai/scripted"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(echo_answer) as running:
        yield running


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(8):
        (folder / f"a{i}.txt").write_text(
            f"The mayor said bridge {i} would open in May. Engineers said it was late."
        )
    return folder


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_four_commands_each_a_fresh_process(
    server: ScriptedServer, articles: Path, tmp_path: Path
) -> None:
    def fault(custom_id: str, request: RecordedRequest) -> Reply | BatchItemError | None:
        return Reply.error(500, "overloaded") if custom_id.startswith("a2#") else None

    server.batch_item_fault = fault
    job, out, cache = tmp_path / "job", tmp_path / "results.jsonl", tmp_path / "cache"
    env = {"CLAIMX_CACHE_DIR": str(cache)}
    submitted = claimx_cli(
        "batch",
        "submit",
        str(articles),
        "--model",
        MODEL,
        "--base-url",
        server.base_url,
        "--job",
        str(job),
        "--max-requests-per-file",
        "5",
        env=env,
    )
    assert submitted.returncode == 0, submitted.stderr.decode()
    assert "8 documents, 8 requests in 2 batches submitted" in submitted.stderr.decode()
    status = claimx_cli("batch", "status", str(job), env=env)
    assert status.returncode == 0, status.stderr.decode()
    rows = [line.split("\t") for line in status.stdout.decode().splitlines()]
    assert rows[0][:4] == ["batch", "input", "round", "state"]
    assert [(r[1], r[3], r[6]) for r in rows[1:]] == [
        ("input-000.jsonl", "in_progress", "5"),
        ("input-001.jsonl", "in_progress", "3"),
    ]
    collected = claimx_cli(
        "batch", "collect", str(job), "-o", str(out), "--wait", "--poll-seconds", "0", env=env
    )
    assert collected.returncode == 0, collected.stderr.decode()
    assert (
        "8 extracted, 0 failed" in collected.stderr.decode()
        and "1 item asked again" in collected.stderr.decode()
    )
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["doc_id"] for r in results) == [f"a{i}" for i in range(8)]
    assert len(server.completions) == 1  # the failed item, in realtime
    again = claimx_cli("batch", "collect", str(job), "-o", str(out), env=env)
    assert again.returncode == 2 and "--overwrite" in again.stderr.decode()
    # The realtime path over the same inputs and cache makes no call.
    rerun = claimx_cli(
        "extract",
        str(articles),
        "--model",
        MODEL,
        "--base-url",
        server.base_url,
        "-o",
        str(tmp_path / "rt.jsonl"),
        env=env,
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert len(server.completions) == 1


def test_cancel_then_collect_reports_failures(server: ScriptedServer, articles: Path, tmp_path: Path) -> None:
    job = tmp_path / "job"
    assert (
        run("batch", "submit", str(articles), "-m", MODEL, "--base-url", server.base_url, "--job", str(job))[
            0
        ]
        == 0
    )
    code, output = run("batch", "cancel", str(job))
    assert code == 0 and "cancelled" in output
    code, output = run(
        "batch",
        "collect",
        str(job),
        "-o",
        str(tmp_path / "r.jsonl"),
        "--retry-failed",
        "none",
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert (
        code == 1 and "0 extracted, 8 failed" in output and "cancelled before answering everything" in output
    )


def test_one_line_errors(server: ScriptedServer, articles: Path, tmp_path: Path) -> None:
    code, output = run("batch", "status", str(tmp_path / "nowhere"))
    assert code == 2 and "does not exist" in output and "Traceback" not in output
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x.txt").write_text("x")
    code, output = run("batch", "collect", str(foreign), "-o", str(tmp_path / "r.jsonl"))
    assert code == 2 and "not a claimx batch job" in output
    server.batch_service.lifecycle.outcome = "failed"
    job = tmp_path / "job"
    assert (
        run("batch", "submit", str(articles), "-m", MODEL, "--base-url", server.base_url, "--job", str(job))[
            0
        ]
        == 0
    )
    code, output = run(
        "batch", "collect", str(job), "-o", str(tmp_path / "r.jsonl"), "--wait", "--poll-seconds", "0"
    )
    assert code == 2 and "failed at the provider" in output
    code, output = run("batch", "submit", str(articles), "-m", "local", "--job", str(tmp_path / "j2"))
    assert code == 2 and "openai/<name>" in output


def test_a_manifest_that_is_a_link_to_an_endless_device_is_a_one_line_error(tmp_path: Path) -> None:
    """``manifest.json`` linked to /dev/zero was read whole until memory ran out."""
    job = tmp_path / "job"
    job.mkdir()
    (job / "manifest.json").symlink_to("/dev/zero")
    code, output = run("batch", "status", str(job))
    assert code == 2 and "not a claimx batch job manifest" in output and "Traceback" not in output
    assert (job / "manifest.json").is_symlink()


def test_no_batch_api_and_a_rejected_key(
    articles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedServer(echo_answer, batch_api=False) as plain:
        code, output = run(
            "batch",
            "submit",
            str(articles),
            "-m",
            MODEL,
            "--base-url",
            plain.base_url,
            "--job",
            str(tmp_path / "a"),
        )
    assert code == 2 and "does not offer the Batch API" in output and len(output.strip().splitlines()) == 1
    monkeypatch.setenv("CLAIMX_API_KEY", "ck-WRONG-zz81Qp")
    with ScriptedServer(echo_answer, api_key="ck-right") as guarded:
        code, output = run(
            "batch",
            "submit",
            str(articles),
            "-m",
            MODEL,
            "--base-url",
            guarded.base_url,
            "--job",
            str(tmp_path / "b"),
        )
    assert code == 2 and "rejected the API key" in output and "zz81Qp" not in output


def test_a_job_whose_url_carried_credentials_asks_for_it_again(
    server: ScriptedServer, articles: Path, tmp_path: Path
) -> None:
    """The manifest keeps ``http://***@host/v1?token=***``; status and collect sent those
    asterisks as the password and token (a real server's 401 then blamed the API key)."""
    job, env = tmp_path / "job", {"CLAIMX_CACHE_DIR": str(tmp_path / "cache")}
    url = server.base_url.replace("http://", "http://user:PASSq81z@") + "?token=TOKq81z"
    submitted = claimx_cli(
        "batch", "submit", str(articles), "-m", MODEL, "--base-url", url, "--job", str(job), env=env
    )
    assert submitted.returncode == 0, submitted.stderr.decode()
    seen = len(server.requests)
    for command in (["status"], ["collect", "-o", str(tmp_path / "r.jsonl")], ["cancel"]):
        bare = claimx_cli("batch", command[0], str(job), *command[1:], env=env)
        assert bare.returncode == 2, bare.stderr.decode()
        assert b"give its URL again with --base-url" in bare.stderr
    assert len(server.requests) == seen  # nothing went out with *** for credentials
    given = claimx_cli("batch", "status", str(job), "--base-url", url, env=env)
    assert given.returncode == 0, given.stderr.decode()
    assert all("TOKq81z" in r.path for r in server.requests[seen:])


def test_collect_counts_the_batch_s_own_answers_every_time(server: ScriptedServer, tmp_path: Path) -> None:
    """A second collect (another -o, or --overwrite) read every answer back from the response
    cache the first had filled: each document cost $0, 0 requests, cached; and of two
    documents with the same text, both billed in the batch, the second read the first's
    answer from the cache. The closing line showed no cost."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("The mayor said the bridge would open in May. Engineers disagreed.")
    (folder / "b.txt").write_text("The mayor said the bridge would open in May. Engineers disagreed.")
    (folder / "c.txt").write_text("The minister said taxes would fall. Critics said they would rise.")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({MODEL: {"input": 2.0, "output": 8.0}}))
    job = tmp_path / "job"
    env = {"CLAIMX_CACHE_DIR": str(tmp_path / "cache"), "CLAIMX_PRICES": str(prices)}
    submitted = claimx_cli(
        "batch", "submit", str(folder), "-m", MODEL, "--base-url", server.base_url, "--job", str(job), env=env
    )
    assert submitted.returncode == 0, submitted.stderr.decode()
    collects = []
    for name, extra in (("a.jsonl", ()), ("b.jsonl", ()), ("b.jsonl", ("--overwrite",))):
        collected = claimx_cli(
            "batch", "collect", str(job), "-o", str(tmp_path / name), "--wait", "--poll-seconds", "0",
            *extra, env=env,
        )  # fmt: skip
        assert collected.returncode == 0, collected.stderr.decode()
        usage = {
            r["doc_id"]: r["meta"]["usage"]
            for r in map(json.loads, (tmp_path / name).read_text().splitlines())
        }
        assert sorted(usage) == ["a", "b", "c"]
        for doc_id, used in usage.items():
            assert used["requests"] == 1 and not used["cached"], (name, doc_id, used)
            assert used["cost_usd"] and used["cost_usd"] > 0, (name, doc_id, used)
        assert usage["a"] == usage["b"]
        total = round(sum(u["cost_usd"] for u in usage.values()), 8)
        assert f"cost ${total:.4f}" in collected.stderr.decode(), collected.stderr.decode()
        collects.append(usage)
    assert collects[0] == collects[1] == collects[2]
    assert server.completions == []  # every answer came from the batch


def test_submit_to_openai_without_a_key_is_one_line_before_anything_is_written(
    articles: Path, tmp_path: Path
) -> None:
    """With no key and no --base-url, submit wrote the job folder, then sent OpenAI a
    placeholder key (its upload failed as a connection error, exit 4)."""
    job = tmp_path / "job"
    submitted = claimx_cli("batch", "submit", str(articles), "-m", "openai/gpt-4.1-mini", "--job", str(job))
    message = submitted.stderr.decode()
    assert submitted.returncode == 2, message
    assert "OPENAI_API_KEY" in message and len(message.strip().splitlines()) == 1, message
    assert not job.exists()
    # A job planned with a key (and refused by --max-cost) asks for it again, never sends a placeholder.
    planned = claimx_cli(
        "batch", "submit", str(articles), "-m", "openai/gpt-4.1-mini", "--job", str(job),
        "--max-cost", "0.000001", env={"OPENAI_API_KEY": "sk-test-not-sent"},
    )  # fmt: skip
    assert planned.returncode == 2 and "exceeds --max-cost" in planned.stderr.decode()
    for command in (["status"], ["cancel"], ["collect", "-o", str(tmp_path / "r.jsonl")]):
        done = claimx_cli("batch", command[0], str(job), *command[1:])
        assert done.returncode == 2 and "OPENAI_API_KEY" in done.stderr.decode(), done.stderr.decode()


def test_a_job_with_other_settings_names_them_and_a_plan_never_uploaded_is_replanned(
    server: ScriptedServer, articles: Path, tmp_path: Path
) -> None:
    """Submit again with another --base-url said only "other settings (batch)", and a job folder
    that had uploaded nothing (a plan refused by --max-cost) could not be used again."""
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({MODEL: {"input": 2.0, "output": 8.0}}))
    job, env = tmp_path / "job", {"CLAIMX_PRICES": str(prices)}

    def submit(base_url: str, *options: str) -> subprocess.CompletedProcess[bytes]:
        argv = ("batch", "submit", str(articles), "-m", MODEL, "--base-url", base_url, "--job", str(job))
        return claimx_cli(*argv, *options, env=env)

    with ScriptedServer(echo_answer) as other:
        planned = submit(other.base_url, "--max-cost", "0.0000001")
        assert planned.returncode == 2 and (job / "manifest.json").exists(), planned.stderr.decode()
        (job / "notes.txt").write_text("the user's own file")  # kept by the new plan, not refused
        submitted = submit(server.base_url)
        assert submitted.returncode == 0, submitted.stderr.decode()
        assert len(server.uploads) == 1 and not other.uploads
        assert (job / "notes.txt").read_text() == "the user's own file"
        assert (
            json.loads((job / "manifest.json").read_text())["settings"]["batch"]["base_url"]
            == server.base_url
        )
        moved = submit(other.base_url, "--max-requests-per-file", "3")
        message = moved.stderr.decode()
        assert moved.returncode == 2 and len(message.strip().splitlines()) == 1, message
        assert f"--base-url: {server.base_url} then, {other.base_url} now" in message, message
        assert "--max-requests-per-file: 50000 then, 3 now" in message and "another --job folder" in message
        for command in (["status"], ["cancel"], ["collect", "-o", str(tmp_path / "r.jsonl")]):
            elsewhere = claimx_cli(
                "batch", *command[:1], str(job), *command[1:], "--base-url", other.base_url
            )
            assert elsewhere.returncode == 2, elsewhere.stderr.decode()
            assert f"submitted to {server.base_url}, not {other.base_url}" in elsewhere.stderr.decode()
        assert not other.requests


def test_submit_again_on_a_submitted_job_says_nothing_was_sent(
    server: ScriptedServer, articles: Path, tmp_path: Path
) -> None:
    """It printed "8 documents, 8 requests in 1 batch submitted" though nothing was uploaded."""
    job = tmp_path / "job"
    args = ("batch", "submit", str(articles), "-m", MODEL, "--base-url", server.base_url, "--job", str(job))
    first = claimx_cli(*args)
    assert first.returncode == 0 and "8 documents, 8 requests in 1 batch submitted" in first.stderr.decode()
    again = claimx_cli(*args)
    message = again.stderr.decode()
    assert again.returncode == 0, message
    assert "already submitted (8 documents, 8 requests in 1 batch); nothing new was sent" in message, message
    assert len(server.uploads) == 1 and len(server.batch_service.batches) == 1


def test_submit_and_extract_state_a_refused_estimate_alike(
    server: ScriptedServer, articles: Path, tmp_path: Path
) -> None:
    """submit said "the estimated cost, $0.0190 for (5 call(s); …", the documents left out;
    extract says "for 5 document(s) (5 call(s); …"."""
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"scripted": {"input": 2.0, "output": 8.0}}))
    env = {"CLAIMX_PRICES": str(prices)}
    common = (str(articles), "-m", MODEL, "--base-url", server.base_url, "--max-cost", "0.0000001")
    submitted = claimx_cli("batch", "submit", *common, "--job", str(tmp_path / "job"), env=env)
    extracted = claimx_cli("extract", *common, "-o", str(tmp_path / "r.jsonl"), env=env)
    for refused in (submitted, extracted):
        message = refused.stderr.decode()
        assert refused.returncode == 2, message
        assert re.search(r"the estimated cost, \$[0-9.]+ for 8 document\(s\) \(8 call\(s\); ~", message), (
            message
        )
