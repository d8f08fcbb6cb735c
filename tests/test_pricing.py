"""What it costs: prices from the server's reported usage, the prices file, and --max-cost."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

import claimx
from claimx.budget import CostLimitError, CostLimitReached
from claimx.errors import ConfigError, InvalidOutputError
from claimx.evaluate.datasets import Dataset, load_dataset
from claimx.evaluate.predictors import ModelPredictor
from claimx.evaluate.run import run_eval
from claimx.pricing import (
    BUILTIN_PRICES,
    Price,
    PriceTable,
    default_prices,
    estimate_request_cost,
    load_prices,
)
from claimx.testing import RecordedRequest, Reply, ScriptedServer, chat_completion, echo_answer

from .test_cli import claimx_cli

KEY = "sk-pricing-test-0123456789abcdef"
#: gpt-4o-mini: $0.15 per million prompt tokens, $0.075 cached, $0.60 per million completion tokens.
MINI = BUILTIN_PRICES["gpt-4o-mini"]


def article(i: int) -> str:
    return f"The minister said budget number {i} would pass this year. Critics disagreed with the plan."


def reporting(prompt_tokens: int, completion_tokens: int, cached_tokens: int | None = None) -> Any:
    """An echo server whose every answer reports this usage."""

    def answer(request: RecordedRequest) -> Reply:
        body = json.loads(echo_answer(request).body or b"{}")
        content = body["choices"][0]["message"]["content"]
        return Reply.completion(
            content,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=cached_tokens,
        )

    return answer


def write_docs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"doc{i}.txt").write_text(article(i), encoding="utf-8")
    return folder


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_cost_comes_from_the_reported_usage_and_a_cache_hit_costs_nothing(tmp_path: Path) -> None:
    with ScriptedServer(reporting(10_000, 2_000, cached_tokens=4_000)) as server:
        cache = claimx.ResponseCache(tmp_path / "c")
        snapshot = "openai/gpt-4o-mini-2024-07-18"  # a dated snapshot costs what its model does
        fresh = claimx.extract(article(1), model=snapshot, base_url=server.base_url, api_key=KEY, cache=cache)
        again = claimx.extract(article(1), model=snapshot, base_url=server.base_url, api_key=KEY, cache=cache)
        assert len(server.completions) == 1
    usage = fresh.meta.usage
    assert (usage.prompt_tokens, usage.cached_prompt_tokens, usage.completion_tokens) == (
        10_000,
        4_000,
        2_000,
    )
    expected = (6_000 * MINI.input + 4_000 * (MINI.cached_input or 0) + 2_000 * MINI.output) / 1e6
    assert usage.cost_usd == pytest.approx(expected) and expected == pytest.approx(0.0024)
    assert json.loads(fresh.model_dump_json())["meta"]["usage"]["cost_usd"] == usage.cost_usd
    assert again.meta.usage.cached and again.meta.usage.cost_usd == 0.0  # no call was made


def test_an_answer_cut_off_at_the_output_limit_is_paid_for_too() -> None:
    """The answer cut off at its limit was generated and billed: its tokens, its request and its
    cost count in the result's usage (which ``--max-cost`` settles on), not only the retry's."""
    answered = reporting(1_000, 500)
    with ScriptedServer(answered) as server:
        server.enqueue(
            Reply.json(
                chat_completion(
                    '{"actors": [], "sta', finish_reason="length", prompt_tokens=1_000, completion_tokens=300
                )
            )
        )
        result = claimx.extract(
            article(1),
            model="openai/gpt-4o-mini",
            base_url=server.base_url,
            api_key=KEY,
            cache=False,
            max_output_tokens=300,
        )
        assert [r.json["max_tokens"] for r in server.completions] == [300, 600]
    usage = result.meta.usage
    assert (usage.requests, usage.prompt_tokens, usage.completion_tokens) == (2, 2_000, 800)
    assert usage.total_tokens == 2_800
    assert usage.cost_usd == pytest.approx((2_000 * MINI.input + 800 * MINI.output) / 1e6)


def test_a_failed_document_says_what_its_calls_cost() -> None:
    """A document whose answers never validate was still billed for each: its error says so."""
    with ScriptedServer(
        lambda request: Reply.completion('{"statements": "no"}', prompt_tokens=1_000, completion_tokens=50)
    ) as server:
        with pytest.raises(InvalidOutputError) as failed:
            claimx.extract(
                article(1), model="openai/gpt-4o-mini", base_url=server.base_url, api_key=KEY, cache=False
            )
        sent = len(server.completions)
    usage = failed.value.usage
    assert usage is not None and usage.requests == sent == 3
    assert (usage.prompt_tokens, usage.completion_tokens) == (3_000, 150)


def test_an_unknown_model_costs_null_never_a_guess(server: ScriptedServer) -> None:
    server.enqueue(Reply.completion({"actors": [], "statements": [], "positions": []}))
    result = claimx.extract(
        article(1), model="openai/my-finetune", base_url=server.base_url, api_key=KEY, cache=False
    )
    assert result.meta.usage.requests == 1 and result.meta.usage.cost_usd is None
    table = PriceTable()
    assert table.price_for("openai/gpt-4.1-nano") == BUILTIN_PRICES["gpt-4.1-nano"]
    assert table.price_for("ollama/gpt-4o") is None  # another provider's model of the same name
    assert table.price_for("openai/gpt-4o-mini-search") is None  # no prefix matching
    assert table.price_for("openai/gpt-4o-2024-05-13") == BUILTIN_PRICES["gpt-4o-2024-05-13"]  # its own price
    rules = claimx.extract(article(1), model="baseline")
    assert rules.meta.usage.cost_usd == 0.0  # no language model, no call


def test_a_prices_file_prices_a_self_hosted_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "prices.toml"
    toml.write_text(
        '["openai/my-vllm"]\ninput = 0\noutput = 0\n\n["gpt-4o-mini"]\ninput = 1.0\noutput = 2.0\n'
    )
    prices = load_prices(toml)
    assert prices["openai/my-vllm"].input == 0 and prices["gpt-4o-mini"].output == 2.0
    as_json = tmp_path / "prices.json"
    as_json.write_text(json.dumps({"openai/my-vllm": {"input": 0.5, "output": 1.5}}))
    monkeypatch.setenv("CLAIMX_PRICES", str(as_json))
    with ScriptedServer(reporting(1_000_000, 1_000_000)) as server:
        result = claimx.extract(
            article(1), model="openai/my-vllm", base_url=server.base_url, api_key=KEY, cache=False
        )
    assert result.meta.usage.cost_usd == pytest.approx(2.0)
    assert default_prices(toml).price_for("openai/gpt-4o-mini") == prices["gpt-4o-mini"]  # the file wins


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("bad.json", '{"gpt-4o": {"input": 1}}', "gpt-4o.output: Field required"),
        ("bad.json", '{"gpt-4o": {"input": -1, "output": 1}}', "greater than or equal to 0"),
        ("bad.json", '{"gpt-4o": {"input": 1, "output": 1, "per": "k"}}', "Extra inputs are not permitted"),
        ("bad.json", "{not json", "is not valid JSON"),
        ("bad.toml", "[gpt-4o\ninput = 1", "is not valid TOML"),
        ("bad.toml", '["gpt-4o"]\ninput = inf\noutput = 1', "finite number"),
        ("bad.json", '{"gpt-4o": {"input": "1e400", "output": 1}}', "finite number"),
    ],
)
def test_a_broken_prices_file_is_a_clear_error(tmp_path: Path, name: str, content: str, says: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigError, match="prices file") as caught:
        load_prices(path)
    assert says in caught.value.message and str(path) in caught.value.message


def test_cli_refuses_a_broken_prices_file_before_any_call(tmp_path: Path, server: ScriptedServer) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text('{"gpt-4o-mini": {"input": "cheap", "output": 1}}')
    proc = claimx_cli(
        "extract", str(write_docs(tmp_path / "in", 2)), "-m", "openai/gpt-4o-mini", "--base-url",
        server.base_url, "--api-key", KEY, "--prices", str(bad), "-o", str(tmp_path / "out.jsonl"),
    )  # fmt: skip
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert f"the prices file {bad}" in stderr and "gpt-4o-mini.input" in stderr
    assert not server.requests and not (tmp_path / "out.jsonl").exists() and KEY not in stderr


def test_an_infinite_price_is_refused_not_an_estimate_of_nan_within_any_limit(
    tmp_path: Path, server: ScriptedServer
) -> None:
    """``input = inf`` made the estimate $nan, "within --max-cost $1.00" (NaN compares false), and
    the run then stopped at the limit before its first document: exit 1, nothing done."""
    prices = tmp_path / "prices.toml"
    prices.write_text('["openai/self-hosted"]\ninput = inf\noutput = 0\n')
    proc = claimx_cli(
        "extract", str(write_docs(tmp_path / "in", 2)), "-m", "openai/self-hosted", "--base-url",
        server.base_url, "--prices", str(prices), "--max-cost", "1", "-o", str(tmp_path / "out.jsonl"),
    )  # fmt: skip
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert "finite number" in stderr and "nan" not in stderr
    assert not server.requests and not (tmp_path / "out.jsonl").exists()


def test_max_cost_refuses_a_job_whose_estimate_exceeds_it(tmp_path: Path, server: ScriptedServer) -> None:
    out = tmp_path / "out.jsonl"
    args = ("extract", str(write_docs(tmp_path / "in", 5)), "-m", "openai/gpt-4o-mini", "--base-url",
            server.base_url, "--api-key", KEY, "-o", str(out))  # fmt: skip
    proc = claimx_cli(*args, "--max-cost", "0.001")
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    [line] = [line for line in stderr.splitlines() if "error" in line]
    assert "estimated cost" in line and "for 5 document(s)" in line and "exceeds --max-cost $0.0010" in line
    assert not server.requests and not out.exists()
    one = claimx_cli(*args[:1], str(tmp_path / "in" / "doc0.txt"), *args[2:-2], "--max-cost", "0.00001")
    assert one.returncode == 2 and "for 1 document(s)" in one.stderr.decode()
    unknown = claimx_cli(*args[:3], "openai/unpriced", *args[4:], "--max-cost", "100")
    assert unknown.returncode == 2 and "price of openai/unpriced is unknown" in unknown.stderr.decode()
    assert not server.requests
    with pytest.raises(CostLimitError, match="exceeds the limit of"):
        list(claimx.extract_many([article(1)], model="openai/gpt-4o", base_url=server.base_url, api_key=KEY,
                                 max_cost=0.0001))  # fmt: skip
    assert not server.requests


def test_max_cost_stops_a_run_that_reaches_it_keeping_what_finished(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    inputs = write_docs(tmp_path / "in", 6)
    # Each answer reports 100,000 prompt tokens ($0.015), far beyond its estimate (about $0.003): the
    # estimate of six documents fits under $0.04, the third one's spending reaches it.
    with ScriptedServer(reporting(100_000, 0)) as server:
        args = ("extract", str(inputs), "-m", "openai/gpt-4o-mini", "--base-url", server.base_url,
                "--api-key", KEY, "-o", str(out), "-j", "1")  # fmt: skip
        proc = claimx_cli(*args, "--max-cost", "0.04")
        stderr = proc.stderr.decode()
        assert proc.returncode == 1, stderr
        assert "within --max-cost $0.0400" in stderr
        assert "stopped at the cost limit of $0.0400: $0.0450 spent" in stderr and "--resume" in stderr
        assert "3 extracted, 0 failed" in stderr and "cost $0.0450" in stderr
        first = lines(out)
        assert len(first) == 3 and all(line["meta"]["usage"]["cost_usd"] == 0.015 for line in first)
        assert len(server.completions) == 3
        # A resumed run is estimated on what is left, and finishes under a higher limit.
        proc = claimx_cli(*args, "--max-cost", "1", "--resume")
        assert proc.returncode == 0, proc.stderr.decode()
        assert "for 3 document(s)" in proc.stderr.decode()
    assert sorted(line["doc_id"] for line in lines(out)) == [f"doc{i}" for i in range(6)]
    assert KEY not in stderr and KEY not in out.read_text()


def test_documents_that_fail_count_what_their_calls_cost(tmp_path: Path) -> None:
    """Answers that never validate were billed (three calls each): the error lines, the closing
    line and ``--max-cost`` count them, instead of a failed run reading "0 model requests, $0"
    while it spends past its limit."""
    out = tmp_path / "out.jsonl"
    inputs = write_docs(tmp_path / "in", 6)

    def invalid(request: RecordedRequest) -> Reply:  # $0.015 a call, three calls a document
        return Reply.completion('{"statements": "no"}', prompt_tokens=100_000, completion_tokens=0)

    with ScriptedServer(invalid) as server:
        args = ("extract", str(inputs), "-m", "openai/gpt-4o-mini", "--base-url", server.base_url,
                "--api-key", KEY, "-o", str(out), "-j", "1")  # fmt: skip
        proc = claimx_cli(*args, "--max-cost", "0.05")
        stderr = proc.stderr.decode()
        sent = len(server.completions)
    assert proc.returncode == 1, stderr
    failed = lines(out)
    assert [line["error"]["cause"] for line in failed] == ["invalid_output"] * len(failed)
    usage = [line["error"]["usage"] for line in failed]
    assert all(u["requests"] == 3 and u["prompt_tokens"] == 300_000 for u in usage)
    assert all(u["cost_usd"] == pytest.approx(0.045) for u in usage)
    # The first document spent $0.045 of $0.05: the second ($0.09 in all) is the last one started.
    assert len(failed) == 2 and sent == 6
    assert f"0 extracted, 2 failed, {sent} model requests" in stderr and "cost $0.0900" in stderr
    assert "stopped at the cost limit of $0.0500: $0.0900 spent" in stderr


def test_extract_many_stops_at_its_max_cost_after_the_last_finished_result() -> None:
    with ScriptedServer(reporting(100_000, 0)) as server:
        kept = []
        with pytest.raises(CostLimitReached) as stopped:
            for result in claimx.extract_many(
                [(f"d{i}", article(i)) for i in range(8)],
                model="openai/gpt-4o-mini",
                base_url=server.base_url,
                api_key=KEY,
                cache=False,
                concurrency=2,
                max_cost=0.04,
            ):
                kept.append(result)
        assert len(kept) == len(server.completions) == 4  # two rounds of two fit, the fifth does not
    assert all(r.ok for r in kept) and stopped.value.spent_usd == pytest.approx(0.06)


def _dataset(copies: int) -> Dataset:
    sample = load_dataset("seed").samples[0]
    samples = [sample.model_copy(update={"id": f"{sample.id}-{i}"}) for i in range(copies)]
    return Dataset(spec="seed", name="seed", samples=samples)


def test_eval_run_summary_and_report_show_the_cost(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with ScriptedServer(reporting(20_000, 1_000)) as server:
        base = ("eval", "run", "-d", "seed", "-m", "openai/gpt-4.1-mini", "--base-url", server.base_url)
        refused = claimx_cli(*base, "-o", str(tmp_path / "refused"), "--max-cost", "0.0001")
        assert refused.returncode == 2 and "exceeds --max-cost" in refused.stderr.decode()
        assert not server.requests and not (tmp_path / "refused" / "run.json").exists()
        proc = claimx_cli(*base, "-o", str(run), "--max-cost", "1", env={"CLAIMX_API_KEY": KEY})
        assert proc.returncode == 0, proc.stderr.decode()
        before = (run / "samples.jsonl").read_text()
        again = claimx_cli(*base, "-o", str(run), "--force", "--max-cost", "0", "--no-cache")
        assert again.returncode == 2 and (run / "samples.jsonl").read_text() == before  # nothing lost
        assert len(server.completions) == 1
    summary = json.loads((run / "summary.json").read_text())
    cost = (20_000 * 0.40 + 1_000 * 1.60) / 1e6  # gpt-4.1-mini
    assert summary["usage"]["cost_usd"] == pytest.approx(cost)
    assert summary["usage"]["requests"] == 1 and "stopped" not in summary
    assert "Cost: $0.0096" in (run / "summary.md").read_text()
    assert "cost $0.0096" in proc.stdout.decode()
    report = claimx_cli("eval", "report", str(run), "-o", str(tmp_path / "report.html"))
    assert report.returncode == 0, report.stderr.decode()
    page = (tmp_path / "report.html").read_text()
    assert "1 requests, 0 from cache; $0.0096" in page
    for path in (run / "summary.json", run / "samples.jsonl", run / "run.json", tmp_path / "report.html"):
        assert KEY not in path.read_text()


def test_an_eval_run_counts_what_its_failed_samples_cost(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with ScriptedServer(
        lambda request: Reply.completion('{"statements": "no"}', prompt_tokens=20_000)
    ) as server:
        base = ("eval", "run", "-d", "seed", "-m", "openai/gpt-4.1-mini", "--base-url", server.base_url)
        proc = claimx_cli(*base, "-o", str(run), "--no-cache", env={"CLAIMX_API_KEY": KEY})
        sent = len(server.completions)
    assert proc.returncode == 1, proc.stderr.decode()  # a sample failed
    [sample] = lines(run / "samples.jsonl")
    assert sample["error"]["cause"] == "invalid_output" and sample["usage"]["requests"] == sent == 3
    summary = json.loads((run / "summary.json").read_text())
    assert summary["usage"]["requests"] == 3 and summary["usage"]["prompt_tokens"] == 60_000
    assert summary["usage"]["cost_usd"] == pytest.approx(60_000 * 0.40 / 1e6 + 3 * 50 * 1.60 / 1e6)


def test_eval_run_stopped_at_its_limit_scores_what_finished(tmp_path: Path) -> None:
    with ScriptedServer(reporting(100_000, 0)) as server:
        extractor = claimx.Extractor(
            "openai/gpt-4o-mini",
            base_url=server.base_url,
            api_key=KEY,
            cache=False,
            options=claimx.ExtractOptions(include_text=False, concurrency=1),
        )
        records, summary = asyncio.run(
            run_eval(
                _dataset(5), ModelPredictor(extractor, {}), tmp_path / "run", concurrency=1, max_cost=0.04
            )
        )
    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert len(records) == 3 and written["samples"] == {"total": 3, "failed": 0, "scored": 3, "not_run": 2}
    assert summary.samples.not_run == 2 and summary.usage.cost_usd == pytest.approx(0.045)
    assert summary.stopped is not None and "stopped at the cost limit of $0.0400" in summary.stopped
    assert written["stopped"] == summary.stopped
    assert "Stopped: stopped at the cost limit" in (tmp_path / "run" / "summary.md").read_text()


def test_batch_request_bodies_are_estimated_at_half_price() -> None:
    body = {
        "model": "gpt-4o-mini-2024-07-18",
        "messages": [{"role": "system", "content": "x" * 4000}, {"role": "user", "content": "y" * 4000}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "r", "schema": {"type": "object"}},
        },
        "max_completion_tokens": 1000,
    }
    realtime = estimate_request_cost([body, body], batch=False)
    batch = estimate_request_cost([body, body])
    assert realtime.calls == 2 and realtime.output_tokens == 2000 and realtime.input_tokens > 4000
    assert realtime.cost_usd is not None and batch.cost_usd == pytest.approx(realtime.cost_usd / 2)
    assert estimate_request_cost([{**body, "model": "my-own"}]).cost_usd is None
    # A body names its model bare; a prices file names it as --model does (the README's TOML).
    expected = estimate_request_cost([body], PriceTable({"gpt-4o-mini": Price(input=1.0, output=2.0)}))
    for name in ("my-own", "Qwen/Qwen2.5-7B-Instruct"):  # (a slash is part of a served model's name)
        own = PriceTable({f"openai/{name}": Price(input=1.0, output=2.0)})
        assert estimate_request_cost([{**body, "model": name}], own).cost_usd == pytest.approx(
            expected.cost_usd
        )
    usage = claimx.Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000, cached_prompt_tokens=500_000)
    full = PriceTable().cost("openai/gpt-4o-mini", usage)
    assert full == pytest.approx(0.075 + 0.0375 + 0.60)
    assert PriceTable().for_batch().cost("openai/gpt-4o-mini", usage) == pytest.approx(full / 2)
    assert PriceTable().cost("openai/gpt-4o-mini", usage, batch=True) == pytest.approx(full / 2)


def test_the_readme_prices_file_is_a_valid_prices_file(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    [block] = [b for b in re.findall(r"^```toml\n(.*?)^```", readme, re.S | re.M) if "input =" in b]
    path = tmp_path / "prices.toml"
    path.write_text(block)
    prices = load_prices(path)
    assert prices["openai/my-vllm"].output == 0 and prices["gpt-4.1-mini"] == BUILTIN_PRICES["gpt-4.1-mini"]


def test_batch_submit_max_cost_and_batch_answers_at_half_price(tmp_path: Path) -> None:
    from claimx import batch_api

    docs = [(f"d{i}", article(i)) for i in range(4)]
    job = tmp_path / "job"
    with ScriptedServer(echo_answer) as server:
        with pytest.raises(CostLimitError, match="exceeds the limit"):
            batch_api.submit(
                docs, model="openai/gpt-4o-mini", base_url=server.base_url, job=job, max_cost=0.001
            )
        assert not server.uploads  # nothing sent; the planned job stays for a rerun
        planned = batch_api.pending_cost(job, batch_api.load(job))
        bodies = [json.loads(line)["body"] for line in (job / "input-000.jsonl").read_text().splitlines()]
        realtime = estimate_request_cost(bodies, batch=False)
        assert planned.calls == 4 and realtime.cost_usd is not None
        assert planned.cost_usd == pytest.approx(realtime.cost_usd / 2, rel=1e-4)
        batch_api.submit(docs, model="openai/gpt-4o-mini", base_url=server.base_url, job=job, max_cost=1)
        assert len(server.uploads) == 1
        out = tmp_path / "out.jsonl"
        batch_api.collect(job, out, wait=True, poll_s=0, cache=tmp_path / "cache")
    for line in lines(out):
        usage = line["meta"]["usage"]
        full = (usage["prompt_tokens"] * MINI.input + usage["completion_tokens"] * MINI.output) / 1e6
        assert usage["requests"] == 1 and usage["cost_usd"] == pytest.approx(full / 2)


def test_max_cost_makes_an_empty_document_its_error_result_and_runs_the_others() -> None:
    documents = [("d1", article(1)), ("d2", article(2)), ("d3", "")]
    with ScriptedServer(reporting(1_000, 100)) as server:
        results = {
            r.doc_id: r
            for r in claimx.extract_many(
                documents,
                model="openai/gpt-4o-mini",
                base_url=server.base_url,
                api_key=KEY,
                cache=False,
                max_cost=5.00,
            )
        }
        assert len(server.completions) == 2  # the empty document was neither estimated nor sent
    assert results["d1"].ok and results["d2"].ok
    assert not results["d3"].ok and "empty" in results["d3"].error.message
    offline = {r.doc_id: r.ok for r in claimx.extract_many(documents, model="offline", max_cost=5.00)}
    assert offline == {"d1": True, "d2": True, "d3": False}


def test_summary_says_why_a_run_without_model_calls_costs_nothing(tmp_path: Path) -> None:
    for model in ("baseline", "gold"):
        proc = claimx_cli("eval", "run", "-d", "seed", "-m", model, "-o", str(tmp_path / model))
        assert proc.returncode == 0, proc.stderr.decode()
        markdown = (tmp_path / model / "summary.md").read_text()
        [cost] = [line for line in markdown.splitlines() if line.startswith("Cost:")]
        assert cost == "Cost: $0 (no model calls)."  # not "answers from the cache": there were none


def test_cost_phrase_names_the_cache_only_when_answers_came_from_it() -> None:
    from claimx.evaluate.report import cost_phrase
    from claimx.evaluate.summary import RunUsage

    counts = dict(prompt_tokens=0, completion_tokens=0, total_tokens=0, transport_retries=0, reasks=0)
    timing = dict(latency_s=1.0, latency_s_mean=1.0, latency_s_max=1.0)

    def usage(requests: int, cached: int, cost: float | None) -> RunUsage:
        return RunUsage(requests=requests, cached_samples=cached, cost_usd=cost, **counts, **timing)

    assert cost_phrase(usage(2, 1, 0.0123)) == "$0.0123 (answers from the cache cost nothing)"
    assert cost_phrase(usage(0, 3, 0.0)).endswith("(answers from the cache cost nothing)")
    assert cost_phrase(usage(2, 0, 0.0123)) == "$0.0123"
    assert cost_phrase(usage(0, 0, 0.0)).endswith("(no model calls)")
    assert cost_phrase(usage(0, 0, None)) == "$0 (no model calls)"  # the gold: no price, no call
    assert cost_phrase(usage(0, 0, None), failed=1).startswith("unknown")  # its calls are not counted
    assert cost_phrase(usage(2, 0, None)).startswith("unknown (no price")


def test_a_prices_file_that_never_ends_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """``--prices /dev/zero`` (or $CLAIMX_PRICES pointing at a device) was read whole: under a
    3 GB address-space limit it ended in a MemoryError; it must be one line, exit 2."""
    import resource
    import subprocess
    import sys

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))

    (tmp_path / "a.txt").write_text("The minister said the plan would pass.")
    proc = subprocess.run(
        [sys.executable, "-m", "claimx", "extract", str(tmp_path / "a.txt"), "-m", "offline",
         "--prices", "/dev/zero", "-f", "json"],
        capture_output=True, timeout=120, preexec_fn=limited,
    )  # fmt: skip
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert "MemoryError" not in stderr and "the prices file /dev/zero is over" in stderr
