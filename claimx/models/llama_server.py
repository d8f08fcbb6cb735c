"""llama-cpp-python's OpenAI-compatible server, with claimx's chat formats registered.

    python -m claimx.models.llama_server --port 8000 --chat_format gemma3 [--model model.gguf]

Everything is llama-cpp-python's own server (same flags, same HTTP API); this
only adds the ``gemma3`` chat format (the official Gemma 3 template, which keeps
system messages — llama-cpp-python's built-in ``gemma`` format drops them) and
defaults ``--model`` to the bundled demonstration GGUF. Point claimx at it with
``--model openai/<any> --base-url http://127.0.0.1:8000/v1 --structured-output json_object``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Register the formats, fill in the bundled model when none is given, and serve."""
    from llama_cpp import llama_chat_format
    from llama_cpp.server.__main__ import main as serve

    from claimx.models.local import bundled_model_path, gemma_chat_handler

    llama_chat_format.register_chat_completion_handler("gemma3")(gemma_chat_handler())
    args = list(sys.argv[1:] if argv is None else argv)
    if "--model" not in args and not any(a.startswith("--model=") for a in args):
        args += ["--model", str(bundled_model_path())]
    sys.argv = [sys.argv[0], *args]
    serve()  # type: ignore[no-untyped-call]  # llama-cpp-python ships no annotation here


if __name__ == "__main__":
    main()
