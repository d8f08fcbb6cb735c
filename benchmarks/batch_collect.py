"""Batch collect: documents per second read back from a finished batch, and its memory.

A batch of short synthetic documents (``_corpus.iter_short_articles``) is exported with
``claimx.batchfile.export_batch`` (the realtime requests, captured), and answered line by
line with the scripted server's own answer logic (``claimx.testing.echo_answer``), written
as an OpenAI batch output file: a finished batch, as ``vllm run-batch`` or the Batch API
leaves it. Then, in a fresh Python process per size, ``claimx.batchfile.collect_results``
validates, grounds and links every answer through the realtime path (no cache, no retries:
nothing is asked of any server) and keeps nothing but a count.

* ``docs_per_s``: documents per second collected from the 10,000-document batch;
* ``rss_ratio``: peak RSS collecting 10,000 / collecting 1,000 (flat memory: ~1.0; aim < 1.1).

    python benchmarks/batch_collect.py      # last line: JSON with docs_per_s and rss_ratio
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import iter_short_articles
from _server import ROOT

COUNTS = (1_000, 10_000)
CONCURRENCY = 8
BASE_URL = "http://127.0.0.1:9/v1"  # never reached: nothing is asked again


def make_batch(count: int, folder: Path) -> tuple[Path, Path, float]:
    """Export ``count`` documents and answer every request; the two files and the export's seconds."""
    from claimx.batchfile import BatchSettings, export_batch, read_batch_lines
    from claimx.testing import RecordedRequest, echo_answer

    requests = folder / f"requests-{count}.jsonl"
    started = time.perf_counter()
    export_batch(
        iter_short_articles(count, seed=count),
        BatchSettings(model="openai/bench", base_url=BASE_URL),
        requests,
    )
    exported = time.perf_counter() - started
    responses = folder / f"responses-{count}.jsonl"
    with responses.open("w", encoding="utf-8") as out:
        for line in read_batch_lines(requests):
            reply = echo_answer(RecordedRequest("POST", line.url, {}, line.body))
            body = json.loads(reply.body or b"{}")
            response = {"status_code": 200, "request_id": f"req-{line.custom_id}", "body": body}
            out.write(json.dumps({"id": line.custom_id, "custom_id": line.custom_id, "response": response,
                                  "error": None}) + "\n")  # fmt: skip
    return requests, responses, exported


def child(requests: Path, responses: Path) -> None:
    """Collect one batch and print what it took (run in a fresh process)."""
    import psutil

    from claimx.batchfile import collect_results, documents_path_for

    process = psutil.Process()
    ok = failed = 0
    started = time.perf_counter()
    for result in collect_results(
        documents_path_for(requests),
        [requests],
        [responses],
        retry="none",
        cache=False,
        concurrency=CONCURRENCY,
    ):
        ok += result.extraction is not None
        failed += result.extraction is None
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    rss_mb = process.memory_info().rss / 2**20
    figures = {"peak_mb": round(peak_mb, 1), "end_rss_mb": round(rss_mb, 1), "ok": ok, "failed": failed}
    print(json.dumps({**figures, "seconds": round(elapsed, 2)}))


def measure(requests: Path, responses: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(requests), str(responses)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=2, type=Path)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    runs: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="claimx-batch-bench-") as folder:
        for count in COUNTS:
            requests, responses, exported = make_batch(count, Path(folder))
            run = runs[count] = measure(requests, responses)
            run["docs_per_s"] = round(count / run["seconds"], 1)
            run["export_docs_per_s"] = round(count / exported, 1)
            print(
                f"{count:>6} documents: exported at {run['export_docs_per_s']} doc/s; collected at "
                f"{run['docs_per_s']} doc/s ({run['failed']} failed), peak RSS {run['peak_mb']} MB"
            )
    small, large = (float(runs[c]["peak_mb"]) for c in COUNTS)
    print(
        json.dumps(
            {
                "docs_per_s": runs[COUNTS[-1]]["docs_per_s"],
                "rss_ratio": round(large / small, 4),
                "peak_mb": {str(c): runs[c]["peak_mb"] for c in COUNTS},
                "export_docs_per_s": runs[COUNTS[-1]]["export_docs_per_s"],
                "failed": sum(int(runs[c]["failed"]) for c in COUNTS),
                "seconds": {str(c): runs[c]["seconds"] for c in COUNTS},
                "load_avg_1m": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
