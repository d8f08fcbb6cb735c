"""Model names as users write them → :class:`~claimx.models.base.Model` instances.

``openai/<name>``
    OpenAI, or any OpenAI-compatible server with ``base_url`` (or ``$OPENAI_BASE_URL``).
``ollama/<name>``
    Ollama's OpenAI-compatible endpoint (``http://localhost:11434/v1`` unless given).
``local``
    The bundled demonstration GGUF, in process.
``local:/path/model.gguf``
    Any GGUF file, in process.
``baseline`` (and every name in :mod:`claimx.rules`)
    A no-LLM extractor: rules, no model at all.
A bare ``<name>`` is accepted when a ``base_url`` says where it lives.

With no name: ``$CLAIMX_MODEL``, else ``openai/gpt-4.1-mini`` when
``OPENAI_API_KEY`` is set, else ``local``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from claimx import rules
from claimx.errors import ConfigError
from claimx.models.base import Model, RetryPolicy
from claimx.response import OutputLimits

__all__ = ["DEFAULT_OPENAI_MODEL", "default_model_spec", "resolve_model"]

DEFAULT_OPENAI_MODEL = "openai/gpt-4.1-mini"
OLLAMA_URL = "http://localhost:11434/v1"
#: The bundled model is tiny: a compact schema (statements only) and few of them keep its answers
#: short enough to finish in seconds. (String length caps are avoided: as llama.cpp grammars they
#: slow sampling several-fold.)
BUNDLED_LIMITS = OutputLimits(max_statements=4, compact=True)


def default_model_spec() -> tuple[str, str]:
    """The model to use when none is named, and why it was chosen."""
    env = os.environ.get("CLAIMX_MODEL")
    if env:
        return env, "from CLAIMX_MODEL"
    if os.environ.get("OPENAI_API_KEY"):
        return DEFAULT_OPENAI_MODEL, "OPENAI_API_KEY is set"
    return "local", "no --model, no CLAIMX_MODEL and no OPENAI_API_KEY"


def resolve_model(
    spec: str | Model | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    options: dict[str, Any] | None = None,
) -> Model:
    """Build the model a spec names. ``options`` tune it (timeout_s, temperature, n_ctx, …)."""
    if isinstance(spec, Model):
        return spec
    opts = dict(options or {})
    spec = (spec or default_model_spec()[0]).strip()
    no_llm = rules.get(spec)
    if no_llm is not None:
        from claimx.models.rules import RulesModel

        return RulesModel(no_llm, opts)
    if spec == "local" or spec.startswith("local:"):
        from claimx.models.local import LocalConfig, LocalModel

        path = spec.partition(":")[2].strip() or None
        local_keys = {
            "n_ctx",
            "n_threads",
            "temperature",
            "top_p",
            "repeat_penalty",
            "seed",
            "max_output_tokens",
            "chat_format",
            "limits",
        }
        local_opts = {k: v for k, v in opts.items() if k in local_keys and v is not None}
        if path is None:
            local_opts.setdefault("limits", BUNDLED_LIMITS)
        return LocalModel(LocalConfig(path=Path(path) if path else None, **local_opts))
    provider, sep, name = spec.partition("/")
    if not sep:
        if base_url is None:
            choices = (
                f"ollama/<name>, local, local:/path/to/model.gguf or an extractor without a language "
                f"model ({', '.join(rules.names())})"
            )
            raise ConfigError(
                f"unknown model {spec!r}: write openai/<name> (with base_url=... for servers other "
                f"than OpenAI), {choices}",
                cli_message=f"unknown model {spec!r}: write openai/<name> (with --base-url for servers "
                f"other than OpenAI), {choices}",
            )
        provider, name = "openai", spec
    if provider == "ollama":
        base_url = base_url or OLLAMA_URL
    elif provider == "openai" and base_url is None:
        base_url = os.environ.get("OPENAI_BASE_URL") or None  # as the OpenAI SDK itself honours it
    elif provider != "openai":
        raise ConfigError(
            f"unknown provider {provider!r} in {spec!r}: claimx speaks openai/<name> (any "
            "OpenAI-compatible server via --base-url), ollama/<name> and local"
        )
    if not name:
        raise ConfigError(f"model name missing in {spec!r}")
    from claimx.models.openai import OpenAIConfig, OpenAIModel, StructuredOutput

    openai_keys = {
        "timeout_s",
        "temperature",
        "seed",
        "max_output_tokens",
        "max_output_tokens_ceiling",
        "context_tokens",
        "retry",
        "limits",
        "max_reply_bytes",
    }
    openai_opts = {k: v for k, v in opts.items() if k in openai_keys and v is not None}
    structured = opts.get("structured_output")
    if structured:
        try:
            openai_opts["structured_output"] = StructuredOutput(structured)
        except ValueError as exc:
            choices = ", ".join(s.value for s in StructuredOutput)
            raise ConfigError(f"unknown structured output {structured!r} (choose from {choices})") from exc
    if isinstance(openai_opts.get("retry"), dict):
        openai_opts["retry"] = RetryPolicy(**openai_opts["retry"])
    config = OpenAIConfig(model=name, base_url=base_url, **openai_opts)
    return OpenAIModel(config, api_key=api_key)
