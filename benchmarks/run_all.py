"""Run every benchmark of issue 5, one after the other, each in its own process.

Prints each benchmark's own output as it runs, then one JSON object on the last line with
each benchmark's figures (the last line it printed), keyed by its name.

    python benchmarks/run_all.py                 # all of them (a few minutes)
    python benchmarks/run_all.py overhead cache  # some of them
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("overhead", "grounding", "concurrency", "cache", "memory", "tokens", "offline", "batch_collect")


def main() -> None:
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])),
    }
    results: dict[str, object] = {}
    for name in chosen:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(HERE / f"{name}.py")], env=env, capture_output=True, text=True, check=False
        )
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            sys.stdout.write(done.stderr)
            results[name] = {"error": f"exit status {done.returncode}"}
            continue
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
