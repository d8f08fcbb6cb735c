"""Prompt tokens per request in each structured-output mode: the schema must reach the model once.

For the seed article and a 20,000-character synthetic one, claimx builds its request in
each mode (``json_schema``, ``json_object``, ``json``, ``tools``, ``md_json``) and sends it
to the scripted server, which records it; the request body as received is then counted
with a real tokenizer (the bundled Gemma 3 GGUF's, through llama-cpp-python, vocabulary
only). What is counted is every piece of text the request carries to the model: the
messages' contents and the schema wherever the body carries it (``response_format``,
``tools``). That is what OpenAI bills (it counts a ``json_schema`` schema as prompt
tokens); servers that compile the schema into a grammar (llama.cpp) count less, so the
figures are an upper bound for them.

For comparison, the same count for the request instructor's own ``JSON`` mode builds
(its system message with the whole schema on top of claimx's prompt, plus the schema in
``response_format``): what ``json_object`` cost before claimx stopped using that mode.

    python benchmarks/tokens.py     # last line: JSON with max_ratio (aim: at most 1.10)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _corpus import article

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a52612c81e7ad0d0.txt"
MODES = ("json_schema", "json_object", "json", "tools", "md_json")
AIM = 1.10


class Counter:
    """Tokens of text, by the bundled model's own tokenizer."""

    def __init__(self) -> None:
        from llama_cpp import Llama

        from claimx.models.local import bundled_model_path

        self._llama = Llama(model_path=str(bundled_model_path()), vocab_only=True, verbose=False)

    def __call__(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8", "surrogatepass"), add_bos=False, special=False))


def carried_text(body: dict[str, Any]) -> str:
    """Every piece of text a request body carries to the model (contents and schemas)."""
    parts = [str(m.get("content") or "") for m in body.get("messages", [])]
    response_format = body.get("response_format") or {}
    schema = (response_format.get("json_schema") or {}).get("schema") or response_format.get("schema")
    if schema is not None:
        parts.append(json.dumps(schema, ensure_ascii=False))
    for tool in body.get("tools") or []:
        parts.append(json.dumps(tool, ensure_ascii=False))
    return "\n".join(parts)


def answering(request: Any) -> Any:
    """A valid answer in the shape the request asks for (a tool call in tools mode)."""
    from claimx.testing import Reply, echo_answer

    reply = echo_answer(request)
    if not request.json.get("tools"):
        return reply
    body = json.loads(reply.body or b"")
    content = body["choices"][0]["message"]["content"]
    name = request.json["tools"][0]["function"]["name"]
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": content}}
    body["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [call]}
    return Reply.json(body)


def requests_by_mode(text: str) -> dict[str, dict[str, Any]]:
    """The first request claimx sends for ``text`` in each mode, as the server received it."""
    from claimx.extract import Extractor
    from claimx.testing import ScriptedServer

    bodies: dict[str, dict[str, Any]] = {}
    with ScriptedServer(answering) as server:
        for mode in MODES:
            before = len(server.completions)
            extractor = Extractor(
                "openai/bench",
                base_url=server.base_url,
                cache=False,
                model_options={"structured_output": mode},
            )
            extraction = extractor.extract(text, doc_id="bench")
            extractor.close()
            if not extraction.claims:
                raise SystemExit(f"{mode}: the scripted answer did not ground; the request is not typical")
            bodies[mode] = server.completions[before].json
    return bodies


def instructor_json_mode(body: dict[str, Any]) -> dict[str, Any]:
    """The request instructor's ``JSON`` mode builds from claimx's messages and response model."""
    import instructor

    from claimx.response import response_model_for

    captured: dict[str, Any] = {}

    async def create(*args: Any, **kwargs: Any) -> Any:
        captured.update(kwargs)
        raise RuntimeError("recorded")

    schema = body["response_format"]["json_schema"]["schema"]
    labels = schema["$defs"]["Statement"]["properties"]["sentences"]["items"]["enum"]
    model = response_model_for(1, len(labels))
    patched = instructor.patch(create=create, mode=instructor.Mode.JSON)
    with contextlib.suppress(Exception):  # the recording create always raises, after capturing
        asyncio.run(patched(response_model=model, messages=body["messages"], max_retries=0))
    captured["response_format"] = {"type": "json_object", "schema": schema}
    return captured


def main() -> None:
    count = Counter()
    text_20k, _ = article(statements=100, chars=20_000)
    documents = {"seed": SEED.read_text(encoding="utf-8"), "article_20k": text_20k}
    figures: dict[str, dict[str, int]] = {}
    before: dict[str, int] = {}
    for name, text in documents.items():
        bodies = requests_by_mode(text)
        figures[name] = {mode: count(carried_text(body)) for mode, body in bodies.items()}
        before[name] = count(carried_text(instructor_json_mode(bodies["json_schema"])))
        counts = ", ".join(f"{m} {n}" for m, n in figures[name].items())
        print(f"{name} ({len(text):,} characters): {counts}")
        print(f"  instructor's JSON mode (json_object before): {before[name]}")
    ratios = {
        name: {mode: round(n / per_mode["json_schema"], 3) for mode, n in per_mode.items()}
        for name, per_mode in figures.items()
    }
    max_ratio = max(r for per_mode in ratios.values() for r in per_mode.values())
    print(
        json.dumps(
            {
                "max_ratio": max_ratio,
                "aim": AIM,
                "prompt_tokens": figures,
                "ratio_to_json_schema": ratios,
                "instructor_json_mode_tokens": before,
                "instructor_json_mode_ratio": {
                    name: round(before[name] / figures[name]["json_schema"], 3) for name in figures
                },
            }
        )
    )


if __name__ == "__main__":
    main()
