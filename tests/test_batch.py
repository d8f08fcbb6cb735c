"""Batches through the Python API: concurrency bound, isolation of failures, streaming, limits."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from pathlib import Path

import pytest

import claimx
from claimx.errors import InputError
from claimx.inputs import count_documents, iter_sources
from claimx.pacing import Pacer
from claimx.ratelimit import RateLimits
from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

FAST_RETRY = {"transport_attempts": 2, "initial_wait_s": 0.01, "max_wait_s": 0.02}


def article(i: int) -> str:
    return f"The minister said budget number {i} would pass this year. Critics disagreed with the plan."


def docs(n: int) -> list[tuple[str, str]]:
    return [(f"doc{i:03d}", article(i)) for i in range(n)]


class InFlight:
    """A responder that answers after ``delay_s`` and records the most requests open at once."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(self.delay_s)
        with self.lock:
            self.now -= 1
        return echo_answer(request)


def test_every_document_extracted_and_grounded(tmp_path: Path) -> None:
    with ScriptedServer(echo_answer) as server:
        results = list(
            claimx.extract_many(
                docs(25), model="openai/m", base_url=server.base_url, cache=False, concurrency=4
            )
        )
    assert sorted(r.doc_id for r in results) == [f"doc{i:03d}" for i in range(25)]
    for result in results:
        assert result.ok and result.error is None and result.extraction is not None
        assert result.extraction.doc_id == result.doc_id
        assert result.extraction.claims, result.doc_id
        assert result.extraction.verify(article(int(result.doc_id[3:]))) == []


def test_concurrency_is_bounded_and_used() -> None:
    responder = InFlight(0.15)
    with ScriptedServer(responder) as server:
        started = time.perf_counter()
        results = list(
            claimx.extract_many(
                docs(24), model="openai/m", base_url=server.base_url, cache=False, concurrency=6
            )
        )
        elapsed = time.perf_counter() - started
    assert len(results) == 24 and all(r.ok for r in results)
    assert responder.peak == 6  # never more than asked, and the bound is reached
    assert elapsed < 24 * 0.15 / 2  # far from serial


def test_one_failure_does_not_touch_the_others() -> None:
    def answer(request: RecordedRequest) -> Reply:
        if "budget number 3 " in str(request.json["messages"]):
            return Reply.refusal("I will not read this one.")
        if "budget number 5 " in str(request.json["messages"]):
            return Reply.error(503)
        return echo_answer(request)

    with ScriptedServer(answer) as server:
        results = {
            r.doc_id: r
            for r in claimx.extract_many(
                docs(8), model="openai/m", base_url=server.base_url, cache=False, retry=FAST_RETRY
            )
        }
    assert len(results) == 8
    failed = {k: r.error for k, r in results.items() if not r.ok}
    assert set(failed) == {"doc003", "doc005"}
    assert failed["doc003"] is not None and failed["doc003"].type == "RefusalError"
    assert "I will not read this one" in failed["doc003"].message
    assert failed["doc005"] is not None and failed["doc005"].cause == "transport"
    assert "503" in failed["doc005"].message
    line = results["doc003"].to_json_line()
    assert '"error"' in line and '"doc_id":"doc003"' in line


def test_inputs_of_every_shape_and_bad_ones() -> None:
    items: list[claimx.batch.DocumentInput] = [
        article(0),
        ("pair", article(1)),
        {"id": "mapping", "text": article(2)},
        {"id": "no-text"},
        InputError("unreadable.txt is empty", doc_id="unreadable"),
        ("pair", article(3)),  # a repeated id
        "   ",
    ]
    with ScriptedServer(echo_answer) as server:
        listed = list(claimx.extract_many(items, model="openai/m", base_url=server.base_url, cache=False))
    results = {r.doc_id: r for r in listed if r.doc_id != "pair" or r.ok}
    assert len(listed) == 7
    assert results["doc-0"].ok and results["pair"].ok and results["mapping"].ok
    assert results["no-text"].error is not None and "no text" in results["no-text"].error.message
    assert results["unreadable"].error is not None and results["unreadable"].error.cause == "input"
    errors = [r.error.message for r in listed if r.error]
    assert any("more than once" in m for m in errors)
    assert results["doc-6"].error is not None and results["doc-6"].error.cause == "input"
    assert len(server.completions) == 3


def test_skip_ids_are_not_sent() -> None:
    with ScriptedServer(echo_answer) as server:
        results = list(
            claimx.extract_many(
                docs(10),
                model="openai/m",
                base_url=server.base_url,
                cache=False,
                skip_ids={"doc001", "doc007"},
            )
        )
        assert len(server.completions) == 8
    assert {r.doc_id for r in results} == {f"doc{i:03d}" for i in range(10)} - {"doc001", "doc007"}


def test_leaving_early_cancels_the_rest() -> None:
    with ScriptedServer(InFlight(0.2)) as server:
        stream = claimx.extract_many(
            docs(100), model="openai/m", base_url=server.base_url, cache=False, concurrency=4
        )
        first = [next(stream) for _ in range(3)]
        stream.close()
        time.sleep(0.5)
        sent = len(server.completions)
    assert len(first) == 3
    assert sent <= 3 + 4 + 1  # the three, those in flight when we stopped, nothing more


def test_documents_are_read_lazily() -> None:
    pulled: list[int] = []

    def generate() -> object:
        for i in range(1000):
            pulled.append(i)
            yield (f"d{i}", article(i))

    with ScriptedServer(echo_answer) as server:
        stream = claimx.extract_many(
            generate(),  # type: ignore[arg-type]
            model="openai/m",
            base_url=server.base_url,
            cache=False,
            concurrency=4,
        )
        next(stream)
        stream.close()
    assert len(pulled) < 20  # never the whole input in memory


def test_async_api_and_shared_extractor(tmp_path: Path) -> None:
    async def main(base_url: str) -> list[claimx.BatchResult]:
        extractor = claimx.Extractor("openai/m", base_url=base_url, cache=claimx.ResponseCache(tmp_path))
        try:
            first = [r async for r in claimx.aextract_many(docs(6), extractor=extractor, concurrency=3)]
            again = [r async for r in claimx.aextract_many(docs(6), extractor=extractor, concurrency=3)]
        finally:
            await extractor.aclose()
        return first + again

    with ScriptedServer(echo_answer) as server:
        results = asyncio.run(main(server.base_url))
        assert len(server.completions) == 6  # the second pass came from the cache
    assert len(results) == 12 and all(r.ok for r in results)
    assert all(r.extraction is not None and r.extraction.meta.usage.cached for r in results[6:])


def test_extractor_and_its_arguments_are_exclusive() -> None:
    extractor = claimx.Extractor("openai/m", base_url="http://127.0.0.1:9/v1", cache=False)
    with pytest.raises(TypeError, match="either an extractor"):
        list(claimx.extract_many(docs(1), extractor=extractor, prompt="extract@v1"))
    extractor.close()


def test_files_directories_globs_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "a.txt").write_text(article(1))
    (tmp_path / "dir" / "sub" / "a.txt").write_text(article(2))
    (tmp_path / "dir" / "page.html").write_text(f"<html><body><p>{article(3)}</p></body></html>")
    (tmp_path / "dir" / ".hidden.txt").write_text(article(4))
    (tmp_path / "dir" / "image.png").write_bytes(b"\x89PNG\x00\x00")
    lines = [json.dumps({"id": "j1", "text": article(5)}), "", "not json"]
    lines += [json.dumps({"id": 7, "text": article(6)}), json.dumps({"text": ""})]
    (tmp_path / "docs.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "x1.txt").write_text(article(7))
    (tmp_path / "x2.txt").write_text(article(8))
    specs = [
        str(tmp_path / "dir"),
        str(tmp_path / "docs.jsonl"),
        str(tmp_path / "x*.txt"),
        str(tmp_path / "nope.txt"),
    ]
    items = list(iter_sources(specs))
    ids = [item.doc_id for item in items]
    assert ids == ["a", "page", "sub/a", "j1", "docs:3", "7", "docs:5", "x1", "x2", "nope"]
    bad = {item.doc_id: str(item) for item in items if isinstance(item, InputError)}
    assert set(bad) == {"docs:3", "docs:5", "nope"}
    assert "line 3 is not a JSON object" in bad["docs:3"] and "no such file" in bad["nope"]
    page = next(i for i in items if i.doc_id == "page")
    assert not isinstance(page, InputError) and page.converted_from_html and "<p>" not in page.text
    assert count_documents(specs) == len(items)


def test_rate_limits_hold_back_requests_and_tokens() -> None:
    async def timed(limits: RateLimits, calls: list[tuple[int, int]]) -> float:
        started = time.perf_counter()
        for estimated, actual in calls:
            await limits.before_call(estimated)
            await limits.after_call(estimated, actual)
        return time.perf_counter() - started

    # 60 requests per minute: a minute's worth goes at once, the 61st and 62nd wait ~1 s each.
    assert asyncio.run(timed(RateLimits(requests_per_minute=60), [(0, 0)] * 60)) < 0.5
    assert 1.5 < asyncio.run(timed(RateLimits(requests_per_minute=60), [(0, 0)] * 62)) < 3.5
    # 600 tokens per minute = 10 per second; a call that used 100 more than estimated pays them.
    assert 1.5 < asyncio.run(timed(RateLimits(tokens_per_minute=600), [(500, 600), (20, 20)])) < 3.5
    with pytest.raises(ValueError, match="positive"):
        RateLimits(requests_per_minute=0)


def test_a_shared_extractor_keeps_its_own_call_limit(caplog: pytest.LogCaptureFixture) -> None:
    responder = InFlight(0.1)
    with ScriptedServer(responder) as server:
        extractor = claimx.Extractor(
            "openai/m", base_url=server.base_url, cache=False, options=claimx.ExtractOptions(concurrency=2)
        )
        with caplog.at_level("WARNING", logger="claimx"):
            results = list(claimx.extract_many(docs(8), extractor=extractor, concurrency=6))
        default_width = list(claimx.extract_many(docs(8), extractor=extractor))
        extractor.close()
    assert len(results) == len(default_width) == 8
    assert responder.peak == 2  # the extractor's limit on model calls holds…
    assert "allows 2 model calls at once" in caplog.text  # …and the batch says so


# ------------------------------------------------------------------ pacing


async def _passes(pacer: Pacer, tasks: int, cancel: int | None = None) -> tuple[list[tuple[int, int]], int]:
    """Each task takes a turn; returns (task, pass of the loop it started in) in start order."""
    loop = asyncio.get_running_loop()
    passes = 0
    started: list[tuple[int, int]] = []

    def tick() -> None:  # counts the loop's passes: one call per pass
        nonlocal passes
        passes += 1
        loop.call_soon(tick)

    loop.call_soon(tick)

    async def stretch(number: int) -> None:
        await pacer.turn()
        started.append((number, passes))
        if number == 0 and cancel is not None:
            # Cancelled in the very pass its turn is handed to it (that pass's callbacks run
            # in order: the pacer's hand-over, then this): the turn must pass on all the same.
            loop.call_soon(lambda: runners[cancel].cancel())

    runners = [asyncio.create_task(stretch(i)) for i in range(tasks)]
    outcomes = await asyncio.wait_for(asyncio.gather(*runners, return_exceptions=True), 5)
    cancelled = sum(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
    return started, cancelled


def test_the_pacer_starts_one_stretch_per_pass_of_the_loop_in_the_order_asked() -> None:
    started, _ = asyncio.run(_passes(Pacer(), 6))
    assert [number for number, _ in started] == list(range(6))
    at = [when for _, when in started]
    assert all(later > earlier for earlier, later in itertools.pairwise(at)), at


def test_the_pacer_lets_a_lone_stretch_start_at_once() -> None:
    async def alone() -> bool:
        pacer = Pacer()
        await pacer.turn()
        await asyncio.sleep(0.01)  # the turn is long over
        task = asyncio.ensure_future(pacer.turn())
        await asyncio.sleep(0)  # one step: no waiting for a turn
        return task.done()

    assert asyncio.run(alone())


def test_a_stretch_cancelled_when_its_turn_comes_hands_the_turn_on() -> None:
    started, cancelled = asyncio.run(_passes(Pacer(), 4, cancel=1))
    assert [number for number, _ in started] == [0, 2, 3] and cancelled == 1
