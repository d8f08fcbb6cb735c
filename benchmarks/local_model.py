"""The embedded model through claimx vs bare llama-cpp-python: what claimx adds on the local path.

claimx runs llama.cpp in a child process (so a native crash cannot take the caller down);
the bare side runs it in this process. Both load the same GGUF with the same CPU path (the
extra buffer types this machine's probe allows), send the same messages, the same grammar
(the response schema) and the same sampling, so they generate the same tokens; the ratio of
their speeds is what claimx adds: the process boundary and its JSON round trip, prompt
rendering, validation, grounding, linking. Each side answers once before timing, so both
then reuse the same cached prompt prefix and do the same arithmetic.

Also printed: the time to the first result in a fresh process (model load included), and the
cost of the isolation alone: a one-token completion through the worker vs in process.

    python benchmarks/local_model.py          # last line: JSON with overhead_ratio
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a52612c81e7ad0d0.txt"
REPEATS = 3
PINGS = 20


def first_result_seconds() -> float:
    """Wall time of a fresh process extracting the seed with the bundled model (no cache)."""
    code = f"import claimx; claimx.extract(open({str(SEED)!r}).read(), model='local', cache=False)"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    from llama_cpp import Llama

    from claimx.document import Document
    from claimx.extract import Extractor
    from claimx.models.llama_child import extra_buffer_types_off, gemma_chat_handler
    from claimx.models.local import LocalModel
    from claimx.names import proper_names
    from claimx.response import response_model_for

    text = SEED.read_text(encoding="utf-8")
    document = Document.from_text(text)
    extractor = Extractor("local", cache=False)
    model = extractor.model
    assert isinstance(model, LocalModel)
    worker = model.load()  # the child process, with this machine's verdict on extra buffer types
    settings = worker.settings
    with contextlib.nullcontext() if worker.extra_buffer_types else extra_buffer_types_off():
        llama = Llama(model_path=settings.path, n_ctx=settings.n_ctx, seed=settings.seed, verbose=False)
    llama.chat_handler = gemma_chat_handler()  # the bundled GGUF's template, as the worker chose it
    limits = model.output_limits
    speakers = tuple(proper_names(document)) if limits and limits.compact else ()
    schema = response_model_for(1, len(document.sentences), limits, speakers).model_json_schema()
    messages = extractor.prompt.render(document)
    sampling = {
        "temperature": model.config.temperature,
        "top_p": model.config.top_p,
        "repeat_penalty": model.config.repeat_penalty,
        "seed": model.config.seed,
        "max_tokens": model.max_output_tokens,
    }

    def bare() -> int:
        reply = llama.create_chat_completion(
            messages=messages, response_format={"type": "json_object", "schema": schema}, **sampling
        )
        return int(reply["usage"]["completion_tokens"])

    tokens = bare()  # warm both sides: the prompt prefix is cached from here on, on each side
    extractor.extract(document)
    bare_tps: list[float] = []
    ours_tps: list[float] = []
    for _ in range(REPEATS):  # alternate, so drift in machine load hits both sides alike
        started = time.perf_counter()
        tokens = bare()
        bare_tps.append(tokens / (time.perf_counter() - started))
        started = time.perf_counter()
        result = extractor.extract(document)
        ours_tps.append(result.meta.usage.completion_tokens / (time.perf_counter() - started))
        assert result.meta.usage.completion_tokens == tokens, "both sides must generate the same tokens"

    ping = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "temperature": 0.0}
    in_process, isolated = [], []
    for _ in range(PINGS):
        started = time.perf_counter()
        llama.create_chat_completion(**ping)
        in_process.append(time.perf_counter() - started)
        started = time.perf_counter()
        worker.complete(ping)
        isolated.append(time.perf_counter() - started)
    asyncio.run(model.aclose())
    llama.close()

    bare_rate, ours = statistics.median(bare_tps), statistics.median(ours_tps)
    round_trip_ms = (statistics.median(isolated) - statistics.median(in_process)) * 1000
    cold = first_result_seconds()
    path = "on" if worker.extra_buffer_types else "off"
    print(
        f"bare llama-cpp-python: {bare_rate:.1f} tokens/s; through claimx: {ours:.1f} tokens/s "
        f"({tokens} tokens, median of {REPEATS}; extra buffer types {path})"
    )
    print(f"isolation alone: {round_trip_ms:.2f} ms per call (one-token completion, worker vs in process)")
    print(f"first result in a fresh process, model load included: {cold:.1f} s")
    print(
        json.dumps(
            {
                "overhead_ratio": round(bare_rate / ours, 4),
                "bare_tokens_per_s": round(bare_rate, 2),
                "claimx_tokens_per_s": round(ours, 2),
                "completion_tokens": tokens,
                "isolation_ms_per_call": round(round_trip_ms, 2),
                "extra_buffer_types": worker.extra_buffer_types,
                "first_result_s": round(cold, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
