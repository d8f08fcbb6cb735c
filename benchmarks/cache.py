"""Response cache: a cold run of 200 documents against a warm rerun of the same 200.

The scripted OpenAI-compatible server (a process of its own) answers each request with
``echo_answer`` after a latency drawn uniformly from 1–5 s (a function of the request, so a
document waits as long on every run; a hosted model takes about that for a short article).
Both runs use ``claimx.aextract_many`` with concurrency 32 and a response cache in a fresh
temporary folder; the rerun is a new Extractor with a new ``ResponseCache`` on that folder,
as a second invocation of a batch would be. Each run is timed from building its Extractor to
its last result.

* ``speedup`` = cold seconds / warm seconds;
* ``warm_calls`` = chat-completion requests the server received during the rerun, read
  from the server's own count (``cold_calls`` likewise for the first run).

    python benchmarks/cache.py              # last line: JSON with speedup and warm_calls
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import short_articles
from _server import ServerProcess

DOCUMENTS = 200
LATENCY_S = (1.0, 5.0)
CONCURRENCY = 32


async def run(base_url: str, folder: Path, docs: list[tuple[str, str]]) -> tuple[float, int, int]:
    """Seconds, extractions and cache hits of one run with a cache in ``folder``."""
    import claimx
    from claimx.cache import ResponseCache
    from claimx.extract import ExtractOptions, Extractor

    started = time.perf_counter()
    cache = ResponseCache(folder)
    extractor = Extractor(
        "openai/bench",
        base_url=base_url,
        api_key="sk-bench",
        cache=cache,
        options=ExtractOptions(concurrency=CONCURRENCY),
    )
    done = 0
    async for result in claimx.aextract_many(docs, extractor=extractor, concurrency=CONCURRENCY):
        done += result.extraction is not None
    elapsed = time.perf_counter() - started
    await extractor.aclose()
    hits = cache.hits
    cache.close()
    return elapsed, done, hits


def main() -> None:
    docs = short_articles(DOCUMENTS, seed=7)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, ServerProcess(delay=LATENCY_S) as server:
        folder = Path(tmp) / "cache"
        before = server.completions()
        cold, cold_done, _ = asyncio.run(run(server.base_url, folder, docs))
        middle = server.completions()
        warm, warm_done, warm_hits = asyncio.run(run(server.base_url, folder, docs))
        after = server.completions()
    figures = {
        "speedup": round(cold / warm, 1),
        "warm_calls": after - middle,
        "cold_calls": middle - before,
        "cold_s": round(cold, 3),
        "warm_s": round(warm, 4),
        "warm_ms_per_doc": round(warm / DOCUMENTS * 1000, 3),
        "warm_cache_hits": warm_hits,
        "extracted": [cold_done, warm_done],
        "documents": DOCUMENTS,
        "latency_s": list(LATENCY_S),
        "concurrency": CONCURRENCY,
    }
    print(
        f"cold: {cold:.2f} s, {figures['cold_calls']} model calls; warm rerun: {warm * 1000:.1f} ms, "
        f"{figures['warm_calls']} model calls, {warm_hits} cache hits "
        f"({DOCUMENTS} documents, latency {LATENCY_S[0]:g}–{LATENCY_S[1]:g} s, concurrency {CONCURRENCY})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
