"""The embedded model through claimx vs bare llama-cpp-python: claimx's overhead on the local path.

Both sides use the same loaded GGUF, the same messages, the same grammar (the response schema)
and the same sampling, so they generate the same tokens; the ratio of their speeds is what
claimx adds (prompt rendering, validation, grounding, linking). Also prints the time to the
first result in a fresh process, model load included.

    python benchmarks/local_model.py          # last line: JSON with overhead_ratio
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a52612c81e7ad0d0.txt"
REPEATS = 3


def first_result_seconds() -> float:
    """Wall time of a fresh process extracting the seed with the bundled model (no cache)."""
    code = (
        "import time, claimx; t = time.perf_counter(); "
        f"r = claimx.extract(open({str(SEED)!r}).read(), model='local', cache=False); "
        "print(time.perf_counter() - t)"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    from claimx.document import Document
    from claimx.extract import Extractor
    from claimx.names import proper_names
    from claimx.response import response_model_for

    text = SEED.read_text(encoding="utf-8")
    document = Document.from_text(text)
    extractor = Extractor("local", cache=False)
    model = extractor.model
    llama = model.load()  # type: ignore[attr-defined]
    limits = extractor.profile.limits
    speakers = tuple(proper_names(document)) if limits and limits.compact else ()
    schema = response_model_for(1, len(document.sentences), limits, speakers).model_json_schema()
    messages = extractor.prompt.render(document)
    sampling = {
        "temperature": model.config.temperature,  # type: ignore[attr-defined]
        "top_p": model.config.top_p,  # type: ignore[attr-defined]
        "repeat_penalty": model.config.repeat_penalty,  # type: ignore[attr-defined]
        "seed": model.config.seed,  # type: ignore[attr-defined]
        "max_tokens": model.max_output_tokens,
    }

    bare_tps: list[float] = []
    ours_tps: list[float] = []
    tokens = 0
    for _ in range(REPEATS):  # alternate, so drift in machine load hits both sides alike
        llama.reset()  # no prefix reuse on either side: same arithmetic, same tokens
        started = time.perf_counter()
        reply = llama.create_chat_completion(
            messages=messages, response_format={"type": "json_object", "schema": schema}, **sampling
        )
        elapsed = time.perf_counter() - started
        tokens = reply["usage"]["completion_tokens"]
        bare_tps.append(tokens / elapsed)

        llama.reset()
        started = time.perf_counter()
        result = extractor.extract(document)
        elapsed = time.perf_counter() - started
        ours_tps.append(result.meta.usage.completion_tokens / elapsed)
        assert result.meta.usage.completion_tokens == tokens, "both sides must generate the same tokens"
    extractor.close()

    bare, ours = statistics.median(bare_tps), statistics.median(ours_tps)
    cold = first_result_seconds()
    print(
        f"bare llama-cpp-python: {bare:.1f} tokens/s; through claimx: {ours:.1f} tokens/s "
        f"({tokens} tokens, median of {REPEATS})"
    )
    print(f"first result in a fresh process, model load included: {cold:.1f} s")
    print(
        json.dumps(
            {
                "overhead_ratio": round(bare / ours, 4),
                "bare_tokens_per_s": round(bare, 2),
                "claimx_tokens_per_s": round(ours, 2),
                "completion_tokens": tokens,
                "first_result_s": round(cold, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
