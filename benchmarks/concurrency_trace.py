"""Where a concurrent batch's time goes: concurrency.py's batch, traced (a diagnosis, not a figure).

``concurrency.py`` says how far a batch is from its ideal; this says where the rest went. It runs
the same batch (256 short documents, concurrency 32, 200 ms per request) with timestamps taken
in both processes, on the same clock (``time.perf_counter`` is the system's monotonic clock),
and matched by the request body's hash:

* per request: from the document's start to its request (``start → create``), the request's
  way out (``create → send``: the openai SDK building it), ``send → head`` (until the reply's
  head is read), then reading and checking the answer (``head → gen``) and grounding it
  (``gen → end``);
* at the server: ``head → body``, how long after a request's head its body arrived (the HTTP
  client writes them in separate steps of the event loop), and ``written → read``, how long a
  written reply waited before the client had read its head;
* the event loop: how many passes a batch took and the CPU each took (a pass runs every task
  that is ready before the loop looks at its sockets again), and the time it sat idle;
* the process: its CPU time against the wall time (on a loaded machine it gets a fraction of a
  core: then wall-time efficiency measures the machine).

To trace it, it wraps a few of claimx's internals and asyncio's loop pass (``_run_once``):
measurement only, never imported by claimx.

    python benchmarks/concurrency_trace.py          # two traced batches after a warm-up
    PYTHONPATH=../other-checkout python benchmarks/concurrency_trace.py   # the same for other code
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import selectors
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import short_articles
from _server import ServerProcess

CONCURRENCY = 32
DOCUMENTS = 8 * CONCURRENCY
LATENCY_S = 0.2
RUNS = 2


def serve(log_path: str) -> None:
    """``_server.py``'s scripted server, logging when each request's head and body came and its reply went."""
    import atexit

    import _server

    from claimx import testing

    handler: Any = testing._Handler
    log: list[tuple[str, float, float, float]] = []
    do_post, read = handler.do_POST, handler._request

    def request(self: Any, method: str, body: bytes) -> Any:
        self.trace = (hashlib.sha1(body).hexdigest(), time.perf_counter())
        return read(self, method, body)

    def post(self: Any) -> None:
        head = time.perf_counter()
        do_post(self)
        digest, body = self.trace
        log.append((digest, head, body, time.perf_counter()))

    handler._request, handler.do_POST = request, post
    atexit.register(lambda: Path(log_path).write_text(json.dumps(log)))
    _server.main()


class TracedServer(ServerProcess):
    """``ServerProcess`` running this file's :func:`serve` instead."""

    def __init__(self, log_path: str) -> None:
        super().__init__(delay=(LATENCY_S, LATENCY_S))
        self._args[1:2] = [str(Path(__file__).resolve()), "--serve", log_path]
        # (``--delay`` and its values follow, as _server.py reads them)


class Trace:
    """Timestamps of each document's steps and of the event loop's passes, in this process."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, float]] = defaultdict(dict)
        self.passes: list[tuple[int, float]] = []  # (callbacks ready, CPU seconds) per pass
        self.idle = 0.0

    def clear(self) -> None:
        self.steps.clear()
        self.passes.clear()
        self.idle = 0.0

    def install(self) -> None:
        import asyncio.base_events as base_events

        from claimx.extract import Extractor
        from claimx.models import openai as backend
        from claimx.models import structured, transport

        steps = self.steps

        def doc() -> str:
            return structured._CURRENT.get().doc_id or ""

        handle = transport.GuardedTransport.handle_async_request

        async def traced_handle(self_: Any, request: Any) -> Any:
            here = steps[doc()]
            here["send"], here["hash"] = time.perf_counter(), hashlib.sha1(request.content).hexdigest()  # type: ignore[assignment]
            response = await handle(self_, request)
            here["head"] = time.perf_counter()
            return response

        create = backend.OpenAIModel._create

        async def traced_create(self_: Any, *args: Any, **kwargs: Any) -> Any:
            steps[doc()]["create"] = time.perf_counter()
            return await create(self_, *args, **kwargs)

        generate = backend.OpenAIModel.generate

        async def traced_generate(self_: Any, request: Any) -> Any:
            reply = await generate(self_, request)
            steps[request.doc_id]["gen"] = time.perf_counter()
            return reply

        aextract = Extractor.aextract

        async def traced_aextract(self_: Any, text: Any, doc_id: str | None = None) -> Any:
            steps[doc_id or ""]["start"] = time.perf_counter()
            result = await aextract(self_, text, doc_id)
            steps[doc_id or ""]["end"] = time.perf_counter()
            return result

        run_once = base_events.BaseEventLoop._run_once  # type: ignore[attr-defined]

        def traced_run_once(loop: Any) -> None:
            ready, cpu = len(loop._ready), time.process_time()
            run_once(loop)
            self.passes.append((ready, time.process_time() - cpu))

        select = selectors.EpollSelector.select

        def traced_select(selector: Any, timeout: float | None = None) -> Any:
            started = time.perf_counter()
            try:
                return select(selector, timeout)
            finally:
                self.idle += time.perf_counter() - started

        transport.GuardedTransport.handle_async_request = traced_handle  # type: ignore[method-assign]
        backend.OpenAIModel._create = traced_create  # type: ignore[method-assign]
        backend.OpenAIModel.generate = traced_generate  # type: ignore[method-assign]
        Extractor.aextract = traced_aextract  # type: ignore[method-assign]
        base_events.BaseEventLoop._run_once = traced_run_once  # type: ignore[attr-defined]
        selectors.EpollSelector.select = traced_select  # type: ignore[method-assign]


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "-"
    p10, p90 = ordered[len(ordered) // 10], ordered[len(ordered) * 9 // 10]
    return f"median {statistics.median(ordered) * 1000:7.1f}  p10 {p10 * 1000:7.1f}  p90 {p90 * 1000:7.1f} ms"


async def traced_batches(base_url: str, trace: Trace) -> list[dict[str, Any]]:
    import claimx
    from claimx.extract import ExtractOptions, Extractor

    docs = short_articles(DOCUMENTS)
    extractor = Extractor(
        "openai/bench",
        base_url=base_url,
        api_key="sk-bench",
        cache=False,
        options=ExtractOptions(concurrency=CONCURRENCY),
    )

    async def batch(tag: str) -> None:
        items = [(f"{tag}-{i}", text) for i, text in docs]
        async for _ in claimx.aextract_many(items, extractor=extractor, concurrency=CONCURRENCY):
            pass

    await batch("warm")
    runs: list[dict[str, Any]] = []
    for run in range(RUNS):
        trace.clear()
        started, cpu = time.perf_counter(), time.process_time()
        await batch(f"run{run}")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        runs.append(
            {
                "elapsed": elapsed,
                "window": (started, started + elapsed),
                "cpu": cpu,
                "idle": trace.idle,
                "steps": {k: dict(v) for k, v in trace.steps.items()},
                "passes": list(trace.passes),
            }
        )
    await extractor.aclose()
    return runs


def report(run: dict[str, Any], log: list[tuple[str, float, float, float]]) -> None:
    elapsed, steps = run["elapsed"], list(run["steps"].values())
    # Every run sends the same bodies (a document's id is not in its request): match within the run.
    low, high = run["window"]
    server_log = {digest: (head, body, written) for digest, head, body, written in log if low <= head <= high}
    ideal = DOCUMENTS * LATENCY_S / CONCURRENCY
    print(
        f"elapsed {elapsed:.3f} s, efficiency {ideal / elapsed:.3f}; client CPU "
        f"{run['cpu'] / DOCUMENTS * 1000:.2f} ms per document, {run['cpu'] / elapsed:.2f} of the wall "
        f"time; event loop idle {run['idle'] / elapsed:.2f} of it"
    )
    for first, then in (
        ("start", "create"),
        ("create", "send"),
        ("send", "head"),
        ("head", "gen"),
        ("gen", "end"),
    ):
        gaps = [s[then] - s[first] for s in steps if first in s and then in s]
        print(f"  {first:>6} → {then:<6} {spread(gaps)}")
    matched = [(s, server_log[s["hash"]]) for s in steps if s.get("hash") in server_log]  # type: ignore[index]
    print(f"  server, {len(matched)} requests matched:")
    print(f"    head → body   {spread([body - head for _, (head, body, _w) in matched])}")
    print(f"    written → read {spread([s['head'] - written for s, (_h, _b, written) in matched])}")
    passes = run["passes"]
    cpu = sorted(c for _, c in passes)
    print(
        f"  event loop: {len(passes)} passes, callbacks ready per pass median "
        f"{statistics.median(n for n, _ in passes):.0f} (max {max(n for n, _ in passes)}), CPU per pass "
        f"p50 {cpu[len(cpu) // 2] * 1000:.2f} / p90 {cpu[len(cpu) * 9 // 10] * 1000:.2f} / "
        f"max {cpu[-1] * 1000:.1f} ms"
    )


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        log_path = sys.argv[2]
        sys.argv[1:3] = []
        serve(log_path)
        return
    trace = Trace()
    trace.install()
    with tempfile.TemporaryDirectory() as folder:
        log_path = str(Path(folder) / "server.json")
        with TracedServer(log_path) as server:
            runs = asyncio.run(traced_batches(server.base_url, trace))
        log = [
            (str(d), float(h), float(b), float(w)) for d, h, b, w in json.loads(Path(log_path).read_text())
        ]
    for run in runs:
        report(run, log)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
