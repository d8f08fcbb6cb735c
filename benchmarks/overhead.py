"""claimx's own time per document, model time excluded.

A 20,000-character synthetic article and a precomputed answer of 100 statements (with their
actors and positions; see ``_corpus.py``) are served with no delay by the scripted
OpenAI-compatible server, running in a process of its own. Measured here, alternately:

* **claimx**: ``Extractor.aextract`` over HTTP (request building, instructor, validation,
  grounding, linking, building the Extraction) plus ``model_dump_json()`` (serialisation);
* **bare**: the very request claimx sends (recorded once), sent with the bare ``openai``
  client, and its completion parsed by the SDK: the HTTP round trip and the server's time.

``ms_per_doc`` = median(claimx) − median(bare), wall time, the two alternating
(``cpu_ms_per_doc``: the same with this process's CPU time, less disturbed by whatever else
the machine runs). The stages
are also timed directly (CPU time, no HTTP) as a cross-check and to show where the time goes;
``stages_ms`` adds them up (it leaves out instructor's own work and the HTTP client's).
Caches are warm, as in a long batch: the response model for a given number of sentences and
its JSON schema are built once per process.

    python benchmarks/overhead.py              # last line: JSON with ms_per_doc
    python benchmarks/overhead.py --profile    # also print the top of a cProfile of claimx's path
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import article
from _server import ServerProcess

ROUNDS = 100
WARMUP = 5


def recorded_request(content: str, text: str) -> dict[str, Any]:
    """The JSON body claimx sends for ``text`` (recorded by an in-process scripted server)."""
    from claimx.extract import Extractor
    from claimx.testing import Reply, ScriptedServer

    with ScriptedServer() as server:
        server.enqueue(Reply.completion(content))
        extractor = Extractor("openai/bench", base_url=server.base_url, api_key="sk-bench", cache=False)
        extractor.extract(text, doc_id="bench")
        extractor.close()
        body: dict[str, Any] = server.completions[0].json
    return body


def stage_times(text: str, content: str, rounds: int) -> dict[str, float]:
    """Median CPU milliseconds of each stage, run directly (no HTTP, no instructor).

    CPU time (``time.process_time``), not wall time: this machine is shared, and a stage of a
    millisecond is easily stretched by another process; the stages run in this process only.
    """
    from claimx.document import Document
    from claimx.extract import Extractor
    from claimx.ground import Aligner, ground
    from claimx.link import link
    from claimx.response import as_response, response_model_for
    from claimx.schema import Meta

    extractor = Extractor("openai/bench", base_url="http://127.0.0.1:9/v1", api_key="sk-bench", cache=False)
    times: dict[str, list[float]] = {}

    def timed(name: str, started: float) -> float:
        now = time.process_time()
        times.setdefault(name, []).append((now - started) * 1000)
        return now

    for _ in range(rounds):
        t = time.process_time()
        document = Document.from_text(text, "bench")
        t = timed("document", t)
        extractor.prompt.render(document, range(1, len(document.sentences) + 1))
        t = timed("prompt", t)
        model = response_model_for(1, len(document.sentences))
        model.model_json_schema()  # what the request carries (instructor asks for it on every call)
        t = timed("schema", t)
        output = model.model_validate_json(content)
        response = as_response(output)  # as Extractor._answer does
        t = timed("validate", t)
        grounded = ground(document, [response], Aligner(document))
        t = timed("ground", t)
        linked = link(grounded)
        t = timed("link", t)
        linked.to_extraction(document, Meta(**dict(extractor.provenance))).model_dump_json()
        timed("result+serialise", t)
    return {name: round(statistics.median(values), 3) for name, values in times.items()}


class GcClock:
    """CPU time this process spends in Python's garbage collector (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.total_s = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.total_s += time.process_time() - self._started


async def measure(
    base_url: str, text: str, body: dict[str, Any], rounds: int, gc_clock: GcClock
) -> tuple[list[float], ...]:
    import openai

    from claimx.extract import Extractor

    extractor = Extractor("openai/bench", base_url=base_url, api_key="sk-bench", cache=False)
    bare = openai.AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    ours: list[float] = []
    theirs: list[float] = []
    ours_cpu: list[float] = []
    theirs_cpu: list[float] = []
    ours_gc: list[float] = []
    counts: tuple[int, int, int] = (0, 0, 0)
    for i in range(WARMUP + rounds):
        started, cpu, in_gc = time.perf_counter(), time.process_time(), gc_clock.total_s
        result = await extractor.aextract(text, doc_id="bench")
        result.model_dump_json()
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - cpu
        if i >= WARMUP:
            ours_gc.append((gc_clock.total_s - in_gc) * 1000)
        counts = (len(result.claims), len(result.actors), len(result.positions))

        started, cpu = time.perf_counter(), time.process_time()
        await bare.chat.completions.create(**body)  # (its content is parsed by claimx's side only)
        bare_elapsed, bare_cpu = time.perf_counter() - started, time.process_time() - cpu
        if i >= WARMUP:
            ours.append(elapsed * 1000)
            theirs.append(bare_elapsed * 1000)
            ours_cpu.append(elapsed_cpu * 1000)
            theirs_cpu.append(bare_cpu * 1000)
    await extractor.aclose()
    await bare.close()
    return ours, theirs, ours_cpu, theirs_cpu, [float(c) for c in counts], ours_gc


def profile(base_url: str, text: str, rounds: int) -> None:
    from claimx.extract import Extractor

    extractor = Extractor("openai/bench", base_url=base_url, api_key="sk-bench", cache=False)

    async def run() -> None:
        for _ in range(rounds):
            (await extractor.aextract(text, doc_id="bench")).model_dump_json()

    asyncio.run(run())  # warm
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(run())
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    text, answer = article(statements=100, chars=20_000)
    content = json.dumps(answer, ensure_ascii=False)
    body = recorded_request(content, text)
    with tempfile.TemporaryDirectory() as tmp:
        reply_file = Path(tmp) / "reply.json"
        reply_file.write_text(content, encoding="utf-8")
        with ServerProcess(reply_file=reply_file) as server:
            if args.profile:
                profile(server.base_url, text, 20)
            gc_clock = GcClock()
            gc.callbacks.append(gc_clock)
            try:
                ours, theirs, ours_cpu, theirs_cpu, counts, ours_gc = asyncio.run(
                    measure(server.base_url, text, body, args.rounds, gc_clock)
                )
            finally:
                gc.callbacks.remove(gc_clock)
    stages = stage_times(text, content, max(10, args.rounds // 3))

    claimx_ms, bare_ms = statistics.median(ours), statistics.median(theirs)
    print(f"article: {len(text):,} characters, {len(answer['statements'])} statements in the answer")
    print(
        f"grounded: {int(counts[0])} claims, {int(counts[1])} actors, {int(counts[2])} positions "
        f"(the rest rejected)"
    )
    print(f"through claimx: {claimx_ms:.2f} ms; bare openai round trip: {bare_ms:.2f} ms (medians)")
    print("stages, run directly (ms): " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    print(
        json.dumps(
            {
                "ms_per_doc": round(claimx_ms - bare_ms, 3),
                "claimx_ms": round(claimx_ms, 3),
                "bare_round_trip_ms": round(bare_ms, 3),
                # The same difference in this process's CPU time (the server runs elsewhere).
                "cpu_ms_per_doc": round(statistics.median(ours_cpu) - statistics.median(theirs_cpu), 3),
                # Of the CPU time through claimx, what Python's garbage collector took (mean per
                # document): full collections scan every object alive, the openai SDK's ~100,000
                # from its import included.
                "gc_ms_per_doc": round(statistics.fmean(ours_gc), 3),
                "stages_ms": round(sum(stages.values()), 3),
                "stages": stages,
                "chars": len(text),
                "statements": len(answer["statements"]),
                "claims_grounded": int(counts[0]),
                "rounds": args.rounds,
                "aim_ms": 5.0,
                "load_avg_1m": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
