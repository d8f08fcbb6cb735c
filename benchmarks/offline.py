"""Throughput of the ``offline`` extractor on PolNeAR dev (84 articles), beside ``baseline``.

Each extractor reads every dev article, text to linked :class:`claimx.Extraction` (the tagger,
pairing, speaker resolution, positions, grounding and linking), in one process, after one
warm-up article (the tagger's model file is loaded once per process). Timed as wall clock over
the whole set, best of three passes (and CPU time, ``*_cpu_s``, which load disturbs less); the
ratio offline / baseline is measured in the same run.
Articles are read from ``../shared/datasets`` (skipped with a message when absent).

    python benchmarks/offline.py        # last line: JSON with articles per second
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "polnear" / "data" / "dev" / "text"
PASSES = 3


def _articles() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(DEV.glob("*.txt"))]


def _best(extract: Callable[[str, str], object], articles: list[tuple[str, str]]) -> tuple[float, float, int]:
    """The best pass's wall and CPU seconds (each the least of the passes), and what it found."""
    extract(articles[0][1], articles[0][0])  # warm-up: load the model file, compile patterns
    best = best_cpu = float("inf")
    found = 0
    for _ in range(PASSES):
        started, started_cpu = time.perf_counter(), time.process_time()
        found = sum(len(extract(text, name).attributions) for name, text in articles)  # type: ignore[attr-defined]
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
    return best, best_cpu, found


def main() -> None:
    if not DEV.is_dir():
        print(f"PolNeAR dev not found at {DEV}; nothing to measure", file=sys.stderr)
        print(json.dumps({"skipped": "no PolNeAR dev"}))
        return
    from claimx import Extractor

    articles = _articles()
    with Extractor("offline") as offline, Extractor("baseline") as baseline:
        offline_s, offline_cpu_s, offline_found = _best(offline.extract, articles)
        baseline_s, baseline_cpu_s, baseline_found = _best(baseline.extract, articles)
    figures = {
        "articles": len(articles),
        "offline_s": round(offline_s, 3),
        "offline_cpu_s": round(offline_cpu_s, 3),  # (CPU: what a shared machine's load disturbs least)
        "offline_articles_per_s": round(len(articles) / offline_s, 1),
        "offline_attributions": offline_found,
        "baseline_s": round(baseline_s, 3),
        "baseline_cpu_s": round(baseline_cpu_s, 3),
        "baseline_articles_per_s": round(len(articles) / baseline_s, 1),
        "baseline_attributions": baseline_found,
        "offline_over_baseline_time": round(offline_s / baseline_s, 2),
    }
    print(
        f"offline: {figures['offline_articles_per_s']} articles/s ({offline_found} attributions); "
        f"baseline: {figures['baseline_articles_per_s']} articles/s ({baseline_found})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
