"""llama-cpp-python's OpenAI-compatible server, with claimx's chat formats and CPU safety.

    python -m claimx.models.llama_server --port 8000 --chat_format gemma3 [--model model.gguf]

Everything is llama-cpp-python's own server (same flags, same HTTP API); this adds the
``gemma3`` chat format (the official Gemma 3 template, which keeps system messages —
llama-cpp-python's built-in ``gemma`` format drops them), defaults ``--model`` to the
bundled demonstration GGUF, and loads the model without llama.cpp's extra CPU buffer types
(AMX, repacking) on machines where they crash: the verdict of
:mod:`claimx.models.llama_probe` is used, probing first (in a child process) when this
machine has none yet. Point claimx at it with ``--model openai/<any> --base-url
http://127.0.0.1:8000/v1 --structured-output json_object``.
"""

from __future__ import annotations

import sys


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def main(argv: list[str] | None = None) -> None:
    """Register the formats, fill in the bundled model when none is given, decide the CPU path, serve."""
    from llama_cpp import llama_chat_format
    from llama_cpp.server.__main__ import main as serve

    from claimx.models import llama_probe
    from claimx.models.llama_child import extra_buffer_types_off, gemma_chat_handler
    from claimx.models.llama_worker import WorkerSettings
    from claimx.models.local import bundled_model_path

    llama_chat_format.register_chat_completion_handler("gemma3")(gemma_chat_handler())
    args = list(sys.argv[1:] if argv is None else argv)
    model = _option(args, "--model")
    if model is None:
        model = str(bundled_model_path())
        args += ["--model", model]
    threads = _option(args, "--n_threads")
    verdict = llama_probe.decide(
        WorkerSettings(
            path=model,
            n_ctx=512,
            n_threads=int(threads) if threads else None,
            seed=0,
            chat_format=None,
            extra_buffer_types=True,
        )
    )
    state = "on" if verdict.extra_buffer_types else "off"
    print(f"claimx: llama.cpp extra buffer types {state}: {verdict.detail}", file=sys.stderr, flush=True)
    sys.argv = [sys.argv[0], *args]
    if verdict.extra_buffer_types:
        serve()  # type: ignore[no-untyped-call]  # llama-cpp-python ships no annotation here
    else:
        with extra_buffer_types_off():
            serve()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    main()
