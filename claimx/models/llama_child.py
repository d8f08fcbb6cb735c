"""The process that owns llama.cpp: it loads one GGUF and answers chat completions over a pipe.

llama.cpp is native code; on some CPUs its kernels crash (the AMX and repacking "extra
buffer types" of ggml segfault on some Xeons). A crash kills only this process, never the
caller's: :mod:`claimx.models.llama_worker` starts it, talks to it in JSON lines and turns
its death into an error that names the cause.

This module is run as a script (``python -P llama_child.py``), so it imports only the
standard library and llama_cpp: the child starts in a fraction of a second and never
loads claimx, instructor or openai. Protocol, one JSON object per line:

- parent → child, first line: the settings (``path``, ``n_ctx``, ``n_threads``, ``seed``,
  ``chat_format``, ``extra_buffer_types``, ``probe``);
- child → parent: ``{"ready": {...}}`` once the model is loaded (and, with ``probe``, once
  a tiny generation has run), or ``{"error": {"kind", "message"}}``;
- parent → child: ``{"complete": {...chat completion arguments}}``; child → parent:
  ``{"ok": completion}`` or ``{"error": {...}}``. End of input ends the child.

Stdout is the protocol channel; whatever C code prints goes to stderr instead.

``CLAIMX_TEST_LLAMA_CRASH`` makes the child crash natively (a null-pointer read), the way a
broken kernel does, so the isolation is tested through this very code: ``always`` on every
generation, ``extra-buffer-types`` on every generation while those are on, ``text:MARK``
when the request contains MARK.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
import traceback
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["GEMMA_TEMPLATE", "extra_buffer_types_off", "gemma_chat_handler", "main"]

# The official Gemma 3 chat template, reduced to text turns.
GEMMA_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{{ message['content'] | trim }}{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)
# Families whose GGUFs sometimes lack a template, and the format llama-cpp-python knows them by.
FAMILY_FORMATS = {
    "llama": "llama-3",
    "qwen2": "chatml",
    "qwen3": "chatml",
    "mistral": "mistral-instruct",
    "phi3": "chatml",
}
CRASH_HOOK = "CLAIMX_TEST_LLAMA_CRASH"


def gemma_chat_handler() -> Any:
    """A llama-cpp-python chat handler for Gemma's turn format that keeps system messages."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    formatter = Jinja2ChatFormatter(template=GEMMA_TEMPLATE, eos_token="<end_of_turn>", bos_token="<bos>")
    return formatter.to_chat_handler()


@contextlib.contextmanager
def extra_buffer_types_off() -> Iterator[None]:
    """Models loaded inside this block get ``use_extra_bufts = False`` (no AMX, no repacking).

    llama-cpp-python's ``Llama(...)`` and its server settings have no argument for this field
    of llama.cpp's ``llama_model_params``; ``Llama`` starts from the public
    ``llama_model_default_params()``. Only processes that exist to run llama.cpp (this child,
    the llama.cpp server) use this, so nothing else ever sees the substitute.
    """
    import llama_cpp.llama_cpp as low_level

    original = low_level.llama_model_default_params

    def safe_defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    low_level.llama_model_default_params = safe_defaults
    try:
        yield
    finally:
        low_level.llama_model_default_params = original


def crash_if_asked(extra_buffer_types: bool, text: str) -> None:
    """The test hook: a real native crash (SIGSEGV) at the point where llama.cpp would run."""
    hook = os.environ.get(CRASH_HOOK, "")
    hit = (
        hook == "always"
        or (hook == "extra-buffer-types" and extra_buffer_types)
        or (hook.startswith("text:") and hook[5:] in text)
    )
    if hit:
        ctypes.string_at(0)  # reads address 0: the kernel sends SIGSEGV, as to a broken ggml kernel


_LOG_CALLBACK: Any = None


def _silence_llama_logs() -> None:
    """llama.cpp logs model loading to stderr in C; the caller's stderr is for claimx's messages."""
    import llama_cpp

    def quiet(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        return None

    global _LOG_CALLBACK
    _LOG_CALLBACK = llama_cpp.llama_log_callback(quiet)  # kept referenced: C holds only a pointer
    llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


def _choose_template(llama: Any, chat_format: str | None) -> str:
    metadata = getattr(llama, "metadata", {}) or {}
    architecture = str(metadata.get("general.architecture", ""))
    if chat_format:
        llama.chat_format = chat_format
        llama.chat_handler = None
        return chat_format
    if "tokenizer.chat_template" in metadata:
        return "gguf metadata"
    if architecture.startswith("gemma"):
        llama.chat_handler = gemma_chat_handler()
        return "gemma (default for the family)"
    llama.chat_format = FAMILY_FORMATS.get(architecture, "chatml")
    llama.chat_handler = None
    return f"{llama.chat_format} (default for {architecture or 'unknown'} models)"


def _load(settings: dict[str, Any]) -> Any:
    from llama_cpp import Llama

    extra = bool(settings["extra_buffer_types"])
    with contextlib.nullcontext() if extra else extra_buffer_types_off():
        return Llama(
            model_path=str(settings["path"]),
            n_ctx=int(settings["n_ctx"]),
            n_threads=settings.get("n_threads"),
            seed=int(settings["seed"]),
            verbose=False,
        )


def _probe(llama: Any, extra_buffer_types: bool) -> None:
    """A tiny generation: a short prompt (a batched matrix product) and a few tokens (single rows)."""
    crash_if_asked(extra_buffer_types, "probe")
    llama.create_completion("The capital of France is", max_tokens=4, temperature=0.0)
    llama.reset()


def _send(out: IO[str], message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def serve(settings: dict[str, Any], requests: IO[str], out: IO[str]) -> None:
    """Load the model, say so, then answer requests until the input ends."""
    if not os.environ.get("CLAIMX_DEBUG"):
        _silence_llama_logs()
    extra = bool(settings["extra_buffer_types"])
    try:
        llama = _load(settings)
    except (ValueError, RuntimeError) as exc:
        _send(out, {"error": {"kind": "load", "message": str(exc)}})
        return
    template = _choose_template(llama, settings.get("chat_format"))
    if settings.get("probe"):
        _probe(llama, extra)
    _send(
        out,
        {
            "ready": {
                "chat_template": template,
                "extra_buffer_types": bool(llama.model_params.use_extra_bufts),
                "pid": os.getpid(),
            }
        },
    )
    for line in requests:
        call = json.loads(line)["complete"]
        crash_if_asked(extra, json.dumps(call["messages"]))
        try:
            reply = llama.create_chat_completion(**call)
        except ValueError as exc:  # e.g. the prompt does not fit the context window
            _send(out, {"error": {"kind": "refused", "message": str(exc)}})
            continue
        except RuntimeError as exc:  # llama.cpp's failures mid-generation (decode errors)
            _send(out, {"error": {"kind": "failed", "message": str(exc)}})
            continue
        except Exception as exc:  # a bug (llama-cpp-python's, or of the request): the caller raises it as one
            trace = traceback.format_exc()
            _send(
                out,
                {
                    "error": {
                        "kind": "exception",
                        "type": type(exc).__name__,
                        "message": str(exc),
                        "traceback": trace,
                    }
                },
            )
            continue
        _send(out, {"ok": reply})


def main() -> None:
    """Take stdout for the protocol, send C's prints to stderr, and serve."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    requests = sys.stdin
    first = requests.readline()
    if not first:
        return
    serve(json.loads(first), requests, out)


if __name__ == "__main__":
    main()
