"""``claimx eval`` and ``claimx prompts`` as a user runs them: subprocesses, real HTTP, real files."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from claimx.testing import RecordedRequest, Reply, ScriptedServer

from .conftest import ROOT, SEED, SHARED

POLNEAR_DEV = SHARED / "datasets" / "polnear" / "data" / "dev"
SEESAW = SHARED / "datasets" / "seesaw"


def claimx_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "claimx", *args], capture_output=True, text=True, env=full_env, timeout=300
    )


def _summary(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "summary.json").read_text())
    return data


def _lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]


def _assert_perfect(summary: dict[str, Any], layers: tuple[str, ...]) -> None:
    for layer in layers:
        block = summary[layer]
        assert (block["precision"], block["recall"], block["f1"]) == (1.0, 1.0, 1.0), layer
        assert block["documents"] > 0
    if "attributions" in layers:
        att = summary["attributions"]
        assert att["strict"]["f1"] == 1.0
        assert att["speaker_accuracy"] == att["cue_accuracy"] == att["mode_accuracy"] == 1.0
    if "positions" in layers:
        assert summary["positions"]["stance_accuracy"] == 1.0


def test_gold_on_seed_writes_a_self_describing_run(tmp_path: Path) -> None:
    out = tmp_path / "gold"
    proc = claimx_cli("eval", "run", "--dataset", "seed", "--model", "gold", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "attributions" in proc.stdout and "1.000" in proc.stdout
    header = json.loads((out / "run.json").read_text())
    assert header["format"] == "claimx-eval-run" and header["format_version"] == 1
    assert header["dataset"]["spec"] == "seed" and header["model"] == "gold"
    for key in (
        "prompt_id",
        "prompt_sha256",
        "parameters",
        "claimx_version",
        "git_revision",
        "date",
        "base_url",
    ):
        assert key in header
    summary = _summary(out)
    assert set(summary) >= {"attributions", "claims", "positions", "usage"}
    _assert_perfect(summary, ("attributions", "claims", "positions"))
    assert summary["positions"]["confusion"] == {"support": {"support": 1}, "oppose": {"oppose": 2}}
    [line] = _lines(out)
    assert line["id"] == "seed" and line["prediction"]["meta"]["model"] == "gold"
    assert line["scores"]["attributions"]["lenient"] == {"tp": 11, "n_pred": 11, "n_gold": 11}
    assert line["error"] is None and "latency_s" in line and "usage" in line
    report = (out / "summary.md").read_text()
    assert "| attributions (overlap ≥ 0.3) | 1.000 | 1.000 | **1.000**" in report
    again = claimx_cli("eval", "run", "--dataset", "seed", "--model", "gold", "--out", str(out))
    assert again.returncode == 2 and "already holds a run" in again.stderr
    assert claimx_cli("eval", "run", "-d", "seed", "-m", "gold", "-o", str(out), "--force").returncode == 0


def test_offline_run_loads_no_provider_sdk(tmp_path: Path) -> None:
    """``eval run -m offline`` needs no SDK: importing one cost more CPU than the whole scoring."""
    code = (
        "import sys; from claimx.cli import app\n"
        "sys.argv = ['claimx', 'eval', 'run', '-d', 'seed', '-m', 'offline', '--no-cache', '-o', sys.argv[1]]"
        "\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "loaded = {m.split('.')[0] for m in sys.modules} & {'openai', 'instructor', 'llama_cpp', 'ray'}\n"
        "assert not loaded, loaded\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "summary.json").exists()


def test_score_needs_neither_dataset_nor_model(tmp_path: Path) -> None:
    dataset = tmp_path / "mine.jsonl"
    shutil.copy(ROOT / "evals" / "gold" / "seed.jsonl", dataset)
    out = tmp_path / "run"
    assert (
        claimx_cli("eval", "run", "-d", f"jsonl:{dataset}", "-m", "baseline", "-o", str(out)).returncode == 0
    )
    before = _summary(out)
    dataset.unlink()
    (out / "summary.json").unlink()
    (out / "summary.md").unlink()
    proc = claimx_cli("eval", "score", str(out))
    assert proc.returncode == 0, proc.stderr
    after = _summary(out)
    assert after["attributions"] == before["attributions"] and after["claims"] == before["claims"]
    assert (out / "summary.md").is_file()
    proc = claimx_cli("eval", "score", str(out), "--claim-similarity", "span")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "run.json").read_text())["scoring"]["claim_similarity"] == "span"
    assert _summary(out)["claims"]["similarity"] == "span"


def test_a_torn_last_line_is_left_out_with_a_note(tmp_path: Path) -> None:
    """A run interrupted while writing a line leaves it half written: score, compare and report
    leave it out (score rewrites the file without it), and they say so instead of silently
    scoring one document fewer."""
    out = tmp_path / "run"
    assert claimx_cli("eval", "run", "-d", "seed", "-m", "baseline", "-o", str(out)).returncode == 0
    samples = out / "samples.jsonl"
    whole = samples.read_text()
    samples.write_text(whole + whole[: len(whole) // 2])  # a second line, cut off halfway
    torn = f"{samples}:2: the last line was cut off"
    for command in (
        ["report", str(out), "--out", str(tmp_path / "page.html")],
        ["compare", str(out), str(out)],
    ):
        proc = claimx_cli("eval", *command)
        assert proc.returncode == 0, proc.stderr
        assert torn in proc.stderr, proc.stderr
    proc = claimx_cli("eval", "score", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count(torn) == 1, proc.stderr
    assert list(_summary(out)["documents"]) == ["seed"]
    assert samples.read_text() == whole  # rewritten without it: the next score has nothing to say
    assert "cut off" not in claimx_cli("eval", "score", str(out)).stderr


def test_score_refuses_what_is_not_a_run(tmp_path: Path) -> None:
    proc = claimx_cli("eval", "score", str(tmp_path))
    assert proc.returncode == 2 and "is not an eval run" in proc.stderr
    (tmp_path / "run.json").write_text(json.dumps({"format": "claimx-eval-run", "format_version": 99}))
    proc = claimx_cli("eval", "score", str(tmp_path))
    assert proc.returncode == 2 and "newer than this claimx reads" in proc.stderr


def _answer_with(seed_response: dict[str, Any]) -> Any:
    def responder(request: RecordedRequest) -> Reply:
        return Reply.completion(seed_response, prompt_tokens=2000, completion_tokens=700)

    return responder


def _degraded(seed_response: dict[str, Any]) -> dict[str, Any]:
    """The seed answer with one quote the article does not contain and one stance flipped."""
    answer = copy.deepcopy(seed_response)
    answer["statements"][6]["quote"] = "it was the goal of a road map nobody drew"
    answer["positions"][1]["stance"] = "support"
    return answer


def test_model_run_is_cached_then_compared(tmp_path: Path, seed_response: dict[str, Any]) -> None:
    env = {"CLAIMX_CACHE_DIR": str(tmp_path / "cache")}
    with ScriptedServer(responder=_answer_with(_degraded(seed_response))) as server:
        first = tmp_path / "first"
        args = ("eval", "run", "-d", "seed", "-m", "openai/x", "--base-url", server.base_url)
        proc = claimx_cli(*args, "-o", str(first), env=env)
        assert proc.returncode == 0, proc.stderr
        calls = len(server.completions)
        assert calls >= 1
        second = tmp_path / "second"
        proc = claimx_cli(*args, "-o", str(second), env=env)
        assert proc.returncode == 0, proc.stderr
        assert len(server.completions) == calls  # the second run made no request at all
    header = json.loads((first / "run.json").read_text())
    assert header["model"] == "openai/x" and header["base_url"] == server.base_url
    assert header["prompt_id"] == "extract@v1" and len(header["prompt_sha256"]) == 64
    one, two = _summary(first), _summary(second)
    assert one["usage"]["requests"] == calls and one["usage"]["total_tokens"] == 2700 * calls
    assert two["usage"]["requests"] == 0 and two["usage"]["cached_samples"] == 1
    # The invented quote is dropped by grounding (a miss); the flipped stance shows in the matrix.
    att = one["attributions"]
    assert (att["tp"], att["n_pred"], att["n_gold"]) == (10, 10, 11)
    assert one["positions"]["confusion"] == {"support": {"support": 1}, "oppose": {"support": 1, "oppose": 1}}
    assert one["positions"]["holder_target"]["f1"] == 1.0
    assert one["positions"]["recall"] == round(2 / 3, 4)
    [line] = _lines(first)
    assert line["prediction"]["rejected"][0]["reason"] == "quote not found in the article"
    assert one["attributions"] == two["attributions"]
    proc = claimx_cli("eval", "compare", str(first), str(second), "--json")
    assert proc.returncode == 0, proc.stderr
    comparison = json.loads(proc.stdout)
    assert comparison["layers"]["attributions"]["f1"]["delta"] == 0.0
    assert comparison["counts"] == {"worse": 0, "better": 0, "unchanged": 1}


def test_a_failing_model_is_recorded_per_sample(tmp_path: Path, server: ScriptedServer) -> None:
    server.enqueue(*[Reply.error(400, "bad request") for _ in range(3)])
    out = tmp_path / "failed"
    proc = claimx_cli(
        "eval",
        "run",
        "-d",
        "seed",
        "-m",
        "openai/x",
        "--base-url",
        server.base_url,
        "-o",
        str(out),
        env={"CLAIMX_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 1, proc.stderr
    [line] = _lines(out)
    assert line["prediction"] is None and line["error"]["cause"] == "transport"
    summary = _summary(out)
    assert summary["samples"] == {"total": 1, "failed": 1, "scored": 0}
    assert summary["attributions"]["recall"] == 0.0  # a failure counts as nothing found


def _prompts_with_v2(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", folder)
    v1 = (folder / "extract" / "v1.jinja").read_text()
    (folder / "extract" / "v2.jinja").write_text(
        v1.replace("You are a careful news analyst.", "You are a meticulous news analyst.")
    )
    return folder


def test_prompt_ab_loop(tmp_path: Path, seed_response: dict[str, Any]) -> None:
    """The documented loop: a new prompt version is a new file; run it, then compare."""
    prompts = _prompts_with_v2(tmp_path)
    runs = tmp_path / "runs"
    env = {"CLAIMX_CACHE_DIR": str(tmp_path / "cache"), "CLAIMX_PROMPTS_DIR": str(prompts)}
    with ScriptedServer(responder=_answer_with(seed_response)) as server:
        base = ("eval", "run", "-d", "seed", "-m", "openai/x", "--base-url", server.base_url)
        assert claimx_cli(*base, "-o", str(runs / "v1"), env=env).returncode == 0
        proc = claimx_cli(*base, "--prompt", "extract@v2", "-o", str(runs / "v2"), env=env)
        assert proc.returncode == 0, proc.stderr
        assert len(server.completions) == 2  # a new prompt is a new cache key
        assert "meticulous" in server.completions[1].json["messages"][0]["content"]
    header = json.loads((runs / "v2" / "run.json").read_text())
    assert header["prompt_id"] == "extract@v2"
    assert header["prompt_sha256"] != json.loads((runs / "v1" / "run.json").read_text())["prompt_sha256"]
    md = tmp_path / "compare.md"
    proc = claimx_cli("eval", "compare", str(runs / "v1"), str(runs / "v2"), "--md", str(md), env=env)
    assert proc.returncode == 0, proc.stderr
    assert "attributions" in proc.stdout and "extract@v2" in md.read_text()
    listed = claimx_cli("prompts", "list", "--runs", str(runs), env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[1]: line.split() for line in listed.stdout.splitlines() if "@v" in line}
    assert rows["extract@v1"][-2:] == ["v1", "│"] and rows["extract@v2"][-2:] == [
        "v2",
        "│",
    ]  # the runs that used each
    assert rows["extract-small@v1"][-2:] == ["—", "│"]


def test_prompts_show_renders_the_exact_messages() -> None:
    proc = claimx_cli("prompts", "show", "extract@v1", "--article", str(SEED), "--json")
    assert proc.returncode == 0, proc.stderr
    messages = json.loads(proc.stdout)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "[S1]" in messages[-1]["content"] and "Alexander Timonin" in messages[-1]["content"]
    bad = claimx_cli("prompts", "show", "extract@v99")
    assert bad.returncode == 2 and "unknown version" in bad.stderr


@pytest.mark.skipif(not POLNEAR_DEV.is_dir(), reason="PolNeAR dev split not found (set CLAIMX_SHARED)")
def test_polnear_dev_gold_is_perfect_and_baseline_is_explained(tmp_path: Path) -> None:
    spec = f"brat:{POLNEAR_DEV}"
    gold, base = tmp_path / "gold", tmp_path / "baseline"
    proc = claimx_cli("eval", "run", "-d", spec, "-m", "gold", "-o", str(gold))
    assert proc.returncode == 0, proc.stderr
    summary = _summary(gold)
    _assert_perfect(summary, ("attributions", "claims"))
    assert summary["attributions"]["documents"] == 84 and summary["positions"]["f1"] is None
    proc = claimx_cli("eval", "run", "-d", spec, "-m", "baseline", "-o", str(base))
    assert proc.returncode == 0, proc.stderr
    baseline = _summary(base)
    assert 0 < baseline["attributions"]["f1"] < 1
    assert baseline["attributions"]["n_gold"] == summary["attributions"]["n_gold"]
    proc = claimx_cli("eval", "compare", str(gold), str(base), "--top", "3")
    assert proc.returncode == 0, proc.stderr
    assert "most worse" in proc.stdout and "B misses" in proc.stdout


@pytest.mark.skipif(not SEESAW.is_dir(), reason="SEESAW not found (set CLAIMX_SHARED)")
def test_seesaw_valid_gold_is_perfect(tmp_path: Path) -> None:
    out = tmp_path / "seesaw"
    proc = claimx_cli("eval", "run", "-d", f"seesaw:{SEESAW}?split=valid", "-m", "gold", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = _summary(out)
    _assert_perfect(summary, ("positions",))
    assert summary["attributions"]["f1"] is None and summary["positions"]["documents"] > 0


def _error_line(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("claimx: error:")]
    assert len(errors) == 1 and needle in errors[0], proc.stderr


def test_report_and_compare_never_write_over_a_run_or_an_existing_file(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert (
        claimx_cli("eval", "run", "-d", "seed", "-m", "gold", "-o", str(run), "--bootstrap", "0").returncode
        == 0
    )
    saved = {
        name: (run / name).read_bytes()
        for name in ("run.json", "samples.jsonl", "summary.json", "summary.md")
    }
    (tmp_path / "link.json").symlink_to(run / "summary.json")
    for name in (*saved, "../link.json"):
        for flag in ((), ("--overwrite",)):
            _error_line(claimx_cli("eval", "report", str(run), "--out", str(run / name), *flag), "eval run")
            _error_line(
                claimx_cli("eval", "compare", str(run), str(run), "--md", str(run / name), *flag), "eval run"
            )
    assert {name: (run / name).read_bytes() for name in saved} == saved
    assert claimx_cli("eval", "score", str(run)).returncode == 0
    keep = tmp_path / "keep.txt"
    keep.write_text("an article")
    _error_line(claimx_cli("eval", "report", str(run), "--out", str(keep)), "already exists: add --overwrite")
    _error_line(claimx_cli("eval", "compare", str(run), str(run), "--md", str(keep)), "add --overwrite")
    assert keep.read_text() == "an article"
    assert claimx_cli("eval", "compare", str(run), str(run), "--md", str(keep), "--overwrite").returncode == 0
    assert keep.read_text().startswith("## claimx eval compare")
    # The run's own page is redrawn on each call, as documented (default --out RUN/report.html).
    for _ in range(2):
        proc = claimx_cli("eval", "report", str(run))
        assert proc.returncode == 0, proc.stderr
    assert (run / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_run_out_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text("an article")
    proc = claimx_cli("eval", "run", "-d", "seed", "-m", "gold", "-o", str(article))
    _error_line(proc, f"-o must be a run folder; {article} is a file")
    assert article.read_text() == "an article"


def test_run_into_a_folder_holding_a_summary_of_its_own_asks_for_force(tmp_path: Path) -> None:
    """Only ``run.json`` was checked: a folder without it (``-o docs``) had the user's own
    ``summary.md`` and ``summary.json`` replaced by the run's, without --force."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "summary.md").write_text("# my own notes\n")
    (docs / "notes.txt").write_text("kept\n")
    proc = claimx_cli("eval", "run", "-d", "seed", "-m", "gold", "-o", str(docs))
    _error_line(proc, "summary.md, which a run writes; choose another --out or pass --force")
    assert (docs / "summary.md").read_text() == "# my own notes\n"
    assert not (docs / "run.json").exists()
    forced = claimx_cli("eval", "run", "-d", "seed", "-m", "gold", "-o", str(docs), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "claimx eval" in (docs / "summary.md").read_text()
    assert (docs / "notes.txt").read_text() == "kept\n"  # what is not the run's stays
