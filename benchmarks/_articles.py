"""Run ``overhead.py``'s article through ``Extractor.aextract`` a given number of times, and stop.

For counting instructions, which no other process on a shared machine can stretch: run it
under callgrind for two counts and take the difference, so start-up and imports cancel out.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null python benchmarks/_articles.py 2
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python benchmarks/_articles.py 12
    # instructions per article: (Collected of 12 - Collected of 2) / 10

Each count comes after three articles of warm-up (caches warm, as in ``overhead.py``), against
the scripted server in a process of its own (which callgrind does not follow), and includes
``model_dump_json()`` of each result, the HTTP client and instructor, as ``overhead.py``'s
``claimx`` side does.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import article
from _server import ServerProcess

WARMUP = 3


async def _run(base_url: str, text: str, count: int) -> None:
    from claimx.extract import Extractor

    extractor = Extractor("openai/bench", base_url=base_url, api_key="sk-bench", cache=False)
    for _ in range(WARMUP + count):
        (await extractor.aextract(text, doc_id="bench")).model_dump_json()
    await extractor.aclose()


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    text, answer = article(statements=100, chars=20_000)
    with tempfile.TemporaryDirectory() as tmp:
        reply_file = Path(tmp) / "reply.json"
        reply_file.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
        with ServerProcess(reply_file=reply_file) as server:
            asyncio.run(_run(server.base_url, text, count))
    print(f"{count} articles after {WARMUP} of warm-up")


if __name__ == "__main__":
    main()
