"""Memory: peak RSS streaming 10,000 documents against streaming 1,000.

Each count runs in a fresh Python process that streams short synthetic documents, made one
at a time by a generator (the input itself takes no memory), through ``claimx.extract_many``
(concurrency 32, no cache) and keeps nothing but a count of the results. The scripted
OpenAI-compatible server answers with ``echo_answer`` at once, from a process of its own.
The child reports its peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) and its RSS
at 10 %, 50 % and 100 % of the documents (``psutil``), so a slow leak shows as growth.

* ``rss_ratio`` = peak RSS with 10,000 documents / peak RSS with 1,000 (flat memory: ~1.0).

    python benchmarks/memory.py             # last line: JSON with rss_ratio
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import iter_short_articles
from _server import ROOT, ServerProcess

COUNTS = (1_000, 10_000)
CONCURRENCY = 32


def child(count: int, base_url: str) -> None:
    """Stream ``count`` documents and print what memory they took (run in a fresh process)."""
    import psutil

    import claimx

    process = psutil.Process()
    checkpoints = {max(1, count // 10), max(1, count // 2), count}
    samples: dict[str, float] = {}
    ok = failed = 0
    started = time.perf_counter()
    for result in claimx.extract_many(
        iter_short_articles(count, seed=count),
        model="openai/bench",
        base_url=base_url,
        api_key="sk-bench",
        cache=False,
        concurrency=CONCURRENCY,
    ):
        ok += result.extraction is not None
        failed += result.extraction is None
        if ok + failed in checkpoints:
            samples[str(ok + failed)] = round(process.memory_info().rss / 2**20, 1)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    print(
        json.dumps(
            {"count": count, "peak_mb": round(peak_mb, 1), "rss_mb_at": samples, "ok": ok,
             "failed": failed, "seconds": round(elapsed, 2)}
        )
    )  # fmt: skip


def measure(count: int, base_url: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(count), "--base-url", base_url],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", type=int)
    parser.add_argument("--base-url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.base_url)
        return
    runs: dict[int, dict[str, Any]] = {}
    with ServerProcess() as server:
        for count in COUNTS:
            run = runs[count] = measure(count, server.base_url)
            print(
                f"{count:>6} documents: peak RSS {run['peak_mb']} MB, RSS at 10/50/100 %: "
                f"{list(run['rss_mb_at'].values())} MB, {run['failed']} failed, {run['seconds']} s"
            )
    small, large = (float(runs[c]["peak_mb"]) for c in COUNTS)
    print(
        json.dumps(
            {
                "rss_ratio": round(large / small, 4),
                "peak_mb": {str(c): runs[c]["peak_mb"] for c in COUNTS},
                "growth_mb": round(large - small, 1),
                "rss_mb_at": {str(c): runs[c]["rss_mb_at"] for c in COUNTS},
                "failed": sum(int(runs[c]["failed"]) for c in COUNTS),
                "seconds": {str(c): runs[c]["seconds"] for c in COUNTS},
                "concurrency": CONCURRENCY,
            }
        )
    )


if __name__ == "__main__":
    main()
